"""The personal-detail detector: every kind by shape, and the hard negatives (P5)."""

import json
import subprocess
import sys

import pytest

from bot.privacy import KINDS, find, redact
from scripts.check_privacy import (
    LABELLED_SETS,
    MIN_PRECISION,
    MIN_RECALL,
    OPTIONAL_SETS,
    README,
    README_END,
    README_START,
    VULNERABILITY,
    below_thresholds,
    evaluate,
    labelled_sets,
    load,
    readme_block,
)
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
        "vulnerability",
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


@pytest.mark.parametrize(
    "text, kind, detail",
    [
        ("call 07700\u00a0900123 pls", "phone", "07700\u00a0900123"),
        ("call 07700.900.123 pls", "phone", "07700.900.123"),
        ("call 07700\u200b900123 pls", "phone", "07700\u200b900123"),
        ("call 0770\u200b0 900\u200c123", "phone", "0770\u200b0 900\u200c123"),
        (
            "call \uff10\uff17\uff17\uff10\uff10\uff19\uff10\uff10\uff11\uff12\uff13",
            "phone",
            "\uff10\uff17\uff17\uff10\uff10\uff19\uff10\uff10\uff11\uff12\uff13",
        ),  # fmt: skip
        ("email jo\u200b@example.com", "email", "jo\u200b@example.com"),
        ("\ufb01x it, ring 07700 900123", "phone", "07700 900123"),
        ("\ufb01\ufb02 dob 12/03/1985", "date_of_birth", "12/03/1985"),
        ("postcode LS6\u00a02AB", "postcode", "LS6\u00a02AB"),
    ],
)
def test_a_detail_hidden_by_unusual_characters_is_found_where_it_was_written(text, kind, detail):
    """P5: spans index the text as posted, so redaction removes the whole detail."""
    assert (kind, detail) in kinds(text)
    [span] = [s for s in find(text) if s.kind == kind]
    assert text[span.start : span.end] == span.text == detail
    assert detail not in redact(text)


def test_the_command_gives_offsets_in_the_line_as_written():
    result = subprocess.run(
        [sys.executable, "-m", "bot.privacy"],
        input="\ufb01x: 07700\u200b900123\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        check=True,
    )
    [span] = json.loads(result.stdout)["spans"]
    assert span == {"kind": "phone", "start": 4, "end": 16, "text": "07700\u200b900123"}


@pytest.mark.parametrize(
    "text, dates",
    [
        ("me 12/03/1961 and my husband 04/11/1958", ["12/03/1961", "04/11/1958"]),
        ("DOBs 1.2.80 & 3.4.82", ["1.2.80", "3.4.82"]),
        (
            "dates of birth 12/03/1961, 04/11/1958 and 21/07/1995",
            ["12/03/1961", "04/11/1958", "21/07/1995"],
        ),  # fmt: skip
        ("our dobs are 12 March 1961 and 4 November 1958", ["12 March 1961", "4 November 1958"]),
        (
            "joint tenancy: me dob 12/03/1961, partner dob 04/11/1958",
            ["12/03/1961", "04/11/1958"],
        ),  # fmt: skip
        ("dob mine 12/03/1961 his 04/11/1958", ["12/03/1961", "04/11/1958"]),
        ("born 12/03/1961 and 04/11/1958", ["12/03/1961", "04/11/1958"]),
        ("my dob 12/03/1961 and the engineer came 04/11/2026", ["12/03/1961"]),
        ("dob 12/03/1961. appointment 04/11/2026 and 05/11/2026", ["12/03/1961"]),
    ],
)
def test_every_date_of_birth_in_a_message_is_found(text, dates):
    """A joint tenancy gives two or more people's dates of birth in one line (P5)."""
    assert [s.text for s in find(text) if s.kind == "date_of_birth"] == dates


@pytest.mark.parametrize(
    "text, number",
    [
        # Ten digits with the leading 0: the few UK areas with five-digit local numbers.
        ("ring 016977 1234 after 6", "016977 1234"),
        ("ring 01697 71234 after 6", "01697 71234"),
        ("ring (016977) 4567", "(016977) 4567"),
        ("ring +44 16977 1234", "+44 16977 1234"),
        ("landline 0169771234", "0169771234"),
    ],
)
def test_ten_digit_uk_numbers_are_phone_numbers(text, number):
    assert ("phone", number) in kinds(text)


@pytest.mark.parametrize(
    "text, detail",
    [
        ("can the fitter come after 6, im at work 9 till 5", "at work 9 till 5"),
        ("away in Spain all next week", "away in Spain all next week"),
        ("on holiday from the 3rd so book it before", "on holiday from the 3rd"),
        ("in hospital for a fortnight, house empty", "in hospital for a fortnight"),
        ("in hospital for a fortnight, house empty", "house empty"),
        ("i work nights so mornings are no good", "work nights"),
        ("I live on my own and the heating is off", "live on my own"),
        ("my mum is 87 and lives alone", "lives alone"),
        ("my 13yr old will be home alone on friday", "home alone"),
        ("the kids are on their own till 5", "kids are on their own"),
    ],
)
def test_what_could_make_someone_vulnerable_is_found_by_phrase(text, detail):
    """DESIGN.md: working hours, an empty home, living alone, a child alone (P5)."""
    found = [s for s in find(text) if s.kind == "vulnerability"]
    start = text.index(detail)
    assert any(s.start < start + len(detail) and start < s.end for s in found), found


@pytest.mark.parametrize(
    "text",
    [
        "are you open 9 to 5?",
        "do your staff work 9 to 5? nobody answers at 4.45",
        "i'll be in from 08:00 till 12:30 tomorrow for the plumber",
        "we were away in spain last month and came back to a flood",
        "just got back from holiday and the boiler is broken",
        "leave me alone, stop messaging me",
        "i'm not alone in this, the whole street has damp",
        "i work from home so any day is fine",
        "the engineer can come between 8 and 1 on tuesday",
        "my housing officer is on holiday till june and nobody else helps",
        "the damp won't go away no matter how much i clean",
    ],
)
def test_hours_and_absences_that_are_not_the_tenants_are_left_alone(text):
    assert find(text) == []


def test_the_vulnerability_set_is_large_and_holds_hard_negatives():
    messages = load(VULNERABILITY)
    assert VULNERABILITY in LABELLED_SETS
    assert len(messages) >= 100
    assert sum(not m["details"] for m in messages) >= 40
    assert sum(d["kind"] == "vulnerability" for m in messages for d in m["details"]) >= 60


def test_a_kind_found_by_phrase_is_gated_on_its_own():
    """Its misses must not hide among the hits of the kinds found by shape."""
    phones = [{"text": "call 07700 900123", "details": [{"kind": "phone", "text": "07700 900123"}]}]
    alone = [{"text": "i live alone", "details": [{"kind": "vulnerability", "text": "live alone"}]}]
    unread = [{"text": "nobody about", "details": [{"kind": "vulnerability", "text": "nobody"}]}]
    report = evaluate(phones * 100 + alone * 18 + unread * 2)
    assert report.recall >= MIN_RECALL
    assert below_thresholds(report) == ["vulnerability recall 0.900, precision 1.000"]
    assert below_thresholds(evaluate(phones * 100 + alone * 20)) == []


def test_an_optional_set_counts_once_its_file_is_written(tmp_path):
    later = tmp_path / "later.yml"
    assert later not in labelled_sets([later])
    later.write_text("messages: []\n")
    assert labelled_sets([later])[-1] == later
    assert [p.name for p in OPTIONAL_SETS] == ["vulnerability_blind.yml"]


def test_the_readme_figures_are_the_ones_the_command_measures():
    """Run `python -m scripts.check_privacy --write-readme` when the detector changes."""
    reports = {p.name: evaluate(load(p)) for p in LABELLED_SETS}
    messages = {p.name: load(p) for p in LABELLED_SETS}
    text = README.read_text(encoding="utf-8")
    block = text.split(README_START, 1)[1].split(README_END, 1)[0]
    assert block.strip() == readme_block(reports, messages).strip()
