"""The association's details: one file, checked when loaded, stated in plain words."""

from datetime import time
from pathlib import Path

import pytest
import yaml

from bot.association import (
    ConfigError,
    load_association,
    parse_association,
    slot_names,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def raw():
    return yaml.safe_load((ROOT / "association.yml").read_text())


def test_the_project_file_loads_and_fills_every_slot():
    association = load_association(ROOT / "association.yml")
    slots = association.as_slots()
    assert set(slots) == set(slot_names())
    assert all(value.strip() for value in slots.values())


def test_monitoring_hours_are_p1(raw):
    """P1: Monday to Friday, 9 to 5, UK time."""
    monitoring = parse_association(raw).monitoring
    assert monitoring.timezone == "Europe/London"
    assert monitoring.days == (0, 1, 2, 3, 4)
    assert (monitoring.opens, monitoring.closes) == (time(9), time(17))
    assert monitoring.describe() == "Monday to Friday, 9am to 5pm"


@pytest.mark.parametrize(
    ("days", "opens", "closes", "expected"),
    [
        (
            ["Monday", "Wednesday", "Friday"],
            "08:30",
            "12:00",
            "Monday, Wednesday and Friday, 8:30am to 12pm",
        ),
        (["tuesday"], "10:00", "16:45", "Tuesday, 10am to 4:45pm"),
        (["Saturday", "Sunday"], "00:00", "23:59", "Saturday and Sunday, 12am to 11:59pm"),
    ],
)
def test_other_hours_are_described_from_configuration(raw, days, opens, closes, expected):
    raw["monitoring"].update(days=days, opens=opens, closes=closes)
    assert parse_association(raw).monitoring.describe() == expected


def test_emergency_contacts_list_every_number(raw):
    """P2: every configured emergency number is given, one a line."""
    text = parse_association(raw).emergency_contacts_text()
    for contact in raw["emergency_contacts"]:
        assert f"{contact['label']}: {raw['phones'][contact['phone']]}" in text
    assert len(text.splitlines()) == len(raw["emergency_contacts"])


def test_a_changed_number_changes_every_slot_that_uses_it(raw):
    raw["phones"]["out_of_hours_repairs"] = "01632 960 123"
    slots = parse_association(raw).as_slots()
    assert slots["out_of_hours_repairs_phone"] == "01632 960 123"
    assert "01632 960 123" in slots["emergency_contacts"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("name"), "name is required"),
        (lambda r: r["pages"].pop("privacy_notice"), "pages is missing privacy_notice"),
        (lambda r: r["phones"].update(customer_services=""), "phones is missing customer_services"),
        (lambda r: r.update(emergency_contacts=[]), "emergency_contacts"),
        (lambda r: r["emergency_contacts"][0].update(phone="nowhere"), "which phones lacks"),
        (lambda r: r["monitoring"].update(days=["Funday"]), "weekday names"),
        (lambda r: r["monitoring"].update(days=[]), "days is empty"),
        (lambda r: r["monitoring"].update(opens="9am"), "HH:MM"),
        (lambda r: r["monitoring"].update(opens="17:00", closes="09:00"), "after"),
        (lambda r: r.update(monitoring="weekdays"), "monitoring must be a mapping"),
    ],
)
def test_a_broken_file_is_refused_with_a_clear_message(raw, change, message):
    change(raw)
    with pytest.raises(ConfigError, match=message):
        parse_association(raw)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_association(tmp_path / "nope.yml")


def test_general_rent_facts_come_from_the_file(raw):
    """ask_rent_info is answered from these, with no security check (only a tenant's
    own account needs one, P4)."""
    raw["rent"].update(due="every Monday, in advance", ways_to_pay=["Direct Debit", "by phone"])
    raw["pages"]["pay_rent"] = "https://pay.example/rent"
    slots = parse_association(raw).as_slots()
    assert slots["rent_due"] == "every Monday, in advance"
    assert slots["rent_ways_to_pay"] == "Direct Debit or by phone"
    assert slots["rent_amount"] == raw["rent"]["amount"]
    assert slots["pay_rent_url"] == "https://pay.example/rent"


def test_the_phone_lines_hours_are_their_own_not_the_monitoring_hours(raw):
    raw["phone_lines"]["customer_services"].update(
        days=["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
        opens="08:00",
        closes="18:30",
    )
    slots = parse_association(raw).as_slots()
    assert slots["customer_services_hours"] == "Monday to Saturday, 8am to 6:30pm"
    assert slots["monitoring_hours"] == "Monday to Friday, 9am to 5pm"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("rent"), "rent must be a mapping"),
        (lambda r: r["rent"].update(due=""), "due is required"),
        (lambda r: r["rent"].update(ways_to_pay=[]), "ways_to_pay"),
        (lambda r: r["pages"].pop("pay_rent"), "pages is missing pay_rent"),
        (lambda r: r.pop("phone_lines"), "phone_lines must be a mapping"),
        (lambda r: r["phone_lines"].pop("customer_services"), "customer_services must be"),
        (lambda r: r["phone_lines"]["customer_services"].update(opens="8am"), "HH:MM"),
    ],
)
def test_rent_and_phone_lines_that_are_missing_are_refused(raw, change, message):
    change(raw)
    with pytest.raises(ConfigError, match=message):
        parse_association(raw)


def test_a_file_written_before_the_getting_involved_page_still_loads(raw):
    """An association.yml from before `pages.get_involved` (ask_job_vacancies) still starts
    the assistant: its website stands in for the page."""
    del raw["pages"]["get_involved"]
    association = parse_association(raw)
    assert association.pages["get_involved"] == raw["website"]
    assert association.as_slots()["get_involved_url"] == raw["website"]
