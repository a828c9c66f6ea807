"""Personal details in a message, found by their shape (P5).

Ten kinds (DESIGN.md): phone, email, postcode, street_address, date_of_birth,
tenancy_reference, national_insurance, payment_card, bank_details, and vulnerability.
Shapes, not registries: a number that looks like a UK phone number is one, allocated
or not; a National Insurance number counts whatever its prefix; a card number must
pass the Luhn check; a date is a date of birth only when it is stated as one (a cue
such as "dob", a person's date with a birth year, or a list joined to either: a joint
tenancy gives every tenant's). Missing a detail is worse than a false alarm, so shapes
are read generously and the hard negatives (money, appointment dates, job numbers,
"3 bed flat") are ruled out by name. `vulnerability` has no shape: it is found by
phrase (`bot.privacy.vulnerability`).

The text is read as a person reads it (`bot.privacy.normalise.normalise`: no zero-width
characters, plain spaces, plain digits), and every span points into the text as it
was written.

    python -m bot.privacy      # text lines in, one JSON object a line out:
                               # {"spans": [{"kind", "start", "end", "text"}]}
"""

from __future__ import annotations

import bisect
import json
import re
import sys
from dataclasses import asdict, dataclass
from typing import Iterable, Iterator, List, Tuple

from bot.privacy.normalise import normalise
from bot.privacy.vulnerability import phrases
from bot.text.uk import (
    DAY_MONTH_YEAR,
    ISO_DATE,
    MONTH_DAY_YEAR,
    NUMERIC_DATE,
    POSTCODE,
    STREET_WORDS,
    TENANCY_REFERENCE,
)

KINDS = (
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
)


@dataclass(frozen=True)
class Span:
    """One personal detail: its kind and where it is in the text."""

    kind: str
    start: int
    end: int
    text: str


IGNORE_CASE = re.IGNORECASE
EMAIL = re.compile(r"[A-Za-z0-9._%+'\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
CARD = re.compile(r"(?<![\d£$€.,])\d(?:[ \-]?\d){12,18}(?![\d])")
IBAN = re.compile(r"\bGB\d{2}\s?[A-Z]{4}(?:\s?\d){14}\b", IGNORE_CASE)
SORT_CODE = re.compile(r"(?<![\d/.£\-])(\d{2})-(\d{2})-(\d{2})(?![\d/\-])")
SORT_CODE_WORDED = re.compile(
    r"(?:\bsort\s*code|\bs/c)\s*(?:is|:|-|=)?\s*(\d{6}|\d{2}[-\s]\d{2}[-\s]\d{2})", IGNORE_CASE
)
ACCOUNT_NUMBER = re.compile(
    r"(?:\ba/?c|\bacct|\bacc(?:ount)?|\bbank\s+account)\s*(?:number|no\.?|num|#)?\s*(?:is|:|-)?\s*"
    r"(\d{8})\b",
    IGNORE_CASE,
)
NATIONAL_INSURANCE = re.compile(
    r"\b[A-Z]{2}(?:\s{1,3}|-)?\d{2}(?:\s{1,3}|-)?\d{2}(?:\s{1,3}|-)?\d{2}(?:\s{1,3}|-)?[A-D]\b",
    IGNORE_CASE,
)
# "Tel:0161..." and "07700900123/07700900124" start a number; a time ("10:07") does not.
PHONE_START = re.compile(
    r"(?<![\w£$€.,])(?<!\d:)(?:(?:\+\s?44|0044)(?:\s?\(0\))?|\(0|0)(?=[\d\s)(\-])"
)
# An account number written straight after a sort code: "20-45-77 31926819".
ACCOUNT_AFTER_SORT_CODE = re.compile(
    r"\W{1,4}(?:[a-z/]{1,8}\.?\s*[:#-]?\s*)?(\d{8})\b", IGNORE_CASE
)
# "09/09/1999 is my dob": the cue after the date.
BIRTH_CUE_AFTER = re.compile(
    r"\s*(?:is|was|=|-|,)?\s*(?:my|me|his|her|their|the)?\s*"
    r"(?:d\.?\s?o\.?\s?b|date\s+of\s+birth|birth\s?day|birth\s?date)\b",
    IGNORE_CASE,
)
BIRTH_CUE = re.compile(
    r"\b(?:d\.?\s?o\.?\s?b(?:['’]?s)?\b\.?|dates?\s+of\s+birth\b|birth\s?dates?\b|"
    r"birthdays?\b|born\b)"
    r"(?:\s+(?:is|was|on|in|the|of|:))*\s*[:\-]?\s*",
    IGNORE_CASE,
)
# Someone just before a date: "my husband 04/11/1958", "me: 12/03/1961".
PERSON_BEFORE_DATE = re.compile(
    r"\b(?:me|myself|mine|husband|hubby|wife|partner|other\s+half|son|daughter|mum|mam|mom|"
    r"mother|dad|father|nan|gran|grandad|grandma|brother|sister|fiancee?|boyfriend|"
    r"girlfriend|lodger|joint\s+tenant)(?:['’]?s)?\s*(?:is|was|born|b\.?|dob)?\s*[:=\-,(]?\s*$",
    IGNORE_CASE,
)
# The words that may join dates of birth in a list, and the people they belong to.
LIST_WORDS = set(
    "and n plus also then with me mine myself my i im his her hers him their theirs our "
    "ours is are was were s the of both dob dobs d o b born on date dates birth husband "
    "hubby wife partner other half son sons daughter daughters kid kids child children "
    "mum mam mom mother dad father nan gran grandad grandma brother sister fiance fiancee "
    "boyfriend girlfriend lodger joint tenant tenants eldest youngest baby twins one "
    "for who whos".split()
)
BUILDING_WORDS = r"court|house|tower|lodge|mansions|heights|point|building|block|hall|flats"
FLAT = r"(?:flat|apartment|apt|unit|maisonette)\s*\d{1,4}[a-z]?"
NAME_WORD = r"[a-z][a-z'’\-]*"
STREET_ADDRESS = re.compile(
    rf"(?:{FLAT}\s*,?\s*)?\b\d{{1,4}}[a-z]?\s*,?\s+the\s+(?:{STREET_WORDS}|{BUILDING_WORDS})\b"
    rf"|(?:{FLAT}\s*,?\s*)?\b\d{{1,4}}[a-z]?\s*,?\s+((?:{NAME_WORD}\s+){{1,3}})(?:{STREET_WORDS})\b"
    rf"|{FLAT}\s*,?\s*((?:{NAME_WORD}\s+){{1,3}})(?:{BUILDING_WORDS}|{STREET_WORDS})\b",
    IGNORE_CASE,
)
# "5 The Paddock": a house number, then "The" and a name, capitalised as on a letter.
STREET_THE = re.compile(rf"(?:(?i:{FLAT})\s*,?\s*)?\b\d{{1,4}}[a-zA-Z]?\s*,?\s+The\s+[A-Z][a-z]+\b")
# Words that are not part of a street's name: "3 weeks on the road" is no address.
NOT_STREET_NAME = set(
    (
        "a an the on in at to of for my and with from by is was are were be it its i we "
        "you they this that weeks week days day months month years year hours hour times "
        "bed beds bedroom people kids pounds quid mins minutes floor floors side way more "
        "less than about over up down car bus level storey storeys"
    ).split()
)
PRIORITY = {
    "email": 0,
    "payment_card": 1,
    "national_insurance": 2,
    "bank_details": 3,
    "tenancy_reference": 4,
    "phone": 5,
    "date_of_birth": 6,
    "street_address": 7,
    "postcode": 8,
    "vulnerability": 9,
}


def find(text: str) -> List[Span]:
    """Every personal detail in `text`, in order, none overlapping another.

    Where candidates overlap, the kind that is surer of itself wins (an email over the
    digits in it, an IBAN over a card-like run of its digits), then the longer. Spans
    index `text` as given, though the details are read in its normalised form.
    """
    normal = normalise(text)
    # Kept in order of start: none overlaps another, so their ends are in order too.
    chosen: List[Span] = []
    starts: List[int] = []
    for span in sorted(_candidates(normal.text), key=_precedence):
        at = bisect.bisect_left(starts, span.start)
        if (at and chosen[at - 1].end > span.start) or (
            at < len(chosen) and chosen[at].start < span.end
        ):
            continue
        chosen.insert(at, span)
        starts.insert(at, span.start)
    if normal.text == text:
        return chosen
    return [_span(s.kind, text, *normal.original_span(s.start, s.end)) for s in chosen]


def _precedence(span: Span) -> tuple[float, int]:
    iban = span.kind == "bank_details" and span.text[:2].upper() == "GB"
    return (-1 if iban else PRIORITY[span.kind], span.start - span.end)


def redact(text: str, spans: Iterable[Span] | None = None) -> str:
    """`text` with every personal detail replaced by its kind, as "[phone]"."""
    spans = sorted(find(text) if spans is None else spans, key=lambda s: s.start, reverse=True)
    for span in spans:
        text = f"{text[: span.start]}[{span.kind}]{text[span.end :]}"
    return text


def _candidates(text: str) -> Iterator[Span]:
    for match in EMAIL.finditer(text):
        yield _span("email", text, match.start(), match.end())
    for match in CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            yield _span("payment_card", text, match.start(), match.end())
    yield from _bank_details(text)
    for match in NATIONAL_INSURANCE.finditer(text):
        yield _span("national_insurance", text, match.start(), match.end())
    for match in TENANCY_REFERENCE.finditer(text):
        yield _span("tenancy_reference", text, match.start(), match.end())
    for start, end in _phones(text):
        yield _span("phone", text, start, end)
    yield from _dates_of_birth(text)
    for match in STREET_THE.finditer(text):
        yield _span("street_address", text, match.start(), match.end())
    for match in STREET_ADDRESS.finditer(text):
        name = match.group(1) or match.group(2) or ""
        if not set(name.lower().split()) & NOT_STREET_NAME:
            yield _span("street_address", text, match.start(), match.end())
    for match in POSTCODE.finditer(text):
        yield _span("postcode", text, match.start(), match.end())
    for start, end in phrases(text):
        yield _span("vulnerability", text, start, end)


def _bank_details(text: str) -> Iterator[Span]:
    for match in IBAN.finditer(text):
        yield _span("bank_details", text, match.start(), match.end())
    sort_codes = [(m.start(1), m.end(1)) for m in SORT_CODE_WORDED.finditer(text)]
    for match in SORT_CODE.finditer(text):
        first, second = int(match.group(1)), int(match.group(2))
        # 12-03-85 may be a date; a triple that cannot be one is a sort code.
        if not (1 <= first <= 31 and 1 <= second <= 12):
            sort_codes.append((match.start(), match.end()))
    for start, end in sort_codes:
        yield _span("bank_details", text, start, end)
        account = ACCOUNT_AFTER_SORT_CODE.match(text, end)
        if account:
            yield _span("bank_details", text, account.start(1), account.end(1))
    for match in ACCOUNT_NUMBER.finditer(text):
        yield _span("bank_details", text, match.start(1), match.end(1))


def _phones(text: str) -> Iterator[Tuple[int, int]]:
    """UK-shaped numbers: 0 (or +44, 0044) and 9 or 10 more digits, spaced any way.

    Ten digits in all (with the 0) is the shape of the few areas with five-digit local
    numbers, such as 016977 1234 and 01697 71234; the rest have eleven.
    """
    for match in PHONE_START.finditer(text):
        # +44 and 0044 (with or without "(0)") stand for the leading 0.
        digits, ends = "0", []
        position = match.end()
        gap = 0  # whitespace in a row: up to three ("07700  900123", a tab, a line break)
        while position < len(text) and len(digits) < 11:
            char = text[position]
            if char in "0123456789":
                digits += char
                ends.append((len(digits), position + 1))
            elif not (char.isspace() or char in "-().") or (gap == 3 and char.isspace()):
                break
            gap = gap + 1 if char.isspace() else 0
            position += 1
        after = {count: end for count, end in ends}
        for count in (11, 10):
            end = after.get(count)
            if end and not (end < len(text) and text[end].isdigit()) and digits[1] in "123578":
                yield match.start(), end
                break


def _dates_of_birth(text: str) -> Iterator[Span]:
    """Dates stated as dates of birth, and every date listed with one.

    A date is one when a cue comes before ("dob", "born on") or after it ("is my
    dob"), or when a person comes just before it and its year is a birth year ("my
    husband 04/11/1958"). A joint tenancy lists several: a date joined to one of
    these by "and", a comma or a person ("me 12/03/1961 and my husband 04/11/1958",
    "DOBs 1.2.80 & 3.4.82") is one too; "dob 12/03/1961, engineer came 04/11/2026"
    gives one.
    """
    dates = _dates(text)
    births = set()
    for index, (start, end) in enumerate(dates):
        before = text[max(0, start - 40) : start]
        if BIRTH_CUE_AFTER.match(text, end) or (
            PERSON_BEFORE_DATE.search(before) and _birth_year(text[start:end])
        ):
            births.add(index)
    for cue in BIRTH_CUE.finditer(text):
        for index, (start, _) in enumerate(dates):
            if start >= cue.end():
                if start - cue.end() <= 30 and _listed(text[cue.end() : start]):
                    births.add(index)
                break
    # A list of dates is one list: spread along it, both ways.
    for order in (range(1, len(dates)), range(len(dates) - 2, -1, -1)):
        for index in order:
            near = index - 1 if order.step == 1 else index + 1
            first, second = sorted((dates[index], dates[near]))
            if near in births and _listed(text[first[1] : second[0]]):
                births.add(index)
    for index in sorted(births):
        yield _span("date_of_birth", text, *dates[index])


def _dates(text: str) -> List[Tuple[int, int]]:
    """Every date in `text`, in order, none inside another."""
    found = sorted(
        (
            (m.start(), m.end())
            for p in (ISO_DATE, NUMERIC_DATE, DAY_MONTH_YEAR, MONTH_DAY_YEAR)
            for m in p.finditer(text)
        ),
        key=lambda d: (d[0], -d[1]),
    )
    dates: List[Tuple[int, int]] = []
    for start, end in found:
        if not dates or start >= dates[-1][1]:
            dates.append((start, end))
    return dates


def _listed(gap: str) -> bool:
    """Whether the words between two dates (or a cue and a date) only join a list."""
    if len(gap) > 40 or re.search(r"[.!?]\s|\n", gap):
        return False
    words = re.findall(r"[^\W\d_]+", gap)
    return not re.search(r"\d", gap) and all(
        word.lower() in LIST_WORDS or (word[0].isupper() and word[1:].islower()) for word in words
    )


def _birth_year(date: str) -> bool:
    """A year someone alive was born in, and not this decade's appointments."""
    years = [n for n in re.findall(r"\d+", date) if len(n) == 4]
    return (
        bool(years)
        and 1900 <= int(years[0]) <= 2012
        or (not years and len(re.findall(r"\d+", date)[-1]) == 2)
    )


def _span(kind: str, text: str, start: int, end: int) -> Span:
    return Span(kind, start, end, text[start:end])


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def main() -> int:
    """Text lines on stdin; one JSON object a line on stdout."""
    for line in sys.stdin:
        spans = [asdict(span) for span in find(line.rstrip("\n"))]
        sys.stdout.write(json.dumps({"spans": spans}) + "\n")
    sys.stdout.flush()
    return 0
