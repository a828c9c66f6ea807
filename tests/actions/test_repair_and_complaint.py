"""A repair and a complaint in one message (report_repair+make_complaint): the complaint
goes to Customer Experience at once (P11), the tenant is told so truthfully and not
paused, and the repair then goes to Repairs as its own handoff (P3), or an emergency
is its own urgent one (P2); the complaint is neither swallowed nor moved."""

from datetime import datetime, timezone

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandOffComplaintWithRepair, ActionHandOffEmergency
from actions.repairs import ActionRecordRepairRequest
from actions.session import ActionSessionStart
from bot.association import load_association
from bot.handoff.handoffs import Priority, Reason
from bot.handoff.service import HandoffService
from bot.handoff.working_hours import describe_when
from bot.repairs.requests import RepairRequests
from bot.store import connect
from bot.tenancy.records import TenancyRepository
from bot.tenancy.security_question import Sealer
from tests.helpers import (
    CALENDAR,
    ROOT,
    TEAMS,
    demo_tenancies,
    domain,
    make_tracker,
    no_service_alerts,
)

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
PRIVATE = {"platform": "facebook", "surface": "private", "author_id": "psid-1"}
PUBLIC = {"platform": "facebook", "surface": "public", "author_id": "psid-1"}
WORDS = "3 weeks no heating you lazy lot, and nobody's rung me back"
INTENT = "report_repair+make_complaint"
ANSWERED = {
    "repair_what": "no heating for 3 weeks",
    "repair_where": "whole flat",
    "repair_since": "3 weeks",
    "repair_vulnerable": "no",
    "tenancy_question": "repair_request",
}


@pytest.fixture
def stores(tmp_path):
    engine, _ = demo_tenancies(f"sqlite:///{tmp_path / 'store.db'}")
    return RepairRequests(engine), HandoffService(engine, CALENDAR, TEAMS)


async def run(action, **tracker_args):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, make_tracker(**tracker_args), domain())
    return events, dispatcher


async def complain(service, metadata=PRIVATE, now=MONDAY_10):
    action = ActionHandOffComplaintWithRepair(service=service, clock=lambda: now)
    return await run(action, text=WORDS, intent=INTENT, metadata=metadata)


async def test_the_complaint_goes_to_customer_experience_and_the_tenant_is_told_when(stores):
    _, service = stores
    events, dispatcher = await complain(service)
    [handoff] = service.repository.queue()
    assert (handoff.reason, handoff.team) == (Reason.COMPLAINT, "Customer Experience")
    assert handoff.summary.intent == INTENT
    [told] = dispatcher.messages
    assert told["response"] == "utter_complaint_passed_repair_next"
    assert told["handoff_team"] == "Customer Experience"
    assert told["handoff_reply_by"] == describe_when(handoff.reply_by, MONDAY_10, CALENDAR.zone)
    assert told["handoff_reply_by"] == "2pm"  # 4 working hours after 10am on a Monday
    # Not paused: the repair questions come next.
    assert [e["event"] for e in events if e["event"] != "slot"] == []


async def test_out_of_hours_the_tenant_is_told_the_working_hours_reply(stores):
    _, service = stores
    friday_evening = datetime(2026, 11, 20, 18, 30, tzinfo=timezone.utc)
    _, dispatcher = await complain(service, now=friday_evening)
    assert dispatcher.messages[0]["handoff_reply_by"] == "Monday at 1pm"


async def test_then_the_repair_request_is_its_own_handoff_for_repairs(stores):
    requests, service = stores
    await complain(service)
    recorder = ActionRecordRepairRequest(
        requests,
        service,
        Sealer(Sealer.new_key()),
        CALENDAR,
        lambda: MONDAY_10,
        no_service_alerts(),
        TenancyRepository(connect("sqlite://")),
    )
    _, dispatcher = await run(recorder, metadata=PRIVATE, slots=ANSWERED, intent="deny")
    [request] = requests.for_conversation("tenant-1")
    queued = {h.id: (h.reason, h.team) for h in service.repository.queue()}
    assert sorted(queued.values()) == [
        (Reason.COMPLAINT, "Customer Experience"),
        (Reason.REPAIR_REQUEST, "Repairs"),
    ]
    assert queued[request.handoff_id] == (Reason.REPAIR_REQUEST, "Repairs")
    assert dispatcher.messages[0]["handoff_team"] == "Repairs"


async def test_an_emergency_after_it_is_urgent_for_repairs_and_the_complaint_stays(stores):
    _, service = stores
    await complain(service)
    emergency = ActionHandOffEmergency(service=service, clock=lambda: MONDAY_10)
    events, _ = await run(emergency, text="yes", intent="affirm", metadata=PRIVATE)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["handoff_team"] == "Repairs" and slots["handoff_case"] == "emergency_in_hours"
    by_reason = {h.reason: h for h in service.repository.queue()}
    assert set(by_reason) == {Reason.COMPLAINT, Reason.EMERGENCY}
    assert by_reason[Reason.EMERGENCY].priority is Priority.URGENT
    complaint = by_reason[Reason.COMPLAINT]
    assert (complaint.team, complaint.priority) == ("Customer Experience", Priority.NORMAL)


async def test_in_public_the_complaint_is_passed_on_with_nothing_asked(stores):
    _, service = stores
    _, dispatcher = await complain(service, metadata=PUBLIC)
    [handoff] = service.repository.queue()
    assert handoff.team == "Customer Experience"
    assert handoff.conversation.surface.value == "public"
    assert [m["response"] for m in dispatcher.messages] == ["utter_complaint_passed_repair_next"]


async def test_the_tenant_answers_the_repair_questions_to_the_assistant_not_to_people(stores):
    """The complaint passed on does not keep the tenant waiting for Customer Experience:
    a new session (an idle hour) during the repair questions is not paused."""
    _, service = stores
    await complain(service)
    assert service.repository.open_for("tenant-1") is None
    start = ActionSessionStart(
        load_association(ROOT / "association.yml"), service.repository, no_service_alerts()
    )
    events, _ = await run(start, metadata=PRIVATE)
    assert "pause" not in [e["event"] for e in events]


async def test_once_the_repair_is_handed_over_both_teams_hold_the_tenant(stores):
    requests, service = stores
    await complain(service)
    recorder = ActionRecordRepairRequest(
        requests,
        service,
        Sealer(Sealer.new_key()),
        CALENDAR,
        lambda: MONDAY_10,
        no_service_alerts(),
        TenancyRepository(connect("sqlite://")),
    )
    await run(recorder, metadata=PRIVATE, slots=ANSWERED, intent="deny")
    assert all(h.holds_conversation for h in service.repository.queue())
    start = ActionSessionStart(
        load_association(ROOT / "association.yml"), service.repository, no_service_alerts()
    )
    events, _ = await run(start, metadata=PRIVATE)
    assert "pause" in [e["event"] for e in events]
