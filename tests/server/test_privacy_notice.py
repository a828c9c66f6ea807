"""The privacy notice (P9): the first private conversation with an account carries who
reads its messages, right after the assistant's first reply (nothing waits in front of
an answer, P2), once per account; it is stamped when the platform took it; a public
reply never carries it. Through the Rasa server's real runtime (build_runtime), its
outbox and its outbox worker, against a recording stand-in for the platform."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete

from bot.association import load_association
from bot.channels.wiring import build_runtime
from bot.events import InboundEvent, Operation
from bot.outbox import PlatformError
from bot.protection.notice import NOTICE, PrivacyNotices, notice_text
from bot.settings import Settings
from bot.store import privacy_notices
from tests.helpers import ROOT, settings_keys

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
PRIVACY_URL = load_association(ROOT / "association.yml").pages["privacy_notice"]
TEXT = notice_text(PRIVACY_URL)


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


class Platform:
    """Takes every call, or refuses each for good."""

    def __init__(self):
        self.refuse = False
        self.sent = []

    def __call__(self, message, now):
        if self.refuse:
            raise PlatformError("HTTP 400 outside the messaging window", transient=False)
        self.sent.append(message.text)
        return f"id-{len(self.sent)}"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def platform():
    return Platform()


@pytest.fixture
def runtime(tmp_path, clock, platform):
    settings = Settings(
        ROOT / "association.yml", database_url=f"sqlite:///{tmp_path / 's.db'}", **settings_keys()
    )
    runtime = build_runtime(settings, clock)
    runtime._worker._deliverers.update({"facebook": platform, "twitter": platform})
    return runtime


def notices(runtime):
    return PrivacyNotices(runtime.intake.engine)


def event(platform, surface, author, number, **ids):
    return InboundEvent(
        platform, "message", f"{platform}.{author}.{number}", surface, author, "hi", NOW, **ids
    )


def queued(runtime, conversation_id):
    return [
        (m.operation, m.text)
        for m in runtime.outbox.messages()
        if m.conversation_id == conversation_id
    ]


async def test_the_notice_follows_the_first_private_reply_and_names_the_privacy_notice(runtime):
    first = event("facebook", "private", "psid-1", 1)
    await runtime.enqueue_reply(first, "Hello! How can I help?", 0)
    await runtime.enqueue_reply(first, "You can also ring us.", 1)
    assert queued(runtime, first.conversation_id) == [
        (Operation.MESSENGER_SEND, "Hello! How can I help?"),
        (Operation.MESSENGER_SEND, TEXT),
        (Operation.MESSENGER_SEND, "You can also ring us."),
    ]
    for words in ("Communications and Customer teams", "other departments", "your file"):
        assert words in TEXT
    assert PRIVACY_URL in TEXT


async def test_it_is_stamped_when_the_platform_took_it(runtime, clock, platform):
    first = event("facebook", "private", "psid-2", 1)
    await runtime.enqueue_reply(first, "Hello", 0)
    assert notices(runtime).queued("facebook", "psid-2")
    assert notices(runtime).said_at("facebook", "psid-2") is None  # not said yet
    clock.now += timedelta(seconds=30)
    while runtime.drain_outbox():
        pass
    assert platform.sent == ["Hello", TEXT]
    assert notices(runtime).said_at("facebook", "psid-2") == clock.now


async def test_a_notice_the_platform_refused_goes_with_the_next_conversation(
    runtime, clock, platform
):
    first = event("facebook", "private", "psid-3", 1)
    await runtime.enqueue_reply(first, "Hello", 0)
    platform.refuse = True
    while runtime.drain_outbox():
        pass
    assert not notices(runtime).queued("facebook", "psid-3")
    platform.refuse = False
    later = event("facebook", "private", "psid-3", 2)
    await runtime.enqueue_reply(later, "Hello again", 0)
    assert [t for _, t in queued(runtime, later.conversation_id)][-2:] == ["Hello again", TEXT]


async def test_a_later_conversation_of_the_same_account_does_not_hear_it_again(runtime, clock):
    await runtime.enqueue_reply(event("twitter", "private", "u-1", 1), "Hi", 0)
    clock.now += timedelta(days=3)  # a new session, days later
    later = event("twitter", "private", "u-1", 2)
    await runtime.enqueue_reply(later, "Hello again", 0)
    texts = [text for _, text in queued(runtime, later.conversation_id)]
    assert texts.count(TEXT) == 1 and texts[-1] == "Hello again"


async def test_each_account_hears_it_once_on_each_platform(runtime):
    for platform, author in (("facebook", "same-1"), ("twitter", "same-1"), ("facebook", "o-2")):
        reply = event(platform, "private", author, 1)
        await runtime.enqueue_reply(reply, "Hi", 0)
        assert [t for _, t in queued(runtime, reply.conversation_id)] == ["Hi", TEXT]


async def test_a_public_reply_never_carries_it(runtime):
    comment = event("facebook", "public", "psid-9", 1, comment_id="c-1", post_id="p-1")
    await runtime.enqueue_reply(comment, "Please send us a private message", 0)
    assert queued(runtime, comment.conversation_id) == [
        (Operation.PUBLIC_REPLY, "Please send us a private message")
    ]
    assert not notices(runtime).queued("facebook", "psid-9")
    # Their first private message then carries it.
    private = event("facebook", "private", "psid-9", 2)
    await runtime.enqueue_reply(private, "Hello", 0)
    assert [t for _, t in queued(runtime, private.conversation_id)] == ["Hello", TEXT]


async def test_handled_again_after_a_crash_before_it_was_recorded_it_is_sent_once(runtime):
    first = event("facebook", "private", "psid-4", 1)
    await runtime.enqueue_reply(first, "Hello", 0)
    # The crash: the reply and the notice were queued, the record was lost.
    with runtime.intake.engine.begin() as connection:
        connection.execute(delete(privacy_notices))
    await runtime.enqueue_reply(first, "Hello", 0)  # the message handled again
    assert [t for _, t in queued(runtime, first.conversation_id)] == ["Hello", TEXT]
    assert notices(runtime).queued("facebook", "psid-4")


def test_the_notice_is_short_and_fits_every_platforms_private_message():
    assert NOTICE.count("{url}") == 1 and len(TEXT.encode()) < 1000  # Instagram: 1,000 bytes
