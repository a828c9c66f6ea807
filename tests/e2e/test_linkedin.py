"""End to end: LinkedIn comments on the organization's posts, read by the Rasa server's
poller (and by the webhook) from the fake Community Management API, and answered
through the outbox (P5, P7; scripts/fake_platforms.py).

The shared servers poll LinkedIn every second; the webhook takes signed notifications
beside it, and a comment that comes both ways is acted on once.
"""

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

from bot.association import load_association
from bot.outbox import Outbox
from bot.platforms.linkedin.signature import challenge_response, linkedin_signature
from bot.store import connect
from tests.e2e.platforms import LINKEDIN_ORG, LINKEDIN_SECRET, post, run_command, wait_for
from tests.helpers import ROOT

SETTLE = 3
ORG = f"urn:li:organization:{LINKEDIN_ORG}"
STAFF = load_association(ROOT / "association.yml").moderation.rules.staff[0].name


@pytest.fixture
def running(platforms_running):
    return platforms_running


def shape(call):
    """A LinkedIn call in short: what it did, and to which comment or post."""
    if call.method == "DELETE":
        post_urn, comment_id = call.path.split("/")[1], call.path.split("/")[3]
        return ("delete", f"urn:li:comment:({post_urn},{comment_id})")
    if "parentComment" in (call.body or {}):
        return ("reply", call.body["parentComment"])
    return ("comment", call.body["object"])


def about(platforms, *ids):
    return [shape(c) for c in platforms.received("linkedin") if shape(c)[1] in ids]


def text_of(platforms, kind, target):
    for call in platforms.received("linkedin"):
        if shape(call) == (kind, target):
            return call.body["message"]["text"]
    return None


def polls_later(platforms, count=2, seconds=30):
    start = platforms.linkedin_reads
    assert wait_for(lambda: platforms.linkedin_reads >= start + count, seconds)


def new_post(platforms):
    post_urn = f"urn:li:share:{7 * 10**18 + uuid.uuid4().int % 10**18}"
    platforms.add_linkedin_post(post_urn)
    return post_urn


def test_a_comment_naming_staff_is_deleted_and_answered(running):
    _, platforms, _ = running
    post_urn = new_post(platforms)
    urn = platforms.add_linkedin_comment(
        post_urn, "81", f"urn:li:person:{uuid.uuid4().hex[:10]}", f"{STAFF} never rang me back"
    )
    expected = [("delete", urn), ("comment", post_urn)]
    assert wait_for(lambda: about(platforms, urn, post_urn) == expected, 60), about(
        platforms, urn, post_urn
    )
    notice = text_of(platforms, "comment", post_urn)
    assert "names of our staff" in notice and STAFF not in notice
    assert "private message" in notice
    polls_later(platforms)
    time.sleep(SETTLE)
    assert about(platforms, urn, post_urn) == expected


def to_linkedin(assistant, payload):
    url = f"{assistant.rasa_url}/webhooks/linkedin/webhook"
    return post(url, payload, "X-LI-Signature", lambda b: linkedin_signature(b, LINKEDIN_SECRET))


def test_a_comment_that_comes_by_webhook_and_by_polling_is_acted_on_once(running):
    assistant, platforms, _ = running
    post_urn = new_post(platforms)
    actor = f"urn:li:person:{uuid.uuid4().hex[:10]}"
    text = "my number is 07700 900321, ring me about the leak"
    urn = platforms.add_linkedin_comment(post_urn, "82", actor, text)
    notification = {
        "type": "COMMENT",
        "notificationId": uuid.uuid4().int % 10**9,
        "organizationalEntity": ORG,
        "actor": actor,
        "sourcePost": post_urn,
        "generatedActivity": urn,
        "lastModifiedAt": int(time.time() * 1000),
        "decoratedGeneratedActivity": {"comment": {"entity": urn, "text": text}},
    }
    status, answer, _ = to_linkedin(assistant, notification)
    assert status == 200 and answer["received"] == 1
    expected = [("delete", urn), ("comment", post_urn)]
    assert wait_for(lambda: about(platforms, urn, post_urn) == expected, 60)
    assert "07700" not in text_of(platforms, "comment", post_urn)
    polls_later(platforms)
    time.sleep(SETTLE)
    assert about(platforms, urn, post_urn) == expected


def test_a_forged_linkedin_webhook_is_refused_and_the_challenge_is_answered(running):
    assistant, _, _ = running
    url = f"{assistant.rasa_url}/webhooks/linkedin/webhook"
    with pytest.raises(urllib.error.HTTPError) as refused:
        post(url, {"type": "COMMENT"}, "X-LI-Signature", lambda b: "hmacsha256=" + "0" * 64)
    assert refused.value.code == 403
    with urllib.request.urlopen(f"{url}?challengeCode=890e4665") as answer:
        assert json.loads(answer.read()) == {
            "challengeCode": "890e4665",
            "challengeResponse": challenge_response("890e4665", LINKEDIN_SECRET),
        }


def test_the_channel_says_it_polls_and_how_its_last_poll_went(running):
    assistant, platforms, _ = running
    polls_later(platforms, count=1)
    with urllib.request.urlopen(f"{assistant.rasa_url}/webhooks/linkedin/polling") as answer:
        health = json.loads(answer.read())
    assert (health["status"], health["mode"]) == ("on", "polling")
    assert health["last"]["pages"] >= 1 and "error" not in health["last"]


def test_an_old_comment_and_reply_the_assistant_never_read_are_found_and_deleted(running):
    assistant, platforms, _ = running
    post_urn = new_post(platforms)
    long_ago = int(time.time() * 1000) - 120 * 24 * 3600 * 1000  # before it ran
    first = f"old{uuid.uuid4().int % 10**9}"
    old = platforms.add_linkedin_comment(post_urn, first, "urn:li:person:a1", "hi", long_ago)
    reply = platforms.add_linkedin_comment(
        post_urn, f"{first}r", "urn:li:person:a2", "hello", long_ago, parent=old
    )
    assert "Asked for" in run_command(assistant, "scripts.retention")
    assert wait_for(lambda: ("delete", old) in about(platforms, old), 30)
    # The reply goes with its comment; its own deletion then finds it gone: done, and
    # never a dead letter for staff.
    assert reply not in [c["$URN"] for cs in platforms.linkedin_comments.values() for c in cs]
    box = Outbox(connect(assistant.extra_env["DATABASE_URL"], assistant.keys()))

    def settled(state):
        return [m for m in box.messages(state) if m.target == reply]

    assert wait_for(lambda: len(settled("sent")) == 1, 30), box.messages()
    assert settled("dead") == []


def test_a_reply_the_poller_finds_is_answered_under_its_comment(running):
    _, platforms, _ = running
    post_urn = new_post(platforms)
    first = f"t{uuid.uuid4().int % 10**9}"
    parent = platforms.add_linkedin_comment(
        post_urn, first, f"urn:li:person:{uuid.uuid4().hex[:10]}", "Lovely to see the new homes"
    )
    # The comment is answered first (a compliment, thanked under it).
    assert wait_for(lambda: ("reply", parent) in about(platforms, parent), 60)
    reply = platforms.add_linkedin_comment(
        post_urn,
        f"{first}r",
        f"urn:li:person:{uuid.uuid4().hex[:10]}",
        "are there any jobs going at the association?",
        parent=parent,
    )

    def answers():
        return [
            c.body["message"]["text"]
            for c in platforms.received("linkedin")
            if c.method == "POST" and (c.body or {}).get("parentComment") == parent
        ]

    assert wait_for(lambda: any("careers" in text for text in answers()), 60), answers()
    polls_later(platforms)
    time.sleep(SETTLE)
    assert about(platforms, reply) == []  # never under the reply itself
    assert len(answers()) == 2  # the comment's answer, and the reply's, once
