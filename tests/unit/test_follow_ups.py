"""What a private message asked a tenant to tell us is passed on (P6, P7, P11).

A post hidden for naming staff says "tell us here and we'll pass it on"; antisocial
behaviour moved to private says "tell me here what's been happening". The author's
next private message, from whichever account, goes to the right team, once.
"""

from datetime import datetime, timedelta

import pytest

from bot.association import load_association
from bot.events import InboundEvent, Operation
from bot.handoff.handoffs import HandoffRepository, Reason
from bot.handoff.working_hours import WorkingCalendar
from bot.outbox import Outbox
from bot.screening.coordinator import Intent, Screening
from bot.screening.follow_ups import FOLLOW_UP_DAYS
from bot.screening.public_threads import Route
from bot.store import connect
from tests.helpers import ROOT, UK

ASSOCIATION = load_association(ROOT / "association.yml")
CALENDAR = WorkingCalendar.from_config(ASSOCIATION.monitoring)
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UK)
LATER = TUESDAY + timedelta(minutes=20)
STAFF_NAMED = "Karen Holt from the office came round about the damp yesterday"
ASB = "Antisocial behaviour from the neighbours again, it has been going on for weeks"
EXPLANATION = "She hung up on me twice when I rang about my rent, at 14 Elm Road AB1 2CD"


@pytest.fixture
def store(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    box = Outbox(engine)
    return Screening(engine, box, ASSOCIATION, CALENDAR), box, HandoffRepository(engine)


def comment(event_id, text, author="u1"):
    return InboundEvent(
        "facebook", "comment", event_id, "public", author, text, TUESDAY,
        post_id="p1", comment_id=f"c{event_id}",
    )  # fmt: skip


def messenger(event_id, text, psid="psid-1", at=LATER):
    return InboundEvent("facebook", "message", event_id, "private", psid, text, at)


def mention(event_id, text, author="x1"):
    return InboundEvent(
        "twitter", "mention", event_id, "public", author, text, TUESDAY, tweet_id=f"t{event_id}"
    )


def dm(event_id, text, author="x1", at=LATER):
    return InboundEvent("twitter", "direct_message", event_id, "private", author, text, at)


def sent_privately(box, event):
    return [
        m for m in box.messages()
        if m.operation in (Operation.MESSENGER_SEND, Operation.X_DM)
        and m.conversation_id == event.conversation_id
    ]  # fmt: skip


def hide_for_naming_staff(screening, author="u1", psid="psid-1"):
    """The staff-named comment is hidden, and the private reply reaches `psid`."""
    screened = screening.screen(
        comment("1", STAFF_NAMED, author), Intent("out_of_scope", 0.4), TUESDAY
    )
    assert screened.route is Route.REMOVE
    # What the outbox listener learns when the private reply reaches them in Messenger.
    screening.log.link("facebook", author, psid)
    return screened


def test_the_explanation_after_a_post_hidden_for_naming_staff_goes_to_customer_experience(store):
    screening, box, handoffs = store
    hide_for_naming_staff(screening)
    explanation = messenger("2", EXPLANATION)
    screened = screening.screen(explanation, Intent("make_complaint", 0.7), LATER)

    assert not screened.dialogue and screened.pause
    handoff = handoffs.open_for(explanation.conversation_id)
    assert (handoff.reason, handoff.team) == (Reason.STAFF_NAMED, "Customer Experience")
    assert handoff.conversation.conversation_id == "facebook-private-psid-1"
    # P5: staff read the account with the personal details redacted.
    assert "hung up on me twice" in handoff.summary.words
    assert "14 Elm Road" not in handoff.summary.words and "AB1 2CD" not in handoff.summary.words
    [told] = sent_privately(box, explanation)
    assert told.target == "psid-1"
    assert "passed what you've said to our Customer Experience team" in told.text
    assert "by 2:20pm" in told.text  # P3: 4 working hours from 10:20am
    assert screened.said == ((explanation.surface, told.text),)


def test_it_is_passed_on_once(store):
    screening, box, handoffs = store
    hide_for_naming_staff(screening)
    screening.screen(messenger("2", EXPLANATION), Intent("make_complaint", 0.7), LATER)
    again = screening.screen(messenger("2", EXPLANATION), Intent("make_complaint", 0.7), LATER)
    # Screened again after a crash: the same handoff, the tenant told once.
    assert [h.reason for h in handoffs.queue()] == [Reason.STAFF_NAMED]
    assert len(sent_privately(box, messenger("2", ""))) == 1
    assert again.pause
    # A further message is the dialogue's (and the handoff's thread), not passed on again.
    later = screening.screen(messenger("3", "also she was late"), Intent("make_complaint"), LATER)
    assert later.dialogue


def test_a_greeting_first_is_answered_and_the_explanation_still_awaited(store):
    screening, _, handoffs = store
    hide_for_naming_staff(screening)
    assert screening.screen(messenger("2", "hi"), Intent("greet", 0.99), LATER).dialogue
    screened = screening.screen(messenger("3", EXPLANATION), Intent("out_of_scope", 0.4), LATER)
    assert not screened.dialogue
    assert handoffs.open_for("facebook-private-psid-1").reason is Reason.STAFF_NAMED


def test_an_emergency_is_the_dialogues_first(store):
    screening, _, handoffs = store
    hide_for_naming_staff(screening)
    screened = screening.screen(
        messenger("2", "there's water pouring through my ceiling"),
        Intent("report_emergency", 0.95),
        LATER,
    )
    assert screened.dialogue
    assert handoffs.open_for("facebook-private-psid-1") is None


def test_someone_else_writing_privately_is_not_taken_for_the_author(store):
    screening, _, handoffs = store
    hide_for_naming_staff(screening)
    screened = screening.screen(
        messenger("2", EXPLANATION, psid="psid-2"), Intent("make_complaint", 0.7), LATER
    )
    assert screened.dialogue
    assert handoffs.queue() == []


def test_the_promise_lapses_after_a_week(store):
    screening, _, handoffs = store
    hide_for_naming_staff(screening)
    weeks_later = TUESDAY + timedelta(days=FOLLOW_UP_DAYS, minutes=1)
    screened = screening.screen(
        messenger("2", EXPLANATION, at=weeks_later), Intent("make_complaint", 0.7), weeks_later
    )
    assert screened.dialogue
    assert handoffs.queue() == []


def test_an_abusive_post_naming_staff_promises_nothing_so_nothing_is_awaited(store):
    screening, _, handoffs = store
    screening.screen(
        comment("1", "Karen Holt is a useless stupid cow"), Intent("abuse", 0.95), TUESDAY
    )
    screening.log.link("facebook", "u1", "psid-1")
    screened = screening.screen(messenger("2", EXPLANATION), Intent("make_complaint", 0.7), LATER)
    assert screened.dialogue


def test_an_account_of_antisocial_behaviour_after_moving_to_private_goes_to_neighbourhoods(store):
    screening, box, handoffs = store
    moved = screening.screen(comment("1", ASB), Intent("report_antisocial_behaviour", 0.9), TUESDAY)
    assert moved.route is Route.MOVE_PRIVATE
    assert "Tell me here what's been happening" in moved.said[-1][1]
    screening.log.link("facebook", "u1", "psid-1")
    account = messenger("2", "The lads at number 12 play music till 4am and shout at my kids")
    screened = screening.screen(account, Intent("report_antisocial_behaviour", 0.9), LATER)

    assert not screened.dialogue
    handoff = handoffs.open_for(account.conversation_id)
    assert (handoff.reason, handoff.team) == (Reason.ANTISOCIAL_BEHAVIOUR, "Neighbourhoods")
    assert "shout at my kids" in handoff.summary.words
    [told] = sent_privately(box, account)
    assert "passed what you've said to our Neighbourhoods team" in told.text
    assert "by 2:20pm" in told.text
    # P2: the emergency and police numbers stay.
    assert "999" in told.text and "101" in told.text


def test_on_x_the_same_user_id_writes_the_dm(store):
    screening, box, handoffs = store
    screening.screen(mention("1", ASB), Intent("report_antisocial_behaviour", 0.9), TUESDAY)
    account = dm("2", "The lads at number 12 play music till 4am and shout at my kids")
    screened = screening.screen(account, Intent("report_antisocial_behaviour", 0.9), LATER)
    assert not screened.dialogue
    assert handoffs.open_for("twitter-private-x1").team == "Neighbourhoods"
    [told] = sent_privately(box, account)
    assert (told.operation, told.target) == (Operation.X_DM, "x1")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        (STAFF_NAMED, "out_of_scope"),
        ("Karen Holt is lovely", "give_compliment"),
        ("Karen Holt is a useless stupid cow", "abuse"),
        (ASB, "report_antisocial_behaviour"),
        ("the f***ing neighbours are dealing drugs again", "report_antisocial_behaviour"),
        ("still waiting for my repair, disgraceful", "make_complaint"),
        ("whats my rent balance", "ask_rent_balance"),
        ("boiler broken, call 07700 900123", "report_repair"),
        ("check out http://bit.ly/x1", "out_of_scope"),
    ],
)
@pytest.mark.parametrize("platform", ["facebook", "twitter"])
def test_what_is_awaited_is_what_the_private_message_asks_for(text, intent, platform):
    """The follow-up is stored exactly when the private message promises to pass it on."""
    from bot.moderation import assess
    from bot.privacy import find
    from bot.screening.public_threads import awaits, triage, wording

    assessment = assess(text, ASSOCIATION.moderation.rules, abusive_intent=intent == "abuse")
    decided = triage(text, intent, assessment, find(text))
    private = wording(decided, platform, ASSOCIATION, reply_by="2pm").private or ""
    promises = {
        "staff_named": "tell us here and we'll pass it on",
        "antisocial_behaviour": "Tell me here what's been happening",
    }
    asked = awaits(decided)
    assert {kind for kind, words in promises.items() if words in private} == (
        {asked} if asked else set()
    )
