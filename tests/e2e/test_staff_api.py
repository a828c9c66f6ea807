"""End to end: staff act on a handoff through the staff API, with the real servers and
Facebook played by the fake Graph API (tests/e2e/platforms.py).

A tenant asks for a person on Messenger; staff list the handoffs, take it and reply:
the reply reaches the fake Graph API and the handoff is acknowledged in time. Staff
hand the tenant back, and the assistant answers their next message.
"""

import json
import urllib.error
import urllib.request

import pytest

from scripts.fake_platforms import facebook_webhook
from tests.e2e.platforms import (
    PAGE,
    STAFF,
    STAFF_TOKEN,
    message,
    new_user,
    sent_to,
    to_facebook,
    wait_for,
)


@pytest.fixture
def running(platforms_running):
    return platforms_running


def api(assistant, method, path, body=None, token=STAFF_TOKEN):
    """(status, JSON answer) of one call to the staff API."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        assistant.console_url + path, data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def texts_to(platforms, psid):
    return [(c.body.get("message") or {}).get("text") for c in sent_to(platforms, psid)]


def handoff_of(assistant, conversation_id):
    _, listed = api(assistant, "GET", "/api/handoffs")
    found = [h for h in listed["handoffs"] if h["conversation_id"] == conversation_id]
    return found[0] if found else None


def test_staff_take_reply_and_hand_back_a_messenger_tenant(running):
    assistant, platforms, _ = running
    psid = new_user()
    conversation_id = f"facebook-private-{psid}"
    to_facebook(
        assistant, facebook_webhook(PAGE, messaging=[message(psid, "can i speak to a real person")])
    )
    assert wait_for(lambda: handoff_of(assistant, conversation_id) is not None, 60)
    assert wait_for(
        lambda: any("passed your conversation" in (t or "") for t in texts_to(platforms, psid)), 30
    )
    told = len(sent_to(platforms, psid))

    # Without a token, nothing.
    assert api(assistant, "GET", "/api/handoffs", token=None)[0] == 401
    assert api(assistant, "GET", "/api/handoffs", token=STAFF_TOKEN + "x")[0] == 401

    handoff = handoff_of(assistant, conversation_id)
    assert (handoff["reason"], handoff["team"], handoff["state"]) == (
        "request_human",
        "Communications",
        "waiting",
    )
    assert handoff["summary"]["words"] == "can i speak to a real person"
    path = f"/api/handoffs/{handoff['id']}"

    status, taken = api(assistant, "POST", f"{path}/take")
    assert (status, taken["state"], taken["taken_by"]) == (200, "taken", STAFF)

    reply = "Hi, this is Sam from the team. How can I help?"
    status, replied = api(assistant, "POST", f"{path}/reply", {"text": reply})
    assert status == 200, replied
    # The reply reaches the tenant in Messenger, through the outbox.
    assert wait_for(lambda: reply in texts_to(platforms, psid), 30)
    [sent] = [c for c in sent_to(platforms, psid) if c.body["message"].get("text") == reply]
    assert sent.body["messaging_type"] == "RESPONSE"  # within 24 hours of the tenant
    # The first reply by a person acknowledged the handoff, in time, once the
    # outbox reported it sent.
    assert wait_for(
        lambda: api(assistant, "GET", path)[1]["deadlines"]["acknowledge"]["done_at"], 30
    )
    status, shown = api(assistant, "GET", path)
    acknowledged = shown["deadlines"]["acknowledge"]
    assert acknowledged["done_at"] is not None and acknowledged["met"] is True
    assert shown["deadlines"]["reply"]["met"] is True
    assert shown["state"] == "answered"

    # The thread holds the tenant's words and the staff reply, in order.
    status, thread = api(assistant, "GET", f"{path}/thread")
    authors = [(m["author"], m["text"]) for m in thread["messages"]]
    assert ("tenant", "can i speak to a real person") in authors
    assert authors[-1] == ("staff", reply)

    # Still paused: the assistant does not answer while staff have the conversation.
    assert len(sent_to(platforms, psid)) == told + 1

    status, back = api(assistant, "POST", f"{path}/hand-back")
    assert (status, back["state"]) == (200, "handed_back")
    assert handoff_of(assistant, conversation_id) is None

    to_facebook(
        assistant, facebook_webhook(PAGE, messaging=[message(psid, "what are your opening hours")])
    )
    assert wait_for(lambda: len(sent_to(platforms, psid)) > told + 1, 60)
    assert "bank holidays" in texts_to(platforms, psid)[-1]  # the opening hours, answered


def test_a_reply_to_an_unknown_handoff_is_404_with_its_reason(running):
    assistant, _, _ = running
    status, answer = api(assistant, "POST", "/api/handoffs/nope/reply", {"text": "hi"})
    assert status == 404 and "no handoff" in answer["error"]
