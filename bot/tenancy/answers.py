"""Reading tenants' answers to the security questions (P4).

Tenants type answers in many shapes; an answer is compared only after it is put in
one canonical form, so that "ls62ab" and "LS6 2AB", or "12th march 85" and
"12/03/1985", are the same answer. Each function returns None for text that does not
hold an answer of its kind.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from bot.text.uk import (
    DAY_MONTH_YEAR,
    ISO_DATE,
    MONTH_DAY_YEAR,
    MONTHS,
    NUMERIC_DATE,
    POSTCODE_PARTS,
    STREET_ABBREVIATIONS,
    TENANCY_REFERENCE,
)

# A reply that is only a reference's six digits ("204817", "it's 204817").
BARE_REFERENCE = re.compile(r"^\D*?(\d{6})\D*$")

# Words around an address that are not part of it: "my postcode is ... and it's ...".
FILLER_WORDS = {"my", "post", "code", "postcode", "address", "is", "its", "and", "the", "at"}


# Words no one's name is made of, that tenants use instead of answering
# ("no thanks", "stop please", "can I talk to someone").
NOT_NAME_WORDS = set(
    (
        "no nope not stop cancel dont wont want help please pls person human someone "
        "somebody speak talk why what need thanks thank gas fire flood leak smell is my "
        "the you"
    ).split()
)


# What tenants say to end the questions ("You can say stop at any time").
STOP_WORDS = {"stop", "cancel", "quit", "nevermind", "enough", "exit"}
STOP_PHRASES = (
    "never mind",
    "forget it",
    "no thanks",
    "no thank you",
    "leave it",
    "dont want",
    "do not want",
    "not now",
    "changed my mind",
)


def is_stop(text: str) -> bool:
    """Whether `text` asks to end the security questions ("stop", "never mind").

    Read by words, so a name or an address that merely contains the letters (such as
    "Stopford") is not a stop.
    """
    words = _words(text)
    joined = f" {' '.join(words)} "
    return bool(STOP_WORDS.intersection(words)) or any(
        f" {phrase} " in joined for phrase in STOP_PHRASES
    )


@dataclass(frozen=True)
class Locator:
    """How a tenant says which tenancy they mean.

    Either `reference` (canonical "TEN-204817") or both `postcode` (canonical "LS6 2AB")
    and `address` (the first line of the address, canonical words).
    """

    reference: str | None = None
    postcode: str | None = None
    address: str | None = None


def tenancy_reference(text: str) -> str | None:
    """The tenancy reference in `text` as "TEN-204817", or None.

    Accepts "TEN-204817", "ten204817", "TEN 204817", "tenancy ref 204817", and six
    digits on their own.
    """
    match = TENANCY_REFERENCE.search(text) or BARE_REFERENCE.match(text.strip())
    return f"TEN-{match.group(1)}" if match else None


def postcode(text: str) -> str | None:
    """The first UK postcode in `text`, upper case with one space ("LS6 2AB"), or None."""
    match = POSTCODE_PARTS.search(text)
    return f"{match.group(1)} {match.group(2)}".upper() if match else None


def address_line(text: str) -> str | None:
    """The first line of an address in canonical words, or None if there is none.

    Case, punctuation and spacing do not matter, and street words may be abbreviated:
    "14 Elm Rd." and "14 elm road" are the same line.
    """
    words = _words(text)
    words = [STREET_ABBREVIATIONS.get(word, word) for word in words]
    return " ".join(words) or None


def locator(text: str) -> Locator | None:
    """Which tenancy `text` names: a tenancy reference, or a postcode with the first
    line of the address; None when it names neither completely."""
    reference = tenancy_reference(text)
    if reference:
        return Locator(reference=reference)
    match = POSTCODE_PARTS.search(text)
    if not match:
        return None
    rest = f"{text[: match.start()]} {text[match.end() :]}"
    address = address_line(rest)
    if not address or not set(address.split()) - FILLER_WORDS:
        return None
    return Locator(postcode=postcode(text), address=address)


def same_address_line(recorded: str, typed: str) -> bool:
    """Whether the first line on record appears, word for word, in what was typed.

    Tenants add the town or "my address is" around the first line; both sides are in
    `address_line`'s canonical words.
    """
    return f" {recorded} " in f" {typed} "


def full_name(text: str) -> str | None:
    """A full name in canonical form (lower case, single spaces, no punctuation), or
    None when `text` is not a name of at least two words.

    "My name is Sarah O'Neill" and "sarah  oneill" are the same name.
    """
    cleaned = re.sub(
        r"^\s*(?:(?:my\s+)?(?:full\s+)?name\s*(?:is|'s|:)?|it'?s|i'?m|i\s+am|this\s+is)\s+",
        "",
        text,
        flags=re.IGNORECASE,
    )
    if re.search(r"\d", cleaned):
        return None
    words = _words(cleaned)
    if not 2 <= len(words) <= 6 or NOT_NAME_WORDS.intersection(words):
        return None
    return " ".join(words)


def date_of_birth(text: str, today: date) -> date | None:
    """The date in `text`, day first as in the UK, or None.

    Two-digit years are the latest year not after `today` ("85" is 1985, "01" is 2001);
    a date in the future or an impossible date is not a date of birth.
    """
    iso = ISO_DATE.search(text)
    numeric = NUMERIC_DATE.search(text)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif numeric:
        day, month, year = (int(part) for part in numeric.groups())
    else:
        spelled = DAY_MONTH_YEAR.search(text)
        month_first = MONTH_DAY_YEAR.search(text)
        if spelled:
            day, month, year = int(spelled[1]), MONTHS[spelled[2].lower()], int(spelled[3])
        elif month_first:
            month, day, year = (
                MONTHS[month_first[1].lower()],
                int(month_first[2]),
                int(month_first[3]),
            )
        else:
            return None
    if year < 100:
        year += 100 * (today.year // 100)
        if year > today.year:
            year -= 100
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    return born if born <= today else None


def _words(text: str) -> list[str]:
    """Lower-case words of `text` in any script, accents and punctuation set aside.

    Apostrophes join ("O'Neill" is "oneill"); hyphens and other marks separate.
    """
    folded = re.sub(r"['’‘`]", "", text)
    folded = unicodedata.normalize("NFKD", folded.casefold())
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    return re.findall(r"[^\W_]+", folded)
