"""The privacy notice (P9): the first private conversation with an account carries who
reads its messages, right after the assistant's answer (nothing waits in front of an
answer; an emergency's notice waits for the next conversation, P2), once per account;
it is stamped when the platform took it; a public reply never carries it. Through the
Rasa server's real runtime (build_runtime): its intake, screening, outbox and outbox
worker, with the dialogue and the platform played by stand-ins."""

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
from tests.helpers import ROOT, Clock, settings_keys
from tests.server.stand_ins import Agent

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
PRIVACY_URL = load_association(ROOT / "association.yml").pages["privacy_notice"]
TEXT = notice_text(PRIVACY_URL)


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
    return Clock(NOW)


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


def answering(*texts):
    """A dialogue that answers every message with `texts`."""

    async def dialogue(user_message):
        for text in texts:
            await user_message.output_channel.send_text_message(user_message.sender_id, text)

    return dialogue


def event(platform, surface, author, number, text="hello", **ids):
    return InboundEvent(
        platform, "message", f"{platform}.{author}.{number}", surface, author, text, NOW, **ids
    )


async def handle(runtime, event, dialogue, intent="greet"):
    """The message through the runtime as the intake loop hands it over."""
    await runtime.accept([event])
    (claimed,) = runtime.intake.claim(runtime._clock() + timedelta(seconds=1))
    await runtime._process(Agent(intent), claimed, dialogue)


def queued(runtime, conversation_id):
    return [m.text for m in runtime.outbox.messages() if m.conversation_id == conversation_id]


async def test_the_notice_follows_the_first_private_answer_and_names_the_privacy_notice(runtime):
    first = event("facebook", "private", "psid-1", 1)
    await handle(runtime, first, answering("Hello! How can I help?", "You can also ring us."))
    assert queued(runtime, first.conversation_id) == [
        "Hello! How can I help?",
        "You can also ring us.",
        TEXT,
    ]
    [notice] = [m for m in runtime.outbox.messages() if m.text == TEXT]
    assert notice.operation is Operation.MESSENGER_SEND and notice.target == "psid-1"
    for words in ("Communications and Customer teams", "other departments", "your file"):
        assert words in TEXT
    assert PRIVACY_URL in TEXT


async def test_it_is_stamped_when_the_platform_took_it(runtime, clock, platform):
    await handle(runtime, event("facebook", "private", "psid-2", 1), answering("Hello"))
    assert notices(runtime).queued("facebook", "psid-2")
    assert notices(runtime).said_at("facebook", "psid-2") is None  # not said yet
    clock.now += timedelta(seconds=30)
    runtime.drain_outbox()
    assert platform.sent == ["Hello", TEXT]
    assert notices(runtime).said_at("facebook", "psid-2") == clock.now


async def test_a_notice_the_platform_refused_goes_with_the_next_conversation(
    runtime, clock, platform
):
    await handle(runtime, event("facebook", "private", "psid-3", 1), answering("Hello"))
    platform.refuse = True
    runtime.drain_outbox()
    assert not notices(runtime).queued("facebook", "psid-3")
    platform.refuse = False
    later = event("facebook", "private", "psid-3", 2)
    await handle(runtime, later, answering("Hello again"))
    assert queued(runtime, later.conversation_id)[-2:] == ["Hello again", TEXT]


async def test_a_later_conversation_of_the_same_account_does_not_hear_it_again(runtime, clock):
    await handle(runtime, event("twitter", "private", "u-1", 1), answering("Hi"))
    clock.now += timedelta(days=3)  # a new session, days later
    later = event("twitter", "private", "u-1", 2)
    await handle(runtime, later, answering("Hello again"))
    assert queued(runtime, later.conversation_id).count(TEXT) == 1


async def test_each_account_hears_it_once_on_each_platform(runtime):
    for platform, author in (("facebook", "same-1"), ("twitter", "same-1"), ("facebook", "o-2")):
        first = event(platform, "private", author, 1)
        await handle(runtime, first, answering("Hi"))
        assert queued(runtime, first.conversation_id) == ["Hi", TEXT]


async def test_an_emergency_gets_its_contacts_with_nothing_after_them_but_its_answer(runtime):
    gas = event("facebook", "private", "psid-5", 1, "I can smell gas")
    contacts = "Gas leak? Call the National Gas Emergency Service on 0800 111 999."
    await handle(runtime, gas, answering(contacts, "I've made it urgent."), "report_emergency")
    assert queued(runtime, gas.conversation_id) == [contacts, "I've made it urgent."]
    assert not notices(runtime).queued("facebook", "psid-5")  # it waits for the next one
    later = event("facebook", "private", "psid-5", 2, "thanks")
    await handle(runtime, later, answering("You're welcome"))
    assert queued(runtime, later.conversation_id)[-2:] == ["You're welcome", TEXT]


async def test_a_public_reply_never_carries_it(runtime):
    comment = event(
        "facebook",
        "public",
        "psid-9",
        1,
        "what are your opening hours",
        comment_id="c-1",
        post_id="p-1",
    )
    await handle(runtime, comment, answering("We're here 9 to 5"), "ask_opening_hours")
    assert TEXT not in queued(runtime, comment.conversation_id)
    assert not notices(runtime).queued("facebook", "psid-9")
    # Their first private message then carries it.
    private = event("facebook", "private", "psid-9", 2)
    await handle(runtime, private, answering("Hello"))
    assert queued(runtime, private.conversation_id) == ["Hello", TEXT]


async def test_handled_again_after_a_crash_before_it_was_recorded_it_is_sent_once(runtime):
    first = event("facebook", "private", "psid-4", 1)
    await handle(runtime, first, answering("Hello"))
    # The crash: the answer and the notice were queued, the record was lost.
    with runtime.intake.engine.begin() as connection:
        connection.execute(delete(privacy_notices))
    await runtime._notice_after(runtime._notices, first)  # the message handled again
    assert queued(runtime, first.conversation_id) == ["Hello", TEXT]
    assert notices(runtime).queued("facebook", "psid-4")


def test_the_notice_is_short_and_fits_every_platforms_private_message():
    assert NOTICE.count("{url}") == 1 and len(TEXT.encode()) < 1000  # Instagram: 1,000 bytes


async def test_a_warning_for_abuse_is_not_followed_by_it(runtime):
    rude = event("facebook", "private", "psid-6", 1, "you useless lot")
    await handle(runtime, rude, answering("Please keep things civil."), "abuse")
    assert queued(runtime, rude.conversation_id) == ["Please keep things civil."]
    assert not notices(runtime).queued("facebook", "psid-6")
