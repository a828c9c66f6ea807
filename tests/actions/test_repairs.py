"""Repair triage: the questions' answers, a stop, photos, and the request handed to
Repairs with an honest time (P2, P3, P4, P6)."""

import inspect
from datetime import datetime, timedelta, timezone

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import repairs
from actions.repairs import (
    ActionLeaveRepairForm,
    ActionRecordRepairRequest,
    ActionStartRepairTriage,
    ValidateRepairForm,
)
from bot.handoff.handoffs import Priority, Reason
from bot.handoff.service import HandoffService
from bot.handoff.working_hours import describe_when
from bot.repairs.requests import RepairRequests
from bot.service_alerts.alerts import ServiceAlert
from bot.service_alerts.store import ServiceAlerts
from bot.store import connect
from bot.tenancy.answers import locator
from bot.tenancy.identity import Verification
from bot.tenancy.security_question import Sealer
from tests.helpers import (
    CALENDAR,
    TEAMS,
    demo_tenancies,
    domain,
    make_tracker,
    no_service_alerts,
    store_keys,
)

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
PRIVATE = {"platform": "facebook", "surface": "private", "author_id": "psid-1"}
PUBLIC = {"platform": "facebook", "surface": "public", "author_id": "psid-1"}
SEALER = Sealer(Sealer.new_key())
ANSWERED = {
    "repair_what": "tap under the sink drips, call me on 07700 900123",
    "repair_where": "kitchen",
    "repair_since": "since Monday",
    "repair_vulnerable": "yes",
    "repair_photos": {"count": 2, "kinds": ["photo"]},
    "tenancy_question": "repair_request",
}


def slots_of(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def responses(dispatcher):
    return [m["response"] for m in dispatcher.messages]


async def run(action, **tracker_args):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, make_tracker(**tracker_args), domain())
    return events, dispatcher


# Starting: in public nothing is asked (P6)


async def test_in_public_the_tenant_is_given_the_link_and_asked_nothing():
    events, _ = await run(ActionStartRepairTriage(), intent="deny", metadata=PUBLIC)
    assert slots_of(events) == {"repair_triage": "public"}


async def test_in_private_the_questions_start_empty_for_a_repair_request():
    events, _ = await run(
        ActionStartRepairTriage(),
        intent="deny",
        metadata=PRIVATE,
        slots={"repair_what": "an old answer", "repair_photos": {"count": 1, "kinds": []}},
    )
    slots = slots_of(events)
    assert slots["repair_triage"] == "private"
    assert slots["tenancy_question"] == "repair_request"
    assert slots["repair_what"] is None and slots["repair_photos"] is None


# The questions


async def answer(slot, text, intent="inform", metadata=PRIVATE, slots=None):
    candidate = {"event": "slot", "name": slot, "value": text}
    return await run(
        ValidateRepairForm(),
        text=text,
        intent=intent,
        metadata=metadata,
        slots={**(slots or {}), "requested_slot": slot, slot: text},
        events=[{"event": "action", "name": "action_listen"}, candidate],
    )


@pytest.mark.parametrize(
    "slot, text, taken",
    [
        ("repair_what", "the tap drips", "the tap drips"),
        ("repair_where", "  kitchen ", "kitchen"),
        ("repair_where", "WC", "WC"),
        ("repair_since", "since Monday", "since Monday"),
        ("repair_since", "2 weeks", "2 weeks"),
        ("repair_vulnerable", "my mum lives with me, she's 89", "yes"),
        ("repair_vulnerable", "yes", "yes"),
        ("repair_vulnerable", "no", "no"),
        ("repair_vulnerable", "nobody here", "no"),
        ("repair_vulnerable", "my son has asthma", "yes"),
    ],
)
async def test_any_words_that_answer_the_question_are_taken(slot, text, taken):
    events, dispatcher = await answer(slot, text)
    assert slots_of(events)[slot] == taken
    assert not dispatcher.messages


@pytest.mark.parametrize(
    "slot, text",
    [
        ("repair_what", ""),
        ("repair_what", "a"),
        ("repair_what", "??"),
        ("repair_where", "."),
        ("repair_since", " "),
        ("repair_vulnerable", "hmm"),
    ],
)
async def test_an_empty_or_too_short_reply_is_asked_again_with_a_hint(slot, text):
    events, dispatcher = await answer(slot, text)
    assert slots_of(events)[slot] is None
    assert responses(dispatcher) == [f"utter_invalid_{slot}"]


@pytest.mark.parametrize("text", ["stop", "Stop please", "never mind", "cancel it"])
async def test_stop_at_any_question_ends_the_questions_and_keeps_nothing(text):
    events, dispatcher = await answer(
        "repair_since", text, intent="deny", slots={"repair_what": "tap", "repair_where": "hall"}
    )
    slots = slots_of(events)
    assert slots["repair_triage"] == "stopped"
    assert slots["requested_slot"] is None
    assert slots["repair_what"] is None and slots["repair_where"] is None
    assert slots["tenancy_question"] is None
    assert {"event": "active_loop", "name": None} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]
    assert not dispatcher.messages


async def test_a_stop_word_inside_an_answer_is_an_answer():
    events, _ = await answer("repair_what", "the tap won't stop dripping")
    assert slots_of(events) == {"repair_what": "the tap won't stop dripping"}


async def test_a_photo_is_counted_by_kind_and_the_question_stands():
    metadata = {**PRIVATE, "attachment": "photo"}
    events, dispatcher = await run(
        ValidateRepairForm(),
        text="[sent a photo]",
        intent="send_attachment",
        metadata=metadata,
        slots={"requested_slot": "repair_where", "repair_photos": {"count": 1, "kinds": ["video"]}},
        events=[{"event": "action", "name": "action_listen"}],
    )
    assert slots_of(events) == {"repair_photos": {"count": 2, "kinds": ["video", "photo"]}}
    assert responses(dispatcher) == ["utter_repair_photo_received"]
    assert dispatcher.messages[0]["photo_kind"] == "photo"


async def test_leaving_for_an_emergency_ends_the_form_and_keeps_no_request():
    events, _ = await run(ActionLeaveRepairForm(), intent="report_emergency", slots=ANSWERED)
    slots = slots_of(events)
    assert slots["tenancy_question"] is None and slots["repair_what"] is None
    assert events[0] == {"event": "active_loop", "name": None, "timestamp": None}


# The request and the handoff


@pytest.fixture
def stores(tmp_path):
    engine, tenancies = demo_tenancies(f"sqlite:///{tmp_path / 'store.db'}")
    return RepairRequests(engine), HandoffService(engine, CALENDAR, TEAMS), tenancies


def recorder(stores, now=MONDAY_10, alerts=None):
    return ActionRecordRepairRequest(
        stores[0],
        stores[1],
        SEALER,
        CALENDAR,
        lambda: now,
        alerts or no_service_alerts(),
        stores[2],
    )


def verified_for(tenancies, reference="TEN-204817"):
    tenancy = tenancies.find(locator(reference))
    person = next(p for p, _ in tenancies.people(tenancy.id) if p.role.value == "tenant")
    verification = Verification("facebook:psid-1", "tenant-1", tenancy.id, person.id, MONDAY_10)
    return tenancy, SEALER.seal(verification.as_dict())


def user_at(t):
    return {"event": "user", "timestamp": t.timestamp(), "text": "..."}


async def test_verified_the_request_is_recorded_and_handed_to_repairs_with_its_details(stores):
    requests, service, tenancies = stores
    tenancy, sealed = verified_for(tenancies)
    slots = {**ANSWERED, "identity_verification": sealed, "identity_verified_as": "tenant"}
    events, dispatcher = await run(
        recorder(stores), metadata=PRIVATE, slots=slots, events=[user_at(MONDAY_10)]
    )

    [request] = requests.for_tenancy(tenancy.id)
    assert (request.what, request.where, request.since) == (
        ANSWERED["repair_what"],
        "kitchen",
        "since Monday",
    )
    assert request.vulnerable and request.photos.count == 2
    assert request.created_at == MONDAY_10
    handoff = service.repository.open_for("tenant-1")
    assert request.handoff_id == handoff.id
    assert handoff.reason is Reason.REPAIR_REQUEST and handoff.team == "Repairs"
    # A vulnerable household does not make a repair that is not an emergency urgent.
    assert handoff.priority is Priority.NORMAL
    details = handoff.summary.details
    assert details["vulnerable household"] == "yes"
    assert details["where in the home"] == "kitchen" and details["since"] == "since Monday"
    assert details["photos"] == "2 (photo)" and details["identity"] == "confirmed"
    assert details["reported by"] == "tenant"
    # Personal details are redacted in what staff read first (P5).
    assert "07700" not in details["what is wrong"] and "[phone]" in details["what is wrong"]
    assert "07700" not in (handoff.summary.words or "")

    # P3: when Repairs aim to reply, from the handoff itself.
    assert responses(dispatcher) == ["utter_repair_request_passed", "utter_repair_vulnerable_noted"]
    told = dispatcher.messages[0]
    assert told["handoff_team"] == "Repairs"
    assert told["handoff_reply_by"] == describe_when(handoff.reply_by, MONDAY_10, CALENDAR.zone)
    assert told["handoff_reply_by"] == "2pm"  # 4 working hours after 10am on a Monday
    slots_after = slots_of(events)
    assert slots_after["tenancy_question"] is None and slots_after["repair_what"] is None


async def test_a_slot_saying_verified_without_a_verification_records_no_tenancy(stores):
    requests, service, _ = stores
    slots = {**ANSWERED, "identity_status": "verified", "identity_verified_as": "tenant"}
    _, dispatcher = await run(recorder(stores), metadata=PRIVATE, slots=slots)
    [request] = requests.for_conversation("tenant-1")
    assert request.tenancy_id is None
    handoff = service.repository.open_for("tenant-1")
    assert handoff.summary.details["identity"] == "not confirmed"
    assert "reported by" not in handoff.summary.details
    assert responses(dispatcher)[0] == "utter_repair_request_passed_unverified"


async def test_not_verified_the_report_is_not_lost_it_goes_to_repairs_unverified(stores):
    requests, service, _ = stores
    slots = {**ANSWERED, "repair_vulnerable": "no", "repair_photos": None}
    _, dispatcher = await run(recorder(stores), metadata=PRIVATE, slots=slots)
    [request] = requests.for_conversation("tenant-1")
    handoff = service.repository.open_for("tenant-1")
    assert request.handoff_id == handoff.id and handoff.team == "Repairs"
    assert handoff.summary.details["photos"] == "none"
    assert handoff.summary.details["vulnerable household"] == "no"
    assert responses(dispatcher) == ["utter_repair_request_passed_unverified"]
    assert dispatcher.messages[0]["handoff_reply_by"] == "2pm"


async def test_out_of_hours_the_reply_is_aimed_for_in_working_hours(stores):
    friday_evening = datetime(2026, 11, 20, 18, 30, tzinfo=timezone.utc)
    _, dispatcher = await run(recorder(stores, friday_evening), metadata=PRIVATE, slots=ANSWERED)
    assert dispatcher.messages[0]["handoff_reply_by"] == "Monday at 1pm"


async def test_in_public_nothing_is_recorded(stores):
    requests, service, _ = stores
    _, dispatcher = await run(recorder(stores), metadata=PUBLIC, slots=ANSWERED)
    assert responses(dispatcher) == ["utter_tenancy_in_private"]
    assert requests.for_conversation("tenant-1") == []
    assert service.repository.open_for("tenant-1") is None


# What each action can say in public is what it declares (tests/unit/test_public_lengths.py
# counts only that as going out in public, P6).

X_PUBLIC = {"platform": "twitter", "surface": "public", "author_id": "42"}
DECLARING = [
    cls
    for _, cls in inspect.getmembers(repairs, inspect.isclass)
    if cls.__module__ == repairs.__name__ and hasattr(cls, "said_in_public")
]


def test_the_actions_a_public_post_can_reach_declare_what_they_say_there():
    assert {cls.__name__ for cls in DECLARING} >= {
        "ActionRecordRepairRequest",
        "ActionLeaveRepairForm",
        "ActionStartRepairTriage",
    }


@pytest.mark.parametrize("cls", DECLARING, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("metadata", [PUBLIC, X_PUBLIC], ids=["facebook", "x"])
@pytest.mark.parametrize(
    "slots",
    [
        {},
        ANSWERED,
        {**ANSWERED, "identity_status": "verified", "identity_verified_as": "tenant"},
        {**ANSWERED, "repair_triage": "private", "requested_slot": "repair_what"},
    ],
    ids=["nothing", "answered", "said-verified", "mid-form"],
)
async def test_in_public_an_action_says_only_what_it_declares(cls, metadata, slots, stores):
    action = recorder(stores) if cls is ActionRecordRepairRequest else cls()
    for intent in ("deny", "affirm", "inform", "report_emergency", "request_human"):
        _, dispatcher = await run(action, intent=intent, metadata=metadata, slots=slots)
        assert set(responses(dispatcher)) <= set(cls.said_in_public), intent
    requests, service, _ = stores
    assert service.repository.queue() == []


# A live service alert about the repair, where the verified tenancy is


def heating_alert(areas=("LS6",), **changes):
    values = {
        "id": f"alert-{'-'.join(areas) or 'all'}",
        "title": "No heating in LS6",
        "message": "A fault at the district boiler: engineers are on site.",
        "services": ("heating",),
        "areas": areas,
        "starts_at": MONDAY_10 - timedelta(hours=1),
        "ends_at": MONDAY_10 + timedelta(hours=8),
        "created_by": "Cara",
        "created_at": MONDAY_10 - timedelta(hours=1),
    }
    return ServiceAlert(**{**values, **changes})


def alerts_in(tmp_path, *alerts):
    store = ServiceAlerts(connect(f"sqlite:///{tmp_path / 'store.db'}", store_keys()))
    for alert in alerts:
        store.add(alert)
    return store


@pytest.mark.parametrize(
    "reference, what, mentioned",
    [
        ("TEN-204817", "no heating since this morning", True),  # LS6 2AB
        ("TEN-318552", "no heating since this morning", False),  # M14 5RT: outside
        ("TEN-204817", "the front door lock is stiff", False),  # another service
    ],
)
async def test_a_verified_tenant_in_the_area_reporting_the_service_hears_the_alert(
    tmp_path, stores, reference, what, mentioned
):
    alerts = alerts_in(tmp_path, heating_alert())
    _, sealed = verified_for(stores[2], reference)
    slots = {**ANSWERED, "repair_what": what, "identity_verification": sealed}
    _, dispatcher = await run(
        recorder(stores, alerts=alerts), metadata=PRIVATE, slots=slots, events=[user_at(MONDAY_10)]
    )
    said = [m for m in dispatcher.messages if m["response"] == "utter_service_alert"]
    if mentioned:
        [alert] = said
        assert alert["alert_title"] == "No heating in LS6"
        assert alert["alert_until"] == describe_when(MONDAY_10 + timedelta(hours=8), MONDAY_10)
        # After the request is passed on: the report is never lost behind it.
        assert responses(dispatcher)[0] == "utter_repair_request_passed"
    else:
        assert said == []


async def test_an_unverified_tenant_hears_only_an_alert_for_everywhere(tmp_path, stores):
    alerts = alerts_in(tmp_path, heating_alert(), heating_alert(areas=(), title="Heating down"))
    slots = {**ANSWERED, "repair_what": "no heating"}
    _, dispatcher = await run(recorder(stores, alerts=alerts), metadata=PRIVATE, slots=slots)
    said = [m["alert_title"] for m in dispatcher.messages if m["response"] == "utter_service_alert"]
    assert said == ["Heating down"]


async def test_an_alert_that_ended_is_never_mentioned(tmp_path, stores):
    ended = heating_alert(ended_at=MONDAY_10 - timedelta(minutes=5))
    alerts = alerts_in(tmp_path, ended)
    _, sealed = verified_for(stores[2])
    slots = {**ANSWERED, "repair_what": "no heating", "identity_verification": sealed}
    _, dispatcher = await run(
        recorder(stores, alerts=alerts), metadata=PRIVATE, slots=slots, events=[user_at(MONDAY_10)]
    )
    assert "utter_service_alert" not in responses(dispatcher)


@pytest.mark.parametrize(
    "what, mentioned", [("no heating at LS6 2AB", True), ("no heating at M14 5RT", False)]
)
async def test_an_unverified_tenant_who_wrote_their_postcode_is_placed_by_it(
    tmp_path, stores, what, mentioned
):
    alerts = alerts_in(tmp_path, heating_alert())
    slots = {**ANSWERED, "repair_what": what}
    _, dispatcher = await run(recorder(stores, alerts=alerts), metadata=PRIVATE, slots=slots)
    said = [m for m in dispatcher.messages if m["response"] == "utter_service_alert"]
    assert bool(said) is mentioned


async def test_during_an_alert_with_a_longer_wait_the_tenant_is_told_that_wait(tmp_path, stores):
    """P3 stays honest: the wait staff set for the alert is what the tenant hears."""
    alerts = alerts_in(tmp_path, heating_alert(reply_within_hours=24))
    requests, _, tenancies = stores
    service = HandoffService(requests._engine, CALENDAR, TEAMS, longer_wait=alerts.longer_wait)
    action = ActionRecordRepairRequest(
        requests, service, SEALER, CALENDAR, lambda: MONDAY_10, alerts, tenancies
    )
    _, dispatcher = await run(action, metadata=PRIVATE, slots={**ANSWERED, "repair_what": "x"})
    told = dispatcher.messages[0]
    assert told["handoff_reply_by"] == describe_when(
        MONDAY_10 + timedelta(hours=24), MONDAY_10, CALENDAR.zone
    )
    assert told["handoff_reply_by"] != "2pm"  # not the usual 4 working hours
