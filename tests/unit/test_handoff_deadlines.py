"""Deadlines (P2, P3): in working hours, urgent on the clock, each met or missed; the
staff queue; staff actions and their audit."""

from datetime import datetime, timedelta

import pytest

from bot.handoff.audit import HandoffAudit
from bot.handoff.handoffs import Conversation, Priority, Reason, State, TransitionError
from bot.handoff.service import HandoffService
from bot.store import connect
from tests.helpers import CALENDAR, TEAMS, UK


def uk(*args):
    return datetime(*args, tzinfo=UK)


MONDAY_TEN = uk(2026, 11, 23, 10, 0)


@pytest.fixture()
def engine(tmp_path):
    return connect(f"sqlite:///{tmp_path / 'assistant.db'}")


@pytest.fixture()
def service(engine):
    return HandoffService(engine, CALENDAR, TEAMS)


def tenant(name="tenant-1"):
    return Conversation(f"facebook-private-{name}", "facebook", "private", name)


@pytest.mark.parametrize(
    ("now", "acknowledge_by", "reply_by"),
    [
        # In hours: 2 and 4 working hours later, the same day.
        (MONDAY_TEN, uk(2026, 11, 23, 12, 0), uk(2026, 11, 23, 14, 0)),
        # Out of hours in the evening: counted from 9am the next morning.
        (uk(2026, 11, 23, 18, 0), uk(2026, 11, 24, 11, 0), uk(2026, 11, 24, 13, 0)),
        # Across a weekend: an hour on Friday, the rest on Monday.
        (uk(2026, 11, 27, 16, 0), uk(2026, 11, 30, 10, 0), uk(2026, 11, 30, 12, 0)),
        # Across Christmas 2026: Friday 25th and Monday 28th (Boxing Day's substitute) are
        # bank holidays, so Christmas Eve's last hour is followed by Tuesday 29th.
        (uk(2026, 12, 24, 16, 0), uk(2026, 12, 29, 10, 0), uk(2026, 12, 29, 12, 0)),
    ],
)
def test_a_normal_handoff_is_due_in_working_hours(service, now, acknowledge_by, reply_by):
    handoff = service.open(Reason.COMPLAINT, tenant(), now)
    assert (handoff.acknowledge_by, handoff.reply_by) == (acknowledge_by, reply_by)


@pytest.mark.parametrize(
    "now",
    [
        MONDAY_TEN,
        uk(2026, 11, 21, 3, 0),  # 3am on a Saturday
        uk(2026, 12, 25, 20, 0),  # Christmas night
    ],
)
def test_an_emergency_runs_on_the_clock_at_any_hour(service, now):
    """P2: 30 minutes to acknowledge, 2 hours to reply, whatever the calendar says."""
    handoff = service.open(Reason.EMERGENCY, tenant(), now)
    assert handoff.priority is Priority.URGENT
    assert handoff.acknowledge_by == now + timedelta(minutes=30)
    assert handoff.reply_by == now + timedelta(hours=2)


def test_an_emergency_raised_out_of_hours_brings_the_deadlines_forward(service):
    saturday = uk(2026, 11, 21, 3, 0)
    service.open(Reason.REQUEST_HUMAN, tenant(), uk(2026, 11, 20, 18, 0))
    raised = service.open(Reason.EMERGENCY, tenant(), saturday)
    assert raised.acknowledge_by == saturday + timedelta(minutes=30)


def test_the_first_reply_in_time_acknowledges_and_meets_both_deadlines(service):
    handoff = service.open(Reason.COMPLAINT, tenant(), MONDAY_TEN)
    at = MONDAY_TEN + timedelta(minutes=40)
    replied = service.repository.reply_sent(handoff.id, "Sam", at, holding=False)
    stored = service.repository.get(handoff.id)
    assert stored == replied
    assert (stored.acknowledged_at, stored.acknowledge_met) == (at, True)
    assert (stored.replied_at, stored.reply_met) == (at, True)
    assert (stored.state, stored.taken_by) == (State.ANSWERED, "Sam")


def test_a_holding_message_acknowledges_but_is_not_the_full_reply(service):
    """P3: where a query needs investigating, a holding message is sent."""
    handoff = service.open(Reason.COMPLAINT, tenant(), MONDAY_TEN)
    hold_at, full_at = MONDAY_TEN + timedelta(hours=1), MONDAY_TEN + timedelta(hours=5)
    service.repository.reply_sent(handoff.id, "Sam", hold_at, holding=True)
    held = service.repository.get(handoff.id)
    assert (held.acknowledged_at, held.acknowledge_met, held.replied_at) == (hold_at, True, None)
    assert held.state is State.TAKEN
    service.repository.reply_sent(handoff.id, "Sam", full_at, holding=False)
    done = service.repository.get(handoff.id)
    # Acknowledged once, at the holding message; the full reply came an hour late.
    assert (done.acknowledged_at, done.replied_at, done.reply_met) == (hold_at, full_at, False)


def test_a_passed_deadline_is_recorded_missed_once_when_noticed(service):
    handoff = service.open(Reason.COMPLAINT, tenant(), MONDAY_TEN)
    assert service.repository.record_missed(MONDAY_TEN + timedelta(hours=1)) == []
    at_one = MONDAY_TEN + timedelta(hours=3)
    [breach] = service.repository.record_missed(at_one)
    assert (breach.handoff.id, breach.deadline, breach.due) == (
        handoff.id,
        "acknowledge",
        handoff.acknowledge_by,
    )
    assert service.repository.record_missed(at_one + timedelta(minutes=5)) == []
    [late] = service.repository.record_missed(MONDAY_TEN + timedelta(hours=4, minutes=1))
    assert late.deadline == "reply"
    # A late reply is recorded with its time; the deadlines stay missed.
    at = MONDAY_TEN + timedelta(hours=6)
    service.repository.reply_sent(handoff.id, "Sam", at, holding=False)
    stored = service.repository.get(handoff.id)
    assert (stored.acknowledged_at, stored.acknowledge_met) == (at, False)
    assert (stored.replied_at, stored.reply_met) == (at, False)


def test_a_closed_handoff_misses_nothing(service):
    handoff = service.open(Reason.COMPLAINT, tenant(), MONDAY_TEN)
    service.repository.move(handoff.id, State.CLOSED, MONDAY_TEN, staff="Sam")
    assert service.repository.record_missed(MONDAY_TEN + timedelta(days=3)) == []


def test_a_compliment_has_no_reply_to_miss_and_is_acknowledged_by_taking_it(service):
    handoff = service.open(Reason.COMPLIMENT, tenant(), MONDAY_TEN)
    assert (handoff.priority, handoff.needs_reply) == (Priority.LOW, False)
    taken_at = MONDAY_TEN + timedelta(minutes=10)
    taken = service.repository.move(handoff.id, State.TAKEN, taken_at, staff="Sam")
    assert (taken.acknowledged_at, taken.acknowledge_met, taken.taken_by) == (
        taken_at,
        True,
        "Sam",
    )
    assert service.repository.record_missed(MONDAY_TEN + timedelta(days=3)) == []
    assert service.repository.get(handoff.id).due is None


def test_an_unread_compliment_still_misses_its_acknowledgement(service):
    service.open(Reason.COMPLIMENT, tenant(), MONDAY_TEN)
    breaches = service.repository.record_missed(MONDAY_TEN + timedelta(days=3))
    assert [b.deadline for b in breaches] == ["acknowledge"]


def test_the_queue_puts_emergencies_on_top_then_what_is_due_first(service):
    friday = uk(2026, 11, 20, 16, 0)
    answered = service.open(Reason.COMPLAINT, tenant("answered"), friday)
    service.repository.reply_sent(answered.id, "Sam", friday, holding=False)
    later = service.open(Reason.COMPLAINT, tenant("later"), MONDAY_TEN)
    earlier = service.open(Reason.REQUEST_HUMAN, tenant("earlier"), friday)
    acknowledged = service.open(Reason.COMPLAINT, tenant("acknowledged"), friday)
    # Acknowledged on Friday, its full reply is due Monday 11am: before `later`'s 12pm.
    service.repository.reply_sent(acknowledged.id, "Sam", friday, holding=True)
    urgent = service.open(Reason.EMERGENCY, tenant("urgent"), MONDAY_TEN + timedelta(hours=1))
    order = [h.id for h in service.repository.queue()]
    assert order == [urgent.id, earlier.id, acknowledged.id, later.id, answered.id]


def test_staff_actions_move_the_handoff_and_are_audited(engine, service):
    handoff = service.open(Reason.COMPLAINT, tenant(), MONDAY_TEN)
    repository = service.repository
    repository.move(handoff.id, State.TAKEN, MONDAY_TEN, staff="Sam")
    moved = repository.transfer(handoff.id, "Neighbourhoods", "Sam", MONDAY_TEN)
    assert (moved.team, moved.state, moved.taken_by) == ("Neighbourhoods", State.WAITING, None)
    repository.move(handoff.id, State.TAKEN, MONDAY_TEN, staff="Priya")
    repository.record_reply(
        handoff.id, "Priya", MONDAY_TEN, holding=False, details={"surface": "private"}
    )
    repository.move(handoff.id, State.CLOSED, MONDAY_TEN, staff="Priya")
    with pytest.raises(TransitionError):
        repository.record_reply(handoff.id, "Priya", MONDAY_TEN, holding=False, details={})
    with pytest.raises(TransitionError):
        repository.transfer(handoff.id, "Repairs", "Priya", MONDAY_TEN)
    entries = HandoffAudit(engine).entries(handoff.id)
    assert [(e.staff, e.action) for e in entries] == [
        ("Sam", "take"),
        ("Sam", "transfer"),
        ("Priya", "take"),
        ("Priya", "reply"),
        ("Priya", "close"),
    ]
    assert entries[1].details == {"from": "Customer Experience", "to": "Neighbourhoods"}
    assert entries[3].details == {"surface": "private", "holding": False}
    assert all(e.at == MONDAY_TEN for e in entries)


def test_a_handoff_taken_by_one_person_cannot_be_taken_again(service):
    handoff = service.open(Reason.COMPLAINT, tenant(), MONDAY_TEN)
    service.repository.move(handoff.id, State.TAKEN, MONDAY_TEN, staff="Sam")
    with pytest.raises(TransitionError):
        service.repository.move(handoff.id, State.TAKEN, MONDAY_TEN, staff="Priya")
