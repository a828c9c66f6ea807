"""Handoff records: deadlines, what the tenant is told, states, and the store."""

from datetime import datetime, timezone

import pytest

from bot.handoff.handoffs import (
    Conversation,
    HandoffRepository,
    Reason,
    State,
    TransitionError,
    notice,
    plan,
)
from bot.store import connect
from tests.helpers import CALENDAR, UK

CONVERSATION = Conversation("tenant-1", "twitter", "private", "x-42")


def uk(*args):
    return datetime(*args, tzinfo=UK)


@pytest.fixture()
def repository(tmp_path):
    return HandoffRepository(connect(f"sqlite:///{tmp_path / 'store' / 'assistant.db'}"))


def test_deadlines_are_two_and_four_working_hours():
    """P3."""
    handoff = plan(
        Reason.REQUEST_HUMAN, CONVERSATION, uk(2026, 11, 20, 16, 30), CALENDAR, "Communications"
    )
    assert handoff.acknowledge_by == uk(2026, 11, 23, 10, 30)
    assert handoff.reply_by == uk(2026, 11, 23, 12, 30)


@pytest.mark.parametrize(
    ("reason", "now", "case", "reply_by", "resumes"),
    [
        (Reason.REQUEST_HUMAN, uk(2026, 11, 23, 10, 30), "in_hours", "2:30pm", "10:30am"),
        (
            Reason.REQUEST_HUMAN,
            uk(2026, 11, 23, 17, 0),
            "out_of_hours",
            "tomorrow at 1pm",
            "tomorrow at 9am",
        ),
        (
            Reason.NEGATIVE_PUBLIC_COMMENT,
            uk(2026, 11, 22, 20, 0),
            "out_of_hours",
            "tomorrow at 1pm",
            "tomorrow at 9am",
        ),
        (
            Reason.COMPLAINT,
            uk(2026, 12, 24, 18, 0),
            "out_of_hours",
            "Tuesday at 1pm",
            "Tuesday at 9am",
        ),
        # P2: an emergency runs on the clock, at 3am on a Saturday too.
        (Reason.EMERGENCY, uk(2026, 11, 23, 10, 30), "emergency_in_hours", "12:30pm", "10:30am"),
        (
            Reason.EMERGENCY,
            uk(2026, 11, 21, 3, 0),
            "emergency_out_of_hours",
            "5am",
            "Monday at 9am",
        ),
    ],
)
def test_the_tenant_is_told_the_truth_in_uk_time(reason, now, case, reply_by, resumes):
    told = notice(plan(reason, CONVERSATION, now, CALENDAR, "a team"), now, CALENDAR)
    assert (told.case, told.reply_by, told.monitoring_resumes) == (case, reply_by, resumes)


def test_times_are_said_in_uk_time_whatever_zone_the_clock_gives():
    now = datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)  # 10:00 BST
    told = notice(
        plan(Reason.COMPLAINT, CONVERSATION, now, CALENDAR, "Customer Experience"), now, CALENDAR
    )
    assert told.reply_by == "2pm"


def test_a_record_survives_the_store_unchanged(repository):
    handoff = repository.add(
        plan(Reason.EMERGENCY, CONVERSATION, uk(2026, 11, 23, 10), CALENDAR, "Repairs")
    )
    assert repository.get(handoff.id) == handoff
    assert repository.open_for("tenant-1") == handoff
    assert repository.get("no-such-id") is None


def test_the_whole_life_of_a_handoff(repository):
    handoff = repository.add(
        plan(Reason.COMPLAINT, CONVERSATION, uk(2026, 11, 23, 10), CALENDAR, "Customer Experience")
    )
    for state in (State.TAKEN, State.ANSWERED, State.HANDED_BACK):
        assert repository.move(handoff.id, state, uk(2026, 11, 23, 11)).state is state
    assert repository.get(handoff.id).state is State.HANDED_BACK
    assert repository.open_for("tenant-1") is None
    assert repository.queue() == []


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ((State.CLOSED,), State.TAKEN),
        ((State.HANDED_BACK,), State.WAITING),
        ((), State.ANSWERED),  # answered before anyone took it
    ],
)
def test_impossible_moves_are_refused(repository, path, refused):
    handoff = repository.add(
        plan(Reason.COMPLAINT, CONVERSATION, uk(2026, 11, 23, 10), CALENDAR, "Customer Experience")
    )
    for state in path:
        repository.move(handoff.id, state, uk(2026, 11, 23, 11))
    with pytest.raises(TransitionError):
        repository.move(handoff.id, refused, uk(2026, 11, 23, 12))


def test_moving_an_unknown_handoff_is_a_key_error(repository):
    with pytest.raises(KeyError):
        repository.move("missing", State.TAKEN, uk(2026, 11, 23, 12))


def test_an_answered_tenant_who_then_reports_an_emergency_is_due_again_on_the_clock(
    repository, tmp_path
):
    from datetime import timedelta

    from bot.handoff.audit import HandoffAudit

    opened = uk(2026, 11, 23, 10, 0)  # a Monday, in hours
    handoff = repository.add(plan(Reason.COMPLAINT, CONVERSATION, opened, CALENDAR, "Comms"))
    repository.reply_sent(handoff.id, "Sam", uk(2026, 11, 23, 10, 30), False)
    # That evening, a gas leak: the old acknowledgement and reply answer nothing of it.
    gas = uk(2026, 11, 23, 20, 0)
    raised = repository.raise_to_emergency(handoff.id, gas, CALENDAR, "Repairs")
    assert (raised.acknowledged_at, raised.acknowledge_met) == (None, None)
    assert (raised.replied_at, raised.reply_met) == (None, None)
    assert raised.due == gas + timedelta(minutes=30)
    assert raised.state is not State.ANSWERED
    assert repository.get(handoff.id) == raised
    [breach] = repository.record_missed(gas + timedelta(minutes=31))
    assert (breach.handoff.id, breach.deadline) == (handoff.id, "acknowledge")
    # What was done before stays in the audit.
    audit = HandoffAudit(repository._engine).entries(handoff.id)
    [entry] = [e for e in audit if e.action == "raise_to_emergency"]
    assert entry.details["previously_acknowledged_at"].startswith("2026-11-23T10:30")
