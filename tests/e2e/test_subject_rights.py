"""Subject rights through the running assistant (P9): a tenant's Messenger conversation,
with their phone number and date of birth, is exported whole by the command, then
erased: the assistant's store no longer names it and its conversation is gone."""

import json
import stat
import uuid
from pathlib import Path

import pytest

from bot.protection.conversations import TrackerEvents, tracker_engine
from scripts.fake_platforms import facebook_webhook
from tests.e2e.platforms import (
    PAGE,
    message,
    new_user,
    run_command,
    sent_to,
    to_facebook,
    wait_for,
)
from tests.helpers import on_disk, store_keys


@pytest.fixture(scope="module")
def running(platforms_running):
    return platforms_running


def command(assistant, *args):
    """`python -m scripts.subject <args>` beside the running assistant; its output."""
    return run_command(assistant, "scripts.subject", *args)


def test_a_conversation_is_exported_whole_then_erased_everywhere(running, tmp_path):
    assistant, platforms, _ = running
    psid = new_user()
    phone = f"07700 {900000 + uuid.uuid4().int % 1000}"
    said = f"my phone number is {phone} and I was born 14/03/1985"
    status, _, _ = to_facebook(assistant, facebook_webhook(PAGE, messaging=[message(psid, said)]))
    assert status == 200
    assert wait_for(lambda: sent_to(platforms, psid), 90)
    conversation = f"facebook-private-{psid}"
    tracker = TrackerEvents(tracker_engine(Path(assistant._endpoints_file())), store_keys())
    assert wait_for(lambda: any(e.get("text") == said for e in tracker.events(conversation)), 30)

    out = tmp_path / "export.json"
    command(assistant, "export", "--account", f"facebook:{psid}", "--by", "Ada", "--out", str(out))

    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    [held] = json.loads(out.read_text())["conversations"]
    assert held["conversation_id"] == conversation
    texts = [e.get("text") for e in held["events"]]
    assert said in texts
    assert any(e.get("event") == "bot" and e.get("text") for e in held["events"])

    printed = command(assistant, "erase", "--conversation", conversation, "--by", "Ada", "--yes")

    assert f"Erased conversation {conversation}" in printed and phone not in printed
    assert tracker.events(conversation) == []
    store_file = Path(assistant.extra_env["DATABASE_URL"].removeprefix("sqlite:///"))
    assert conversation.encode() not in on_disk(store_file)
    again = tmp_path / "again.json"
    command(
        assistant, "export", "--account", f"facebook:{psid}", "--by", "Ada", "--out", str(again)
    )
    assert json.loads(again.read_text())["conversations"] == []
