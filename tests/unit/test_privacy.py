"""The personal-detail detector: every kind by shape, and the hard negatives (P5)."""

import json
import subprocess
import sys

import pytest

from bot.privacy import KINDS, find, redact
from scripts.check_privacy import (
    DOCS,
    LABELLED_SETS,
    MIN_RECALL,
    README_END,
    README_START,
    VULNERABILITY,
    below_thresholds,
    evaluate,
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
        "phone",
        "email",
        "postcode",
        "street_address",
        "date_of_birth",
        "tenancy_reference",
        "national_insurance",
        "payment_card",
        "bank_details",
        "vulnerability",
    }


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
    """The thresholds, or the floor of a blind `vulnerability` set (check_privacy)."""
    report = evaluate(load(path))
    assert below_thresholds(report, path.name) == [], (report.misses, report.false_alarms)


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
        ),
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
        ),
        ("our dobs are 12 March 1961 and 4 November 1958", ["12 March 1961", "4 November 1958"]),
        (
            "joint tenancy: me dob 12/03/1961, partner dob 04/11/1958",
            ["12/03/1961", "04/11/1958"],
        ),
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


def vulnerable(text):
    """The phrases of kind `vulnerability` found in `text`, as written."""
    return [s.text for s in find(text) if s.kind == "vulnerability"]


def found_at(text, detail):
    start = text.index(detail)
    return any(
        s.kind == "vulnerability" and s.start < start + len(detail) and start < s.end
        for s in find(text)
    )


# The grammar of `bot.privacy.vulnerability`, one family of phrasings at a time: each positive is
# found where it is written, each hard negative raises nothing.
VULNERABLE_PHRASINGS = {
    "working hours, times and days written every way": [
        ("i do 7.30-5.30 mon to fri so after 6 pls", "7.30-5.30"),
        ("work 8am till 8pm tues thurs sat", "work 8am till 8pm"),
        ("im in work 8 till half 5", "in work 8 till half 5"),
        ("I work Monday to Friday 8 until 4", "work Monday to Friday 8 until 4"),
        ("i work in town 9 - 5.30 every day", "work in town 9 - 5.30"),
        ("Im at uni all day mon to thurs", "at uni all day"),
        ("i'm in work 6 days a week", "in work 6 days a week"),
        ("im a teacher, in school 8 till 5", "in school 8 till 5"),
        ("at work 0800-1630 so after 5 please", "at work 0800-1630"),
        ("I work evenings 5-10", "work evenings 5-10"),
        ("im on the 6-2 this week", "on the 6-2"),
        ("i'm a cleaner so out early mornings and evenings", "out early mornings"),
    ],
    "shifts and rotations": [
        ("cant do mornings im on earlies all week", "on earlies"),
        ("i work earlys and lates alternate weeks", "work earlys"),
        ("4 on 4 off nights so some days im not here", "4 on 4 off"),
        ("my partner works offshore 2 weeks on 2 weeks off", "2 weeks on 2 weeks off"),
        ("work 12hr shifts at the hospital", "work 12hr shifts"),
        ("im a nurse on 12s", "on 12s"),
        ("working a double today, back at midnight", "working a double"),
        ("my shift pattern is 3 days 3 nights 3 off", "shift pattern is 3 days"),
        ("i'm on a night shift tonight", "night shift tonight"),
    ],
    "leaving and coming home": [
        ("out the house by 6am and not back till 7pm", "out the house by 6am"),
        ("out the house by 6am and not back till 7pm", "not back till 7pm"),
        ("working a double today, back at midnight", "back at midnight"),
        ("home by 6 at the earliest", "home by 6"),
        ("im never in before 7 during the week", "never in before 7"),
        ("i do earlys all this week so im out by 5.30am", "out by 5.30am"),
        ("we both leave at 7 and get home at 6", "leave at 7"),
        ("The house is empty all day while we're at work", "while we're at work"),
        ("We're both at work weekdays.", "at work weekdays"),
        ("i get home from work at like 7", "get home from work at like 7"),
        ("work 12hr shifts so im hardly ever home", "hardly ever home"),
    ],
    "routines and regular outings": [
        ("i go bingo every tuesday night", "bingo every tuesday"),
        ("every sunday i go to my sisters for the day", "every sunday i go"),
        ("im at the day centre mondays and fridays", "day centre mondays"),
        ("i visit my mum every day from 10 till 3", "visit my mum every day"),
        ("i have dialysis 3 times a week", "dialysis 3 times a week"),
        ("i'm out all day mondays and wednesdays", "out all day mondays"),
        ("church sunday mornings 9-12", "church sunday mornings"),
        ("i'm at the gym 6-8 every night", "gym 6-8 every night"),
    ],
    "an empty home, nobody in": [
        ("i'm in hosp atm and my flat is sitting empty", "flat is sitting empty"),
        ("flats empty most weekends", "flats empty"),
        ("no ones home mon-fri between 8 and 6", "no ones home mon-fri"),
        ("noone at the flat during the day", "noone at the flat during the day"),
        ("nobdy home til 6", "nobdy home til 6"),
        ("theres no one in after 8am most days", "no one in after 8am"),
        ("working 9 to 5 so no one is home", "no one is home"),
    ],
    "trips and stays away, destinations and durations": [
        ("were off to benidorm saturday for a fortnight", "off to benidorm"),
        ("flying to dubai tmrw for a week", "flying to dubai"),
        ("on holiday 3rd-17th aug", "on holiday 3rd-17th"),
        ("holiday from 1st-15th june", "holiday from 1st"),
        ("Gone to my mams for xmas, back on the 2nd", "Gone to my mams for xmas"),
        ("im going to my sons in leeds for christmas", "going to my sons"),
        ("off to the canaries on tuesday for a fortnight", "off to the canaries"),
        ("i'm in portugal till the 20th", "in portugal till the 20th"),
        ("we're away for a long weekend from friday", "away for a long weekend"),
        ("my husband is in the army and deployed till march", "deployed till march"),
        ("im staying at my daughters for the next 3 weeks", "staying at my daughters"),
        ("going home to poland for a month", "going home to poland"),
        ("off on my holidays sat", "off on my holidays sat"),
    ],
    "hospital and care": [
        ("my husbands in hospital and the house is empty", "husbands in hospital"),
        ("mum's been admitted to hospital", "admitted to hospital"),
        ("im in for an operation next tuesday", "in for an operation next tuesday"),
        ("I'm in the royal infirmary at the moment", "in the royal infirmary at the moment"),
        ("dad is in a care home for respite for 2 weeks", "in a care home"),
    ],
    "alone, old, ill or disabled": [
        ("she's 90 and on her own in that flat", "90 and on her own"),
        ("i'm housebound and on my own all day", "housebound and on my own"),
        ("partially sighted and live alone", "partially sighted and live alone"),
        ("elderly lady on her own at no 4", "elderly lady on her own"),
        ("I'm a widower living alone", "widower living alone"),
        ("i have no one, i live here alone", "live here alone"),
        ("I'm a lone parent with two under 5s", "lone parent"),
    ],
    "alone-words of every form": [
        ("widowed last year, its just me in the house now", "just me in the house"),
        ("just me and the kids now hubby's left", "just me and the kids"),
        ("just the 2 of us now hubby left", "just the 2 of us"),
        ("im the only one living here now", "the only one living here"),
        ("i'm the only person in the house", "the only person in the house"),
        ("theres nobody else in the house, just me", "nobody else in the house"),
        ("i'm on my tod here", "on my tod"),
        ("me and my baby are on our own", "on our own"),
        ("on my own since my husband died", "on my own since"),
        ("im on me own wiv 2 kids", "on me own wiv"),
        ("i'm by myself every night and scared", "by myself every night"),
    ],
    "text-speak and dialect": [
        ("@HousingCo im at wrk 8-6 every day so cant wait in", "at wrk 8-6"),
        ("wrkin 2day n 2moz til 9pm", "wrkin 2day n 2moz til 9pm"),
        ("on nites all wk", "on nites"),
        ("no1 home til 6 x", "no1 home til 6"),
        ("nobodys in wkdays", "nobodys in wkdays"),
        ("flyin 2 ibiza sat 4 a wk", "flyin 2 ibiza"),
        ("we r away all wknd", "away all wknd"),
        ("hols next wk so cant do it", "hols next wk"),
        ("in spain til 2nd sept", "in spain til 2nd sept"),
        ("its just me an the bairns", "just me an the bairns"),
        ("kids r on there own 3-6", "kids r on there own"),
        ("the weans are in themselves after school", "weans are in themselves"),
        ("ive lived alone for 20 yrs", "lived alone"),
    ],
    "a child at home alone": [
        ("my son's on his own on tuesdays", "son's on his own"),
        ("my 11yo is by herself for an hour after school", "11yo is by herself"),
        ("kids are by themselves till i get home", "kids are by themselves"),
        ("my 10 yr old is in on his own after school till 5", "in on his own"),
        ("my son is 8 and alone at home after school", "alone at home"),
        ("our boys are left alone from 3-5 till we get back", "boys are left alone"),
    ],
}
NOT_VULNERABLE = {
    "someone else's hours": [
        "the lights work from 6 till midnight in the car park",
        "your repairs team work 8 till 4 dont they",
        "the repairs team are on nights this week fixing the lifts",
        "the fitters are here every day from 8 till 4",
        "the gas man said he'll be back at 2",
        "the caretaker is only here 9 till 1",
        "the concierge works nights",
    ],
    "a visit slot, a one-off, or home all day": [
        "i'll be in from 08:00 till 12:30 tomorrow for the plumber",
        "ring me back at 6",
        "i'm out at 3:15 for school run",
        "im home all day every day so come anytime",
        "im in 2moz all day",
        "the club next door is loud every friday night",
        "nobodys in charge of anything in that office",
        "i'm in most days except the odd afternoon",
    ],
    "a past trip, a negation, a wish": [
        "we went to turkey for 2 weeks in june and came back to damp",
        "i got home at 6 and the ceiling was down",
        "he's been in hospital twice with his chest because of the damp",
        "i'm not going away, i'm staying put till you fix this",
        "we don't work nights",
        "take it away please its been there 3 weeks",
        "going to spain sounds lovely right now with this weather",
        "he's off to uni in september and we want a smaller place",
        "i've been in agony for 3 weeks",
        "Last year we were away for two weeks and came home to the flat flooded.",
        "they left the job half done and went on holiday for two weeks",
    ],
    "alone-words that are not about living alone": [
        "i'm on my own phone, the other number doesn't work",
        "my son is on his own tenancy now",
        "i did it all by myself in the end, no help from you",
        "you're not on your own with this one hun",
        "am i the only one here who pays rent on time",
        "is it just me or is the rent going up",
        "the tap drips on its own all night",
        "the doctor says im fine to be on my own now",
        "i'll sort it on my own if you give me the paint",
    ],
    "people in general, someone staying in": [
        "are there flats for people living alone?",
        "the survey says 1 in 4 pensioners live alone",
        "my daughter is staying with me for a week",
        "my elderly mum visits on sundays",
        "the empty flat above has a leak",
        "the flat was empty for 6 months before we moved in",
        "nobody in your office answers the phone",
    ],
}


@pytest.mark.parametrize(
    "text, detail",
    [case for cases in VULNERABLE_PHRASINGS.values() for case in cases],
    ids=[
        f"{family}: {detail}"
        for family, cases in VULNERABLE_PHRASINGS.items()
        for _, detail in cases
    ],
)
def test_each_way_of_saying_a_home_is_empty_or_someone_alone_is_found(text, detail):
    """P5: read by strangers, these tell when a home is empty or who is alone in it."""
    assert found_at(text, detail), vulnerable(text)


@pytest.mark.parametrize(
    "text",
    [text for texts in NOT_VULNERABLE.values() for text in texts],
    ids=[f"{family}: {text}" for family, texts in NOT_VULNERABLE.items() for text in texts],
)
def test_what_only_looks_like_it_is_left_alone(text):
    assert vulnerable(text) == []


def test_the_vulnerability_set_is_large_and_holds_hard_negatives():
    messages = load(VULNERABILITY)
    assert VULNERABILITY in LABELLED_SETS
    assert len(messages) >= 300
    assert sum(not m["details"] for m in messages) >= 100
    assert sum(any(d["kind"] == "vulnerability" for d in m["details"]) for m in messages) >= 150


def test_a_kind_found_by_phrase_is_gated_on_its_own():
    """Its misses must not hide among the hits of the kinds found by shape."""
    phones = [{"text": "call 07700 900123", "details": [{"kind": "phone", "text": "07700 900123"}]}]
    alone = [{"text": "i live alone", "details": [{"kind": "vulnerability", "text": "live alone"}]}]
    unread = [{"text": "nobody about", "details": [{"kind": "vulnerability", "text": "nobody"}]}]
    report = evaluate(phones * 100 + alone * 18 + unread * 2)
    assert report.recall >= MIN_RECALL
    assert below_thresholds(report) == ["vulnerability recall 0.900, precision 1.000"]
    assert below_thresholds(evaluate(phones * 100 + alone * 20)) == []


def test_the_blind_vulnerability_sets_are_measured_and_held_to_their_floor():
    """Their figure is reported as it is; the floor only stops it getting worse."""
    names = [p.name for p in LABELLED_SETS]
    assert "vulnerability_blind.yml" in names and "vulnerability_blind_2.yml" in names
    alone = [{"text": "i live alone", "details": [{"kind": "vulnerability", "text": "live alone"}]}]
    unread = [{"text": "nobody about", "details": [{"kind": "vulnerability", "text": "nobody"}]}]
    at_85 = evaluate(alone * 17 + unread * 3)
    assert below_thresholds(at_85, "vulnerability_blind_2.yml") == []
    assert below_thresholds(at_85, "vulnerability.yml") != []
    at_75 = evaluate(alone * 15 + unread * 5)
    assert below_thresholds(at_75, "vulnerability_blind_2.yml") != []


def test_the_documented_figures_are_the_ones_the_command_measures():
    """Run `python -m scripts.check_privacy --write-readme` when the detector changes."""
    reports = {p.name: evaluate(load(p)) for p in LABELLED_SETS}
    messages = {p.name: load(p) for p in LABELLED_SETS}
    text = DOCS.read_text(encoding="utf-8")
    block = text.split(README_START, 1)[1].split(README_END, 1)[0]
    assert block.strip() == readme_block(reports, messages).strip()


@pytest.mark.parametrize(
    "text, number",
    [
        ("Phone:07700900123", "07700900123"),
        ("Mob:07700 900123", "07700 900123"),
        ("Tel:0161 496 0000", "0161 496 0000"),
        ("07700900123/07700900124", "07700900124"),
        ("my number is 07700  900 123", "07700  900 123"),
        ("call 07700\t900123", "07700\t900123"),
        ("07700\n900123", "07700\n900123"),
        (
            "call me on \u0660\u0667\u0667\u0660\u0660 \u0669\u0660\u0660\u0661\u0662\u0663",
            "\u0660\u0667\u0667\u0660\u0660 \u0669\u0660\u0660\u0661\u0662\u0663",
        ),
        (
            "call me on \u0966\u096d\u096d\u0966\u0966 \u096f\u0966\u0966\u0967\u0968\u0969",
            "\u0966\u096d\u096d\u0966\u0966 \u096f\u0966\u0966\u0967\u0968\u0969",
        ),
        ("call me on 0\u0301 7 7 0 0 9 0 0 1 2 3", "0\u0301 7 7 0 0 9 0 0 1 2 3"),
        ("call me on 0\u03017\u0301700900123", "0\u03017\u0301700900123"),
    ],
)
def test_a_phone_number_written_carelessly_or_disguised_is_found(text, number):
    assert ("phone", number) in kinds(text)


@pytest.mark.parametrize(
    "text", ["meet at 10:07700 then", "the 10:07 07700 bus", "from 09:01 to 17:00 0161"]
)
def test_a_time_is_not_the_start_of_a_phone_number(text):
    assert [k for k, _ in kinds(text) if k == "phone"] == []


@pytest.mark.parametrize(
    "text, kind, detail",
    [
        ("Ref:TEN-204817", "tenancy_reference", "TEN-204817"),
        ("NI:QQ123456C", "national_insurance", "QQ123456C"),
        ("NI:QQ 12  34 56 C", "national_insurance", "QQ 12  34 56 C"),
        ("postcode:LS6 2AB", "postcode", "LS6 2AB"),
        ("postcode LS6  2AB", "postcode", "LS6  2AB"),
        ("TEN204817/TEN204818", "tenancy_reference", "TEN204818"),
    ],
)
def test_other_details_after_a_colon_slash_or_wide_space_are_found(text, kind, detail):
    assert (kind, detail) in kinds(text)
