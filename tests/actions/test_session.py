"""action_session_start: the association's details in slots, other slots carried over."""

from datetime import datetime
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.session import ActionSessionStart
from bot.association import parse_association, slot_names
from bot.handoff.handoffs import Conversation, HandoffRepository, Reason, State, plan
from bot.moderation.log import ModerationLog
from bot.outbox import Outbox
from bot.store import connect
from tests.helpers import (
    CALENDAR,
    ROOT,
    UK,
    HeldUntilReleased,
    domain,
    make_tracker,
    no_service_alerts,
    while_another_tenant_waits,
)


@pytest.fixture()
def association():
    raw = yaml.safe_load(Path(ROOT / "association.yml").read_text())
    raw["name"] = "Testbrook Housing"
    raw["phones"]["out_of_hours_repairs"] = "01632 960 555"
    return parse_association(raw)


@pytest.fixture()
def handoffs():
    return HandoffRepository(connect("sqlite://"))


async def run(action, tracker, session_domain=None):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, session_domain or domain())
    return dispatcher, events


async def test_fills_every_association_slot_from_the_given_details(association, handoffs):
    dispatcher, events = await run(
        ActionSessionStart(association, handoffs, no_service_alerts()), make_tracker()
    )
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert set(slot_names()) <= set(slots)
    assert slots["association_name"] == "Testbrook Housing"
    assert slots["out_of_hours_repairs_phone"] == "01632 960 555"
    assert "01632 960 555" in slots["emergency_contacts"]
    assert dispatcher.messages == []


async def test_starts_the_session_and_then_listens(association, handoffs):
    _, events = await run(
        ActionSessionStart(association, handoffs, no_service_alerts()), make_tracker()
    )
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")


async def test_other_slots_carry_over_and_stale_details_are_replaced(association, handoffs):
    tracker = make_tracker(
        slots={"verified_for": "tenant-1", "association_name": "Old Name", "empty": None}
    )
    _, events = await run(ActionSessionStart(association, handoffs, no_service_alerts()), tracker)
    slots = [(e["name"], e["value"]) for e in events if e["event"] == "slot"]
    assert ("verified_for", "tenant-1") in slots
    assert ("association_name", "Old Name") not in slots
    assert ("association_name", "Testbrook Housing") in slots
    assert all(name != "empty" for name, _ in slots)


async def test_nothing_carries_over_when_the_domain_says_so(association, handoffs):
    session_domain = {**domain(), "session_config": {"carry_over_slots_to_new_session": False}}
    tracker = make_tracker(slots={"verified_for": "tenant-1"})
    _, events = await run(
        ActionSessionStart(association, handoffs, no_service_alerts()), tracker, session_domain
    )
    assert all(e.get("name") != "verified_for" for e in events)


def test_the_default_reads_the_project_file():
    slots = ActionSessionStart()._association.as_slots()
    assert (
        slots["association_name"] == yaml.safe_load((ROOT / "association.yml").read_text())["name"]
    )


@pytest.mark.parametrize("state", [State.WAITING, State.TAKEN])
async def test_a_new_session_stays_with_people_while_the_handoff_is_open(
    association, handoffs, state
):
    # P3: an idle hour or a restart starts a new session, which Rasa starts unpaused.
    now = datetime(2026, 11, 23, 12, tzinfo=UK)
    handoff = handoffs.add(
        plan(Reason.REQUEST_HUMAN, Conversation("tenant-1"), now, CALENDAR, "Communications")
    )
    if state is State.TAKEN:
        handoffs.move(handoff.id, State.TAKEN, now)
    _, events = await run(
        ActionSessionStart(association, handoffs, no_service_alerts()), make_tracker()
    )
    kinds = [e["event"] for e in events]
    assert kinds[0] == "session_started"
    assert "pause" in kinds
    assert kinds.index("pause") > kinds.index("session_started")


async def test_a_new_session_after_the_handoff_is_closed_is_not_paused(association, handoffs):
    now = datetime(2026, 11, 23, 12, tzinfo=UK)
    handoff = handoffs.add(
        plan(Reason.REQUEST_HUMAN, Conversation("tenant-1"), now, CALENDAR, "Communications")
    )
    handoffs.move(handoff.id, State.HANDED_BACK, now)
    other = handoffs.add(
        plan(Reason.COMPLAINT, Conversation("tenant-2"), now, CALENDAR, "Customer Experience")
    )
    assert other.state is State.WAITING
    _, events = await run(
        ActionSessionStart(association, handoffs, no_service_alerts()), make_tracker()
    )
    assert "pause" not in [e["event"] for e in events]


async def test_a_new_session_is_not_paused_for_a_handoff_that_needs_no_reply(association, handoffs):
    """A compliment passed on (P11) keeps no one waiting: the assistant still answers."""
    now = datetime(2026, 11, 23, 12, tzinfo=UK)
    conversation = Conversation("tenant-1")
    handoffs.add(plan(Reason.COMPLIMENT, conversation, now, CALENDAR, "Customer Experience"))
    _, events = await run(
        ActionSessionStart(association, handoffs, no_service_alerts()), make_tracker()
    )
    assert "pause" not in [e["event"] for e in events]


async def test_a_new_messenger_session_waits_with_the_tenants_public_complaint(association):
    """A handoff follows the tenant: their first Messenger message after a complaint on
    the page, linked by the private reply's recipient, starts a paused session (P6)."""
    engine = connect("sqlite://")
    handoffs = HandoffRepository(engine)
    now = datetime(2026, 11, 23, 12, tzinfo=UK)
    public = Conversation("facebook-public-10158", "facebook", "public", "10158")
    handoffs.add(plan(Reason.NEGATIVE_PUBLIC_COMMENT, public, now, CALENDAR, "Customer Experience"))
    tracker = make_tracker(sender_id="facebook-private-psid-1")
    _, events = await run(ActionSessionStart(association, handoffs, no_service_alerts()), tracker)
    # Not linked yet: for all the assistant knows, another person.
    assert "pause" not in [e["event"] for e in events]
    ModerationLog(engine, Outbox(engine)).link("facebook", "10158", "psid-1")
    _, events = await run(ActionSessionStart(association, handoffs, no_service_alerts()), tracker)
    assert "pause" in [e["event"] for e in events]


async def test_a_new_session_reads_the_handoffs_off_the_event_loop(association, handoffs):
    now = datetime(2026, 11, 23, 12, tzinfo=UK)
    handoffs.add(
        plan(Reason.REQUEST_HUMAN, Conversation("tenant-1"), now, CALENDAR, "Communications")
    )
    held = HeldUntilReleased(handoffs)
    _, events = await while_another_tenant_waits(
        run(ActionSessionStart(association, held), make_tracker()), held
    )
    assert "pause" in [e["event"] for e in events]
