"""End to end: Instagram direct messages and comments through its connector, against the
fake Instagram API (P5, P6, P7; scripts/fake_platforms.py).

Each test posts a webhook signed with the Meta app's secret to
/webhooks/instagram/webhook and asserts the exact calls the fake received about that
comment or author.
"""

import time
import urllib.error
import urllib.request
import uuid

import pytest

from bot.handoff.conversations import RasaConversations
from scripts.fake_platforms import instagram_comment, instagram_message, instagram_webhook
from tests.e2e.platforms import INSTAGRAM, new_user, post, run_command, to_instagram, wait_for

SETTLE = 3  # seconds to wait for any call that should not come


@pytest.fixture
def running(platforms_running):
    return platforms_running


def shape(call):
    """An Instagram call in short: what it did, and to which comment or account."""
    body = call.body if isinstance(call.body, dict) else {}
    if call.path == "me/messages":
        recipient = body.get("recipient") or {}
        if "comment_id" in recipient:
            return ("private_reply", recipient["comment_id"])
        return ("send", recipient.get("id"))
    head = call.path.split("/")[0]
    if call.path.endswith("/replies"):
        return ("public_reply", head)
    if call.method == "DELETE":
        return ("delete", head)
    return ("hide" if body.get("hide") else "unhide", head)


def about(platforms, *ids):
    return [shape(c) for c in platforms.received("instagram") if shape(c)[1] in ids]


def text_of(platforms, kind, target):
    for call in platforms.received("instagram"):
        if shape(call) == (kind, target):
            message = (call.body or {}).get("message")
            return message.get("text") if isinstance(message, dict) else message
    return None


def exactly(platforms, ids, expected, seconds=60):
    """Wait for exactly `expected` about `ids`; then make sure nothing more comes."""
    assert wait_for(lambda: about(platforms, *ids) == expected, seconds), about(platforms, *ids)
    time.sleep(SETTLE)
    assert about(platforms, *ids) == expected


def comment(running, text):
    assistant, _, _ = running
    author, comment_id = new_user(), str(18 * 10**15 + uuid.uuid4().int % 10**15)
    payload = instagram_webhook(
        INSTAGRAM, changes=[instagram_comment(author, text, comment_id, "media1")]
    )
    assert to_instagram(assistant, payload)[0] == 200
    return author, comment_id


def test_a_comment_with_a_phone_number_is_hidden_answered_privately_and_deleted(running):
    assistant, platforms, _ = running
    phone = f"07700 {900000 + uuid.uuid4().int % 1000}"
    author, cid = comment(running, f"no hot water since sat, call me on {phone}")
    exactly(platforms, [cid, author], [("hide", cid), ("private_reply", cid), ("delete", cid)])
    private = text_of(platforms, "private_reply", cid)
    assert "phone number" in private and "07700" not in private
    events = RasaConversations(assistant.rasa_url, assistant.api_token).tracker(
        f"instagram-public-{author}"
    )["events"]
    kept = [e["text"] for e in events if e["event"] == "user"]
    assert len(kept) == 1 and "07700" not in kept[0], kept


def test_a_tenancy_question_in_a_comment_is_acknowledged_and_moved_to_private(running):
    _, platforms, _ = running
    author, cid = comment(running, "how much rent do I owe on my account?")
    exactly(platforms, [cid, author], [("public_reply", cid), ("private_reply", cid)])
    assert "private message" in text_of(platforms, "public_reply", cid)


def test_a_direct_message_is_answered_in_the_conversation(running):
    assistant, platforms, _ = running
    igsid = new_user()
    millis = int(time.time() * 1000)
    dm = instagram_message(INSTAGRAM, igsid, "hello", f"aWdf{uuid.uuid4().hex}", millis)
    assert to_instagram(assistant, instagram_webhook(INSTAGRAM, messaging=[dm]))[0] == 200
    assert wait_for(lambda: about(platforms, igsid), 60)
    time.sleep(SETTLE)
    sends = about(platforms, igsid)
    assert set(sends) == {("send", igsid)}
    # Every piece fits an Instagram direct message.
    for call in platforms.received("instagram"):
        if shape(call) == ("send", igsid):
            assert len(call.body["message"]["text"].encode("utf-8")) <= 1000


def test_a_forged_instagram_webhook_is_refused_and_nothing_is_sent(running):
    assistant, platforms, _ = running
    igsid = new_user()
    dm = instagram_message(INSTAGRAM, igsid, "hello", f"aWdf{uuid.uuid4().hex}", 1)
    url = f"{assistant.rasa_url}/webhooks/instagram/webhook"
    with pytest.raises(urllib.error.HTTPError) as refused:
        post(url, instagram_webhook(INSTAGRAM, messaging=[dm]), "X-Hub-Signature-256", _forged)
    assert refused.value.code == 403
    time.sleep(SETTLE)
    assert about(platforms, igsid) == []


def test_the_subscription_check_echoes_the_challenge_only_for_the_verify_token(running):
    assistant, _, _ = running
    base = f"{assistant.rasa_url}/webhooks/instagram/webhook?hub.mode=subscribe&hub.challenge=42"
    with urllib.request.urlopen(f"{base}&hub.verify_token=e2e-instagram-verify") as answer:
        assert answer.read() == b"42"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}&hub.verify_token=wrong")
    assert refused.value.code == 403


def _forged(body):
    return "sha256=" + "0" * 64


def test_an_old_comment_the_assistant_never_saw_is_found_on_the_account_and_deleted(running):
    assistant, platforms, _ = running
    old, recent = (str(18 * 10**15 + uuid.uuid4().int % 10**15) for _ in range(2))
    platforms.add_instagram_comment("media-before-launch", old, "2025-01-15T10:00:00+0000", "u1")
    now = time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime())
    platforms.add_instagram_comment("media-before-launch", recent, now, "u2")
    run_command(assistant, "scripts.retention")
    assert wait_for(lambda: ("delete", old) in about(platforms, old), 30)
    time.sleep(SETTLE)
    assert about(platforms, recent) == []
