"""The handoff actions: a record per reason, honest times, and a pause (P1, P2, P3, P11)."""

from datetime import datetime

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import (
    ActionHandOffComplaint,
    ActionHandOffEmergency,
    ActionHandOffRepeatedFallback,
    ActionHandOffRequestHuman,
    ActionPauseForStaff,
)
from bot.handoff.handoffs import Priority, Reason, State
from bot.handoff.service import HandoffService
from bot.store import connect
from tests.helpers import (
    CALENDAR,
    TEAMS,
    UK,
    HeldUntilReleased,
    domain,
    make_tracker,
    while_another_tenant_waits,
)

MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UK)
FRIDAY_EVENING = datetime(2026, 11, 20, 18, 30, tzinfo=UK)
SATURDAY = datetime(2026, 11, 21, 11, 0, tzinfo=UK)


@pytest.fixture()
def service():
    return HandoffService(connect("sqlite://"), CALENDAR, TEAMS)


@pytest.fixture()
def repository(service):
    return service.repository


async def run(action_class, service, now, **tracker_args):
    action = action_class(service=service, clock=lambda: now)
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, make_tracker(**tracker_args), domain())
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, dispatcher


@pytest.mark.parametrize(
    ("action_class", "reason", "team", "priority"),
    [
        (ActionHandOffRequestHuman, Reason.REQUEST_HUMAN, "Communications", Priority.NORMAL),
        (ActionHandOffComplaint, Reason.COMPLAINT, "Customer Experience", Priority.NORMAL),
        (
            ActionHandOffRepeatedFallback,
            Reason.REPEATED_FALLBACK,
            "Communications",
            Priority.NORMAL,
        ),
        (ActionHandOffEmergency, Reason.EMERGENCY, "Repairs", Priority.URGENT),
    ],
)
async def test_each_reason_stores_a_routed_record_with_its_deadlines(
    service, repository, action_class, reason, team, priority
):
    await run(
        action_class,
        service,
        MONDAY_NOON,
        sender_id="tenant-7",
        metadata={"platform": "facebook", "surface": "private", "author_id": "psid-7"},
    )
    [handoff] = repository.queue()
    assert (handoff.reason, handoff.team, handoff.priority) == (reason, team, priority)
    assert handoff.state is State.WAITING
    assert handoff.conversation.conversation_id == "tenant-7"
    assert (handoff.conversation.platform, handoff.conversation.platform_user_id) == (
        "facebook",
        "psid-7",
    )
    if priority is Priority.URGENT:
        # P2: on the clock, 30 minutes and 2 hours.
        assert handoff.acknowledge_by == datetime(2026, 11, 23, 12, 30, tzinfo=UK)
        assert handoff.reply_by == datetime(2026, 11, 23, 14, 0, tzinfo=UK)
    else:
        assert handoff.acknowledge_by == datetime(2026, 11, 23, 14, 0, tzinfo=UK)
        assert handoff.reply_by == datetime(2026, 11, 23, 16, 0, tzinfo=UK)


async def test_in_hours_the_tenant_is_told_the_reply_by_time(service, repository):
    slots, dispatcher = await run(ActionHandOffRequestHuman, service, MONDAY_NOON)
    assert slots == {
        "handoff_case": "in_hours",
        "handoff_team": "Communications",
        "handoff_reply_by": "4pm",
        "monitoring_resumes": "12pm",
    }
    assert dispatcher.messages == []


async def test_out_of_hours_the_tenant_is_told_when_monitoring_resumes(service, repository):
    slots, _ = await run(ActionHandOffComplaint, service, FRIDAY_EVENING)
    assert slots["handoff_case"] == "out_of_hours"
    assert slots["monitoring_resumes"] == "Monday at 9am"
    assert slots["handoff_reply_by"] == "Monday at 1pm"
    assert slots["handoff_team"] == "Customer Experience"


async def test_at_the_weekend_it_is_dealt_with_monday_morning(service, repository):
    """P3: weekend messages are dealt with first thing Monday."""
    slots, _ = await run(ActionHandOffComplaint, service, SATURDAY)
    [handoff] = repository.queue()
    assert handoff.acknowledge_by == datetime(2026, 11, 23, 11, 0, tzinfo=UK)
    assert slots["monitoring_resumes"] == "Monday at 9am"


@pytest.mark.parametrize(
    ("now", "case"), [(MONDAY_NOON, "emergency_in_hours"), (SATURDAY, "emergency_out_of_hours")]
)
async def test_an_emergency_is_urgent_at_any_hour(service, repository, now, case):
    slots, _ = await run(ActionHandOffEmergency, service, now)
    assert slots["handoff_case"] == case
    assert repository.queue()[0].priority is Priority.URGENT


async def test_a_conversation_already_handed_over_is_not_recorded_twice(service, repository):
    await run(ActionHandOffComplaint, service, MONDAY_NOON)
    await run(ActionHandOffRequestHuman, service, MONDAY_NOON)
    await run(ActionHandOffRepeatedFallback, service, MONDAY_NOON)
    assert len(repository.queue()) == 1


async def test_urgent_handoffs_come_first_then_what_is_due_first(service, repository):
    await run(ActionHandOffComplaint, service, MONDAY_NOON, sender_id="later")
    await run(ActionHandOffRequestHuman, service, FRIDAY_EVENING, sender_id="earlier")
    await run(ActionHandOffEmergency, service, MONDAY_NOON, sender_id="urgent")
    assert [h.conversation.conversation_id for h in repository.queue()] == [
        "urgent",
        "earlier",
        "later",
    ]


async def test_the_pause_action_pauses():
    dispatcher = CollectingDispatcher()
    events = await ActionPauseForStaff().run(dispatcher, make_tracker(), domain())
    assert [(e["event"], e.get("name")) for e in events] == [
        ("pause", None),
        ("action", "action_listen"),
    ]
    assert dispatcher.messages == []


async def test_an_emergency_while_waiting_for_a_person_raises_the_handoff_to_urgent(
    service, repository
):
    """P2: the tenant already handed over is not left in the normal queue."""
    await run(ActionHandOffRequestHuman, service, FRIDAY_EVENING, sender_id="tenant-9")
    slots, _ = await run(ActionHandOffEmergency, service, SATURDAY, sender_id="tenant-9")
    [handoff] = repository.queue()
    assert (handoff.reason, handoff.team, handoff.priority) == (
        Reason.EMERGENCY,
        "Repairs",
        Priority.URGENT,
    )
    assert handoff.state is State.WAITING
    assert slots["handoff_case"] == "emergency_out_of_hours"


async def test_a_handoff_is_recorded_off_the_event_loop(service, repository):
    """Another tenant's reply is not held up while the store records a handoff."""
    held = HeldUntilReleased(service)
    slots, _ = await while_another_tenant_waits(
        run(ActionHandOffRequestHuman, held, MONDAY_NOON, sender_id="tenant-9"), held
    )
    assert slots["handoff_case"]
    assert repository.open_for("tenant-9") is not None
