"""The privacy notice (P9): the first private conversation with an account opens with
who reads its messages, once per account, recorded when said; a public reply never
carries it. Through the Rasa server's real runtime (build_runtime) and its outbox."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete

from bot.association import load_association
from bot.channels.wiring import build_runtime
from bot.events import InboundEvent, Operation
from bot.protection.notice import NOTICE, PrivacyNotices, notice_text
from bot.settings import Settings
from bot.store import privacy_notices
from tests.helpers import ROOT, settings_keys

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
PRIVACY_URL = load_association(ROOT / "association.yml").pages["privacy_notice"]


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def runtime(tmp_path, clock):
    settings = Settings(
        ROOT / "association.yml", database_url=f"sqlite:///{tmp_path / 's.db'}", **settings_keys()
    )
    return build_runtime(settings, clock)


def event(platform, surface, author, number, **ids):
    return InboundEvent(
        platform, "message", f"{platform}.{author}.{number}", surface, author, "hi", NOW, **ids
    )


def sent(runtime, conversation_id):
    return [
        (m.operation, m.text)
        for m in runtime.outbox.messages()
        if m.conversation_id == conversation_id
    ]


async def test_the_first_private_reply_comes_after_the_notice_which_names_the_privacy_notice(
    runtime, clock
):
    first = event("facebook", "private", "psid-1", 1)
    await runtime.enqueue_reply(first, "Hello! How can I help?", 0)
    await runtime.enqueue_reply(first, "You can also ring us.", 1)
    notice = notice_text(PRIVACY_URL)
    assert sent(runtime, first.conversation_id) == [
        (Operation.MESSENGER_SEND, notice),
        (Operation.MESSENGER_SEND, "Hello! How can I help?"),
        (Operation.MESSENGER_SEND, "You can also ring us."),
    ]
    for words in ("Communications and Customer teams", "other departments", "your file"):
        assert words in notice
    assert PRIVACY_URL in notice
    assert PrivacyNotices(runtime.intake.engine).said_at("facebook", "psid-1") == NOW


async def test_a_later_conversation_of_the_same_account_does_not_hear_it_again(runtime, clock):
    await runtime.enqueue_reply(event("twitter", "private", "u-1", 1), "Hi", 0)
    clock.now += timedelta(days=3)  # a new session, days later
    later = event("twitter", "private", "u-1", 2)
    await runtime.enqueue_reply(later, "Hello again", 0)
    texts = [text for _, text in sent(runtime, later.conversation_id)]
    assert texts.count(notice_text(PRIVACY_URL)) == 1 and texts[-1] == "Hello again"
    assert PrivacyNotices(runtime.intake.engine).said_at("twitter", "u-1") == NOW


async def test_each_account_hears_it_once_on_each_platform(runtime):
    for platform, author in (("facebook", "same-1"), ("twitter", "same-1"), ("facebook", "other-2")):
        reply = event(platform, "private", author, 1)
        await runtime.enqueue_reply(reply, "Hi", 0)
        assert sent(runtime, reply.conversation_id)[0][1] == notice_text(PRIVACY_URL)


async def test_a_public_reply_never_carries_it(runtime):
    comment = event("facebook", "public", "psid-9", 1, comment_id="c-1", post_id="p-1")
    await runtime.enqueue_reply(comment, "Please send us a private message", 0)
    assert sent(runtime, comment.conversation_id) == [
        (Operation.PUBLIC_REPLY, "Please send us a private message")
    ]
    assert PrivacyNotices(runtime.intake.engine).said_at("facebook", "psid-9") is None
    # Their first private message then opens with it.
    private = event("facebook", "private", "psid-9", 2)
    await runtime.enqueue_reply(private, "Hello", 0)
    assert sent(runtime, private.conversation_id)[0][1] == notice_text(PRIVACY_URL)


async def test_handled_again_after_a_crash_before_it_was_recorded_it_is_sent_once(runtime):
    first = event("facebook", "private", "psid-3", 1)
    await runtime.enqueue_reply(first, "Hello", 0)
    # The crash: the notice and reply were queued, the record was lost.
    with runtime.intake.engine.begin() as connection:
        connection.execute(delete(privacy_notices))
    await runtime.enqueue_reply(first, "Hello", 0)  # the message handled again
    texts = [text for _, text in sent(runtime, first.conversation_id)]
    assert texts == [notice_text(PRIVACY_URL), "Hello"]
    assert PrivacyNotices(runtime.intake.engine).said_at("facebook", "psid-3") is not None


def test_the_notice_is_short_and_fits_every_platforms_private_message():
    text = notice_text(PRIVACY_URL)
    assert NOTICE.count("{url}") == 1 and len(text.encode()) < 1000  # Instagram: 1,000 bytes
