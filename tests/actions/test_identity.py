"""The identity actions: gate, form validation, check and disclosure (P4)."""

import asyncio
import threading
from dataclasses import asdict
from datetime import datetime, timedelta, timezone

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.identity import (
    ActionResumeIdentityCheck,
    ActionTenancyGate,
    ActionVerifyIdentity,
)
from actions.identity_form import ValidateIdentityForm
from actions.session import ActionSessionStart
from actions.tenancy import ActionAnswerTenancyQuestion
from bot.association import load_association
from bot.store import identity_attempts
from bot.tenancy.answers import locator
from bot.tenancy.identity import IdentityChecks, Verification
from bot.tenancy.masking import SECURITY_SLOTS
from bot.tenancy.security_question import HashScheme, Sealer
from tests.helpers import CALENDAR, ROOT, TEST_WORK_FACTOR, demo_tenancies, domain, make_tracker

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
PRIVATE = {"platform": "facebook", "surface": "private", "author_id": "psid-1"}
PUBLIC = {"platform": "facebook", "surface": "public", "author_id": "psid-1"}
SEALER = Sealer(Sealer.new_key())


@pytest.fixture
def store(tmp_path):
    engine, repository = demo_tenancies(f"sqlite:///{tmp_path / 'store.db'}")
    checks = IdentityChecks(engine, repository, HashScheme.fresh(n=TEST_WORK_FACTOR))
    return checks, repository


def clock(now=NOW):
    return lambda: now


def slots_of(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def responses(dispatcher):
    return [m["response"] for m in dispatcher.messages]


async def run(action, **tracker_args):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, make_tracker(**tracker_args), domain())
    return events, dispatcher


def gate(store, now=NOW):
    return ActionTenancyGate(store[0], SEALER, CALENDAR, clock(now))


def sealed_verification(tenancy_id, person_id, at=NOW, account="facebook:psid-1"):
    verification = Verification(account, "tenant-1", tenancy_id, person_id, at)
    return SEALER.seal(verification.as_dict())


def user_at(t):
    return {"event": "user", "timestamp": t.timestamp(), "text": "..."}


def person(repository, reference, role):
    tenancy = repository.find(locator(reference))
    return next(p for p, _ in repository.people(tenancy.id) if p.role.value == role)


# The gate


async def test_in_public_no_check_starts(store):
    events, dispatcher = await run(gate(store), intent="ask_rent_balance", metadata=PUBLIC)
    assert slots_of(events) == {"tenancy_question": "rent", "identity_status": "public"}
    assert dispatcher.messages == []


async def test_an_unverified_sender_is_sent_to_the_questions_from_the_first(store):
    left_over = {"security_locator": "gAAAA-sealed-answer-of-a-stopped-check"}
    events, _ = await run(
        gate(store), intent="ask_repair_status", metadata=PRIVATE, slots=left_over
    )
    assert slots_of(events) == {
        "tenancy_question": "repairs",
        "identity_status": "unverified",
        "security_locator": None,
        "security_name": None,
        "security_date_of_birth": None,
    }


async def test_a_current_verification_of_this_sender_lets_the_answer_through(store):
    margaret = person(store[1], "TEN-204817", "tenant")
    slots = {"identity_verification": sealed_verification(margaret.tenancy_id, margaret.id)}
    now = NOW + timedelta(minutes=5)
    events, _ = await run(
        gate(store, now),
        intent="ask_rent_balance",
        metadata=PRIVATE,
        slots=slots,
        events=[user_at(now)],
    )
    assert slots_of(events)["identity_status"] == "verified"


@pytest.mark.parametrize(
    "metadata, minutes_later, sealed_with",
    [
        ({**PRIVATE, "author_id": "psid-2"}, 5, SEALER),  # another sender
        (PRIVATE, 31, SEALER),  # idle too long
        (PRIVATE, 5, Sealer(Sealer.new_key())),  # not sealed by this server
    ],
)
async def test_anyone_else_or_later_must_verify_again(store, metadata, minutes_later, sealed_with):
    margaret = person(store[1], "TEN-204817", "tenant")
    verification = Verification(
        "facebook:psid-1", "tenant-1", margaret.tenancy_id, margaret.id, NOW
    )
    slots = {"identity_verification": sealed_with.seal(verification.as_dict())}
    now = NOW + timedelta(minutes=minutes_later)
    events, _ = await run(
        gate(store, now),
        intent="ask_rent_balance",
        metadata=metadata,
        slots=slots,
        events=[user_at(now)],
    )
    assert slots_of(events)["identity_status"] == "unverified"


async def test_a_forged_verification_in_clear_is_not_trusted(store):
    margaret = person(store[1], "TEN-204817", "tenant")
    forged = Verification("facebook:psid-1", "tenant-1", margaret.tenancy_id, margaret.id, NOW)
    events, _ = await run(
        gate(store),
        intent="ask_rent_balance",
        metadata=PRIVATE,
        slots={"identity_verification": forged.as_dict()},
    )
    assert slots_of(events)["identity_status"] == "unverified"


# The form's answers


def validator():
    return ValidateIdentityForm(SEALER, CALENDAR, clock())


async def answer(slot, text, intent="inform", metadata=PRIVATE):
    return await run(
        validator(), text=text, intent=intent, metadata=metadata, slots={"requested_slot": slot}
    )


REFERENCE = {"reference": "TEN-204817", "postcode": None, "address": None}
ADDRESS = {"reference": None, "postcode": "LS6 2AB", "address": "14 elm road"}


@pytest.mark.parametrize(
    "slot, text, opened",
    [
        ("security_locator", "ten 204817", REFERENCE),
        ("security_locator", "14 elm rd ls62ab", ADDRESS),
        ("security_name", "My name is Margaret Thompson", "margaret thompson"),
        ("security_date_of_birth", "12th april 58", "1958-04-12"),
    ],
)
async def test_each_answer_is_sealed_at_once_in_canonical_form(slot, text, opened):
    events, dispatcher = await answer(slot, text)
    [event] = [e for e in events if e["event"] == "slot" and e["name"] == slot]
    assert SEALER.open(event["value"]) == [slot, opened]
    assert text.lower() not in str(events).lower()
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "slot, text",
    [
        ("security_locator", "i dont know it"),
        ("security_name", "Margaret"),
        ("security_date_of_birth", "a long time ago"),
    ],
)
async def test_a_reply_without_an_answer_is_asked_again_with_a_hint(slot, text):
    events, dispatcher = await answer(slot, text)
    assert slots_of(events)[slot] is None
    assert responses(dispatcher) == [f"utter_invalid_{slot}"]


async def test_the_slots_emptied_before_the_form_starts_get_no_hints():
    # The gate empties every security slot just before the form starts; the form then
    # asks for them as "slots set since the message", none of them asked yet.
    emptied = [{"event": "slot", "name": slot, "value": None} for slot in SECURITY_SLOTS]
    tracker = make_tracker(
        text="how much rent do i owe", intent="ask_rent_balance", metadata=PRIVATE, events=emptied
    )
    dispatcher = CollectingDispatcher()
    events = await validator().run(dispatcher, tracker, domain())
    assert dispatcher.messages == []
    assert all(e.get("value") is None for e in events if e["event"] == "slot")


@pytest.mark.parametrize("slot", list(SECURITY_SLOTS))
@pytest.mark.parametrize("text", ["stop", "Cancel", "never mind", "stop please", "forget it"])
async def test_stop_at_any_question_ends_the_check_and_is_no_answer(slot, text):
    events, dispatcher = await answer(slot, text, intent="affirm")
    assert slots_of(events) == {
        **{s: None for s in SECURITY_SLOTS},
        "identity_status": "stopped",
        "requested_slot": None,
    }
    assert [e["name"] for e in events if e["event"] == "active_loop"] == [None]
    assert dispatcher.messages == []


async def test_a_stopped_check_checks_nothing(store):
    action = ActionVerifyIdentity(store[0], SEALER, CALENDAR, clock())
    events, _ = await run(action, metadata=PRIVATE, slots={"identity_status": "stopped"})
    assert slots_of(events)["identity_status"] == "stopped"
    with store[0]._engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(identity_attempts)).scalar() == 0


@pytest.mark.parametrize("intent", ["report_emergency", "report_repair", "request_human", "deny"])
async def test_an_interruption_is_left_to_its_own_rules(intent):
    events, dispatcher = await answer("security_name", "no I want a person now", intent=intent)
    assert events == [] and dispatcher.messages == []


async def test_a_real_answer_is_taken_whatever_the_intent_says():
    events, _ = await answer("security_date_of_birth", "12/04/1958", intent="deny")
    assert SEALER.open(slots_of(events)["security_date_of_birth"])[1] == "1958-04-12"


async def test_nothing_is_taken_from_a_public_message():
    events, _ = await answer("security_name", "Margaret Thompson", metadata=PUBLIC)
    assert events == []


# The check


def sealed_answers(locator_text, name, born):
    return {
        "security_locator": SEALER.seal(["security_locator", asdict(locator(locator_text))]),
        "security_name": SEALER.seal(["security_name", name]),
        "security_date_of_birth": SEALER.seal(["security_date_of_birth", born]),
    }


def verify(store, now=NOW):
    return ActionVerifyIdentity(store[0], SEALER, CALENDAR, clock(now))


RIGHT = sealed_answers("TEN-204817", "margaret thompson", "1958-04-12")
WRONG = sealed_answers("TEN-204817", "margaret thompson", "1958-04-13")


async def test_the_right_answers_verify_this_sender_in_this_conversation(store):
    events, _ = await run(verify(store), metadata=PRIVATE, slots=RIGHT)
    slots = slots_of(events)
    assert slots["identity_status"] == "verified"
    verification = Verification.from_dict(SEALER.open(slots["identity_verification"]))
    assert (verification.account, verification.conversation_id) == ("facebook:psid-1", "tenant-1")
    assert all(slots[name] is None for name in RIGHT)


async def test_wrong_answers_fail_and_the_third_failure_locks(store):
    statuses = []
    for minute in range(3):
        events, dispatcher = await run(
            verify(store, NOW + timedelta(minutes=minute)), metadata=PRIVATE, slots=WRONG
        )
        statuses.append(slots_of(events)["identity_status"])
        assert dispatcher.messages == []
    assert statuses == ["failed", "failed", "locked"]
    assert "identity_locked_until" in slots_of(events)
    events, _ = await run(gate(store, NOW + timedelta(minutes=5)), metadata=PRIVATE)
    assert slots_of(events)["identity_status"] == "locked"


@pytest.mark.parametrize(
    "metadata, slots, status",
    [
        (PUBLIC, RIGHT, "public"),
        (PRIVATE, {**RIGHT, "security_name": "margaret thompson"}, "failed"),
        (PRIVATE, {**RIGHT, "security_name": RIGHT["security_locator"]}, "failed"),
    ],
)
async def test_public_or_unreadable_answers_are_not_checked(store, metadata, slots, status):
    events, _ = await run(verify(store), metadata=metadata, slots=slots)
    assert slots_of(events)["identity_status"] == status
    with store[1]._engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(identity_attempts)).scalar() == 0


# Carrying on after an interruption (a repair typed at a question)


def resume(store, now=NOW):
    return ActionResumeIdentityCheck(store[0], SEALER, CALENDAR, clock(now))


def given_at(at, **answers):
    """Sealed answers as the form keeps them, sealed at `at`."""
    sealed = {
        "security_locator": lambda t: ["security_locator", asdict(locator(t))],
        "security_name": lambda t: ["security_name", t],
        "security_date_of_birth": lambda t: ["security_date_of_birth", t],
    }
    return {slot: SEALER.seal(sealed[slot](text), at=at) for slot, text in answers.items()}


async def test_yes_carries_on_at_the_question_reached_and_checks_once(store):
    # The locator and name were given before a repair interrupted, ten minutes ago.
    kept = given_at(
        NOW - timedelta(minutes=10),
        security_locator="TEN-204817",
        security_name="margaret thompson",
    )
    events, dispatcher = await run(
        resume(store), text="yes please", intent="affirm", metadata=PRIVATE, slots=kept
    )
    assert slots_of(events) == {"identity_status": "unverified"}  # answers left as they are
    assert dispatcher.messages == []
    # The form starts again: the kept answers pass its validation sealed as they were,
    # and only the date of birth is left to ask.
    tracker = make_tracker(
        text="yes please",
        intent="affirm",
        metadata=PRIVATE,
        slots=kept,
        events=[
            {"event": "user", "text": "yes please"},
            *({"event": "slot", "name": n, "value": v} for n, v in kept.items()),
        ],
    )
    dispatcher = CollectingDispatcher()
    validated = slots_of(await validator().run(dispatcher, tracker, domain()))
    assert validated == kept and dispatcher.messages == []
    # One complete check, one attempt: verified with the answers given before and after.
    born = SEALER.seal(["security_date_of_birth", "1958-04-12"])
    events, _ = await run(
        verify(store), metadata=PRIVATE, slots={**kept, "security_date_of_birth": born}
    )
    assert slots_of(events)["identity_status"] == "verified"
    with store[0]._engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(identity_attempts)).scalar() == 1


async def test_a_resumed_check_that_fails_counts_once(store):
    kept = given_at(NOW - timedelta(minutes=10), security_locator="TEN-204817")
    events, _ = await run(resume(store), text="yes", intent="affirm", metadata=PRIVATE, slots=kept)
    assert slots_of(events) == {"identity_status": "unverified"}
    wrong = {**WRONG, "security_locator": kept["security_locator"]}
    events, _ = await run(verify(store), metadata=PRIVATE, slots=wrong)
    assert slots_of(events)["identity_status"] == "failed"
    with store[0]._engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(identity_attempts)).scalar() == 1
    # Two more failures lock the account, as three failures always do.
    for minute in (1, 2):
        events, _ = await run(
            verify(store, NOW + timedelta(minutes=minute)), metadata=PRIVATE, slots=WRONG
        )
    assert slots_of(events)["identity_status"] == "locked"


@pytest.mark.parametrize(
    "text, intent",
    [("no", "deny"), ("no thanks", "deny"), ("stop", "affirm"), ("never mind", "greet")],
)
async def test_no_or_stop_ends_the_interrupted_check_with_nothing_kept(store, text, intent):
    kept = given_at(NOW, security_locator="TEN-204817")
    events, _ = await run(resume(store), text=text, intent=intent, metadata=PRIVATE, slots=kept)
    assert slots_of(events) == {
        **{slot: None for slot in SECURITY_SLOTS},
        "identity_status": "stopped",
    }


async def test_answers_older_than_the_limit_are_not_taken_up_again(store):
    kept = {
        **given_at(NOW - timedelta(minutes=31), security_locator="TEN-204817"),
        **given_at(NOW - timedelta(minutes=2), security_name="margaret thompson"),
    }
    events, _ = await run(resume(store), text="yes", intent="affirm", metadata=PRIVATE, slots=kept)
    assert slots_of(events) == {
        **{slot: None for slot in SECURITY_SLOTS},
        "identity_status": "unverified",
    }


async def test_answers_not_sealed_by_this_server_are_not_taken_up_again(store):
    forged = {"security_locator": Sealer(Sealer.new_key()).seal(["security_locator", REFERENCE])}
    events, _ = await run(
        resume(store), text="yes", intent="affirm", metadata=PRIVATE, slots=forged
    )
    assert slots_of(events)["security_locator"] is None


async def test_a_locked_account_is_not_taken_back_to_the_questions(store):
    for minute in range(3):
        await run(verify(store, NOW + timedelta(minutes=minute)), metadata=PRIVATE, slots=WRONG)
    kept = given_at(NOW, security_locator="TEN-204817")
    later = NOW + timedelta(minutes=5)
    events, _ = await run(
        resume(store, later), text="yes", intent="affirm", metadata=PRIVATE, slots=kept
    )
    slots = slots_of(events)
    assert slots["identity_status"] == "locked" and slots["security_locator"] is None
    with store[0]._engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(identity_attempts)).scalar() == 3


# Disclosure


def answerer(store):
    return ActionAnswerTenancyQuestion(store[1], SEALER, CALENDAR, clock())


async def ask(store, reference, role, question, metadata=PRIVATE):
    who = person(store[1], reference, role)
    slots = {
        "tenancy_question": question,
        "identity_verification": sealed_verification(who.tenancy_id, who.id),
    }
    return await run(answerer(store), metadata=metadata, slots=slots, events=[user_at(NOW)])


async def test_a_verified_tenant_hears_the_balance_and_last_payment(store):
    _, dispatcher = await ask(store, "TEN-204817", "tenant", "rent")
    [message] = dispatcher.messages
    assert message["response"] == "utter_rent_balance"
    assert message["rent_balance"] == "£123.45 in arrears"
    assert message["last_payment"] == "£95.50 by Direct Debit on Monday 9 November 2026"


async def test_a_verified_tenant_hears_their_own_repairs_only(store):
    _, dispatcher = await ask(store, "TEN-204817", "tenant", "repairs")
    [message] = dispatcher.messages
    assert "R-30117" in message["repairs_list"] and "R-29980" in message["repairs_list"]
    assert "8am to 12pm" in message["repairs_list"]
    assert "R-31002" not in str(dispatcher.messages)  # tenancy TEN-318552's repair


async def test_an_authorised_contact_hears_only_what_was_authorised(store):
    _, rent = await ask(store, "TEN-204817", "authorised_contact", "rent")
    _, repairs = await ask(store, "TEN-204817", "authorised_contact", "repairs")
    assert responses(rent) == ["utter_rent_balance"]
    assert responses(repairs) == ["utter_not_authorised"]
    _, sister = await ask(store, "TEN-450091", "authorised_contact", "rent")
    assert responses(sister) == ["utter_not_authorised"]


async def test_nothing_is_disclosed_without_a_current_verification(store):
    events, dispatcher = await run(
        answerer(store), metadata=PRIVATE, slots={"tenancy_question": "rent"}
    )
    assert responses(dispatcher) == ["utter_security_check_first"]
    _, public = await ask(store, "TEN-204817", "tenant", "rent", metadata=PUBLIC)
    assert responses(public) == ["utter_tenancy_in_private"]


async def test_a_new_session_forgets_the_verification():
    association = load_association(ROOT / "association.yml")
    tracker = make_tracker(
        slots={"identity_verification": "sealed:x", "identity_status": "verified", "other": 1}
    )
    events = await ActionSessionStart(association).run(CollectingDispatcher(), tracker, domain())
    carried = {e["name"] for e in events if e["event"] == "slot"}
    assert "other" in carried
    assert not carried & {"identity_verification", "identity_status"}


async def test_a_rest_message_cannot_pass_for_a_facebook_account(store):
    margaret = person(store[1], "TEN-204817", "tenant")
    slots = {"identity_verification": sealed_verification(margaret.tenancy_id, margaret.id)}
    claimed = {"event": "user", "timestamp": NOW.timestamp(), "input_channel": "rest"}
    events, _ = await run(
        gate(store), intent="ask_rent_balance", metadata=PRIVATE, slots=slots, events=[claimed]
    )
    assert slots_of(events)["identity_status"] == "unverified"


# Off the event loop: a slow check does not hold up other tenants.


class BlockingChecks:
    """Checks that block until another coroutine on the loop lets them go."""

    def __init__(self, checks):
        self._checks = checks
        self.release = threading.Event()

    def account_locked_until(self, account, now):
        assert self.release.wait(timeout=10), "the event loop was blocked"
        return self._checks.account_locked_until(account, now)

    def attempt(self, *args):
        assert self.release.wait(timeout=10), "the event loop was blocked"
        return self._checks.attempt(*args)


async def _while_running(action, release, **tracker_args):
    """Run `action`; meanwhile another coroutine on the same loop releases it."""

    async def other_tenant():
        await asyncio.sleep(0)
        release.set()

    (events, _), _ = await asyncio.gather(run(action, **tracker_args), other_tenant())
    return events


async def test_a_check_runs_off_the_event_loop(store):
    checks = BlockingChecks(store[0])
    slots = {
        "security_locator": SEALER.seal(["security_locator", asdict(locator("TEN-204817"))]),
        "security_name": SEALER.seal(["security_name", "margaret thompson"]),
        "security_date_of_birth": SEALER.seal(["security_date_of_birth", "1958-04-12"]),
    }
    action = ActionVerifyIdentity(checks, SEALER, CALENDAR, clock())
    events = await _while_running(action, checks.release, metadata=PRIVATE, slots=slots)
    assert slots_of(events)["identity_status"] == "verified"


async def test_the_gate_reads_locks_off_the_event_loop(store):
    checks = BlockingChecks(store[0])
    action = ActionTenancyGate(checks, SEALER, CALENDAR, clock())
    events = await _while_running(
        action, checks.release, intent="ask_rent_balance", metadata=PRIVATE
    )
    assert slots_of(events)["identity_status"] == "unverified"
