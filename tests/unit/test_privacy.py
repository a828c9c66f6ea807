"""The personal-detail detector: every kind by shape, and the hard negatives (P5)."""

import json
import subprocess
import sys

import pytest

from bot.privacy import KINDS, find, redact
from scripts.check_privacy import LABELLED_SETS, MIN_PRECISION, MIN_RECALL, evaluate, load
from tests.helpers import ROOT


def kinds(text):
    return [(s.kind, s.text) for s in find(text)]


@pytest.mark.parametrize(
    "text, kind, detail",
    [
        ("ring me on 07700 900123 pls", "phone", "07700 900123"),
        ("ring me on 07700900123", "phone", "07700900123"),
        ("landline (0113) 496 0000", "phone", "(0113) 496 0000"),
        ("my mobile +44 7700 900 456", "phone", "+44 7700 900 456"),
        ("office 020-7946-0018 ext 2", "phone", "020-7946-0018"),
        ("write to sam.o'brien+housing@mail.co.uk", "email", "sam.o'brien+housing@mail.co.uk"),
        ("write to sam.obrien@mail.co.uk", "email", "sam.obrien@mail.co.uk"),
        ("postcode ls62ab", "postcode", "ls62ab"),
        ("near SW1A 1AA", "postcode", "SW1A 1AA"),
        ("flat 4, 12 Oak Road has damp", "street_address", "flat 4, 12 Oak Road"),
        ("at 14a elm st since may", "street_address", "14a elm st"),
        ("Flat 3 Ashdown Court again", "street_address", "Flat 3 Ashdown Court"),
        ("my dob is 12/03/1985", "date_of_birth", "12/03/1985"),
        ("born on the 4th May 1990", "date_of_birth", "4th May 1990"),
        ("D.O.B: 01.02.1975", "date_of_birth", "01.02.1975"),
        ("tenancy ref 204817 please", "tenancy_reference", "tenancy ref 204817"),
        ("its ten204817", "tenancy_reference", "ten204817"),
        ("NI number QQ 12 34 56 C", "national_insurance", "QQ 12 34 56 C"),
        ("ni ab123456d", "national_insurance", "ab123456d"),
        ("card 4111 1111 1111 1111 exp 12/29", "payment_card", "4111 1111 1111 1111"),
        ("amex 378282246310005", "payment_card", "378282246310005"),
        ("sort code 20-45-77", "bank_details", "20-45-77"),
        ("sort code 204577", "bank_details", "204577"),
        ("account number 12345678", "bank_details", "12345678"),
        ("iban GB29 NWBK 6016 1331 9268 19", "bank_details", "GB29 NWBK 6016 1331 9268 19"),
    ],
)
def test_each_kind_is_found_by_its_shape(text, kind, detail):
    assert (kind, detail) in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "paid £1,234.56 last week and £95.50 today",
        "the engineer came on 12/03/2026 at 8am",
        "appointment booked for 3rd Dec 2026",
        "job R-30117 and order #100234",
        "looking for a 3 bed flat or a 2 bed house",
        "waited 14 weeks on the list, 3 weeks on the road",
        "call 999 or 101, or 111 for the nhs",
        "open 09:00 to 17:00, 50% off",
        "4111 1111 1111 1112 is not a real card",
        "since 2019 in flat 4",
        "see www.example-homes.org.uk or @examplehomes #housing",
        "the 12-03-85 letter",
    ],
)
def test_hard_negatives_are_left_alone(text):
    assert find(text) == []


def test_every_kind_is_one_of_the_design_kinds():
    assert set(KINDS) == {
        "phone", "email", "postcode", "street_address", "date_of_birth",
        "tenancy_reference", "national_insurance", "payment_card", "bank_details",
    }  # fmt: skip


def test_redaction_replaces_each_detail_with_its_kind():
    text = "call 07700 900123 or email a@b.co, i'm at 12 Oak Road LS6 2AB"
    assert redact(text) == "call [phone] or email [email], i'm at [street_address] [postcode]"


def test_the_command_reads_lines_and_writes_one_json_object_a_line():
    result = subprocess.run(
        [sys.executable, "-m", "bot.privacy"],
        input="call 07700 900123\nnothing here\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first == {"spans": [{"kind": "phone", "start": 5, "end": 17, "text": "07700 900123"}]}
    assert second == {"spans": []}


@pytest.mark.parametrize("path", LABELLED_SETS, ids=lambda p: p.name)
def test_each_labelled_set_is_found_above_the_thresholds(path):
    report = evaluate(load(path))
    assert report.recall >= MIN_RECALL, report.misses
    assert report.precision >= MIN_PRECISION, report.false_alarms


def test_the_labelled_sets_are_large_and_full_of_hard_negatives():
    messages = [m for path in LABELLED_SETS for m in load(path)]
    assert len(messages) >= 300
    assert sum(not m["details"] for m in messages) >= 150
