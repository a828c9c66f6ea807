"""action_session_start: the association's details in slots, other slots carried over."""

from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.session import ActionSessionStart
from bot.association import parse_association, slot_names
from tests.helpers import ROOT, domain, make_tracker


@pytest.fixture()
def association():
    raw = yaml.safe_load(Path(ROOT / "association.yml").read_text())
    raw["name"] = "Testbrook Housing"
    raw["phones"]["out_of_hours_repairs"] = "01632 960 555"
    return parse_association(raw)


async def run(action, tracker, session_domain=None):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, session_domain or domain())
    return dispatcher, events


async def test_fills_every_association_slot_from_the_given_details(association):
    dispatcher, events = await run(ActionSessionStart(association), make_tracker())
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert set(slot_names()) <= set(slots)
    assert slots["association_name"] == "Testbrook Housing"
    assert slots["out_of_hours_repairs_phone"] == "01632 960 555"
    assert "01632 960 555" in slots["emergency_contacts"]
    assert dispatcher.messages == []


async def test_starts_the_session_and_then_listens(association):
    _, events = await run(ActionSessionStart(association), make_tracker())
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")


async def test_other_slots_carry_over_and_stale_details_are_replaced(association):
    tracker = make_tracker(
        slots={"verified_for": "tenant-1", "association_name": "Old Name", "empty": None}
    )
    _, events = await run(ActionSessionStart(association), tracker)
    slots = [(e["name"], e["value"]) for e in events if e["event"] == "slot"]
    assert ("verified_for", "tenant-1") in slots
    assert ("association_name", "Old Name") not in slots
    assert ("association_name", "Testbrook Housing") in slots
    assert all(name != "empty" for name, _ in slots)


async def test_nothing_carries_over_when_the_domain_says_so(association):
    session_domain = {**domain(), "session_config": {"carry_over_slots_to_new_session": False}}
    tracker = make_tracker(slots={"verified_for": "tenant-1"})
    _, events = await run(ActionSessionStart(association), tracker, session_domain)
    assert all(e.get("name") != "verified_for" for e in events)


def test_the_default_reads_the_project_file():
    slots = ActionSessionStart()._association.as_slots()
    assert (
        slots["association_name"] == yaml.safe_load((ROOT / "association.yml").read_text())["name"]
    )
