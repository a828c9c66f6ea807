"""The question after a conversation (P11), through the Rasa server's real runtime
(build_runtime): asked once when a handoff of a private conversation is closed, and
when a tenant ends a conversation the assistant resolved; the answer read before the
dialogue, a low rating with words passed to Customer Experience, a no respected."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.channels.wiring import build_runtime
from bot.events import InboundEvent
from bot.feedback.invitations import Invitation, Invitations
from bot.feedback.surveys import DECLINED, QUESTION, THANKS, THANKS_PASSED_ON
from bot.handoff.handoffs import Conversation, HandoffRepository, Priority, Reason, State
from bot.settings import Settings
from tests.helpers import ROOT, Clock, settings_keys
from tests.server.stand_ins import Agent

NOW = datetime(2026, 12, 1, 11, 0, tzinfo=timezone.utc)  # a Tuesday, in hours
PSID = "psid-7"
CONVERSATION = f"facebook-private-{PSID}"


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def runtime(tmp_path, clock):
    settings = Settings(
        ROOT / "association.yml", database_url=f"sqlite:///{tmp_path / 's.db'}", **settings_keys()
    )
    return build_runtime(settings, clock)


def message(text, number, author=PSID, platform="facebook", at=NOW):
    return InboundEvent(platform, "message", f"mid.{author}.{number}", "private", author, text, at)


async def handle(runtime, event, replies=(), intent="greet"):
    """The message through the runtime; the dialogue answers with `replies`."""
    dialogue_ran = []

    async def dialogue(user_message):
        dialogue_ran.append(user_message.text)
        for text in replies:
            await user_message.output_channel.send_text_message(user_message.sender_id, text)

    await runtime.accept([event])
    (claimed,) = runtime.intake.claim(runtime._clock() + timedelta(seconds=1))
    await runtime._process(Agent(intent), claimed, dialogue)
    return dialogue_ran


def sent(runtime, conversation_id=CONVERSATION):
    return [m.text for m in runtime.outbox.messages() if m.conversation_id == conversation_id]


def handoffs(runtime):
    return HandoffRepository(runtime.intake.engine)


async def a_closed_handoff(runtime, clock, reason=Reason.REQUEST_HUMAN, team=None):
    """The tenant wrote, a handoff was opened and staff closed it."""
    await handle(runtime, message("can i speak to a person", 1), ["I've passed you on."])
    conversation = Conversation(CONVERSATION, "facebook", "private", PSID)
    service = runtime.screening._handoffs
    handoff = service.open(reason, conversation, clock.now)
    clock.now += timedelta(minutes=30)
    handoffs(runtime).finish(handoff.id, State.CLOSED, clock.now, "Sam", lambda: None)
    return handoff


async def test_a_closed_handoff_leads_to_one_question(runtime, clock):
    await a_closed_handoff(runtime, clock)
    assert runtime.watch_alerts() >= 1
    assert sent(runtime).count(QUESTION) == 1
    clock.now += timedelta(minutes=5)
    runtime.watch_alerts()  # the next look asks nothing again
    assert sent(runtime).count(QUESTION) == 1


async def test_a_rating_of_1_with_words_goes_to_customer_experience(runtime, clock):
    await a_closed_handoff(runtime, clock)
    runtime.watch_alerts()
    clock.now += timedelta(minutes=10)
    ran = await handle(runtime, message("1 nobody came and nobody rang back", 2, at=clock.now))
    assert ran == []  # the answer is read before the dialogue
    assert sent(runtime)[-1] == THANKS_PASSED_ON
    [low] = [h for h in handoffs(runtime).queue() if h.reason is Reason.LOW_RATING]
    assert low.team == "Customer Experience" and low.priority is Priority.LOW
    assert low.summary.details["rating"] == "1 of 5"
    assert "nobody came" in (low.summary.words or "")


async def test_a_good_rating_is_thanked_and_passes_nothing_on(runtime, clock):
    await a_closed_handoff(runtime, clock)
    runtime.watch_alerts()
    await handle(runtime, message("5 brilliant", 2, at=clock.now))
    assert sent(runtime)[-1] == THANKS
    assert not [h for h in handoffs(runtime).queue() if h.reason is Reason.LOW_RATING]


async def test_a_no_is_respected_for_the_settings_days(runtime, clock):
    await a_closed_handoff(runtime, clock)
    runtime.watch_alerts()
    await handle(runtime, message("no thanks", 2, at=clock.now))
    assert sent(runtime)[-1] == DECLINED.format(days=90)
    # A conversation the assistant resolves later: not asked.
    clock.now += timedelta(days=2)
    await handle(runtime, message("thanks, bye", 3, at=clock.now), ["Bye for now."], "goodbye")
    assert sent(runtime).count(QUESTION) == 1


async def test_a_message_that_is_no_answer_goes_to_the_dialogue(runtime, clock):
    await a_closed_handoff(runtime, clock)
    runtime.watch_alerts()
    ran = await handle(runtime, message("my boiler is broken again", 2, at=clock.now), ["Oh no"])
    assert ran == ["my boiler is broken again"] and sent(runtime)[-1] == "Oh no"
    # The question lapsed: a later "5" is an ordinary message.
    ran = await handle(runtime, message("5", 3, at=clock.now), ["Sorry?"])
    assert ran == ["5"]


async def test_a_conversation_the_assistant_resolved_ends_with_the_question(runtime, clock):
    await handle(
        runtime, message("what are your opening hours", 1), ["9 to 5"], "ask_opening_hours"
    )
    assert QUESTION not in sent(runtime)
    await handle(runtime, message("thanks", 2), ["You're welcome!"], "thank")
    assert sent(runtime)[-1] == QUESTION
    await handle(runtime, message("bye", 3), ["Bye for now."], "goodbye")
    assert sent(runtime).count(QUESTION) == 1  # once a day


async def test_never_while_a_complaint_is_open(runtime, clock):
    await a_closed_handoff(runtime, clock)
    conversation = Conversation(CONVERSATION, "facebook", "private", PSID)
    runtime.screening._handoffs.open(Reason.COMPLAINT, conversation, clock.now)
    runtime.watch_alerts()
    assert QUESTION not in sent(runtime)


async def test_never_outside_messengers_window(runtime, clock):
    await a_closed_handoff(runtime, clock)
    clock.now += timedelta(hours=25)  # the tenant wrote more than a day ago
    handoffs_closed_late = runtime.surveys.store.recently_closed(clock.now - timedelta(days=2))
    assert handoffs_closed_late
    for row in handoffs_closed_late:
        assert row["conversation_id"] == CONVERSATION
    assert runtime.surveys.ask_after_closed(clock.now) == 0
    assert QUESTION not in sent(runtime)


async def test_an_open_survey_invitation_is_mentioned_at_the_end_of_the_exchange(runtime, clock):
    Invitations(runtime.intake.engine).add(
        Invitation(
            "i-1",
            "our new repairs service",
            "https://www.brookfieldhomes.example/have-your-say",
            NOW + timedelta(days=14),
            "Cara",
            NOW - timedelta(days=1),
        )
    )
    await a_closed_handoff(runtime, clock)
    runtime.watch_alerts()
    await handle(runtime, message("4 thanks", 2, at=clock.now))
    said = sent(runtime)[-1]
    assert said.startswith(THANKS) and "We're also asking tenants about our new repairs" in said
    assert "https://www.brookfieldhomes.example/have-your-say" in said


async def test_a_thanks_after_the_question_is_not_asked_a_second_one(runtime, clock):
    await a_closed_handoff(runtime, clock)
    runtime.watch_alerts()
    # "thanks" is no rating: the question lapses and the dialogue answers; the
    # conversation ends as one the assistant resolved, yet it was asked already.
    await handle(runtime, message("thanks", 2, at=clock.now), ["You're welcome!"], "thank")
    assert sent(runtime).count(QUESTION) == 1 and sent(runtime)[-1] == "You're welcome!"
