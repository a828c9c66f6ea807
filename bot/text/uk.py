"""UK text shapes, written once: postcodes, tenancy references, dates and street words.

The personal-detail detector (bot/privacy/, P5) looks for these shapes in what people
write in public; the identity answers (bot/tenancy/, P4) read the same shapes out of a
tenant's answers to the security questions. Each shape is defined here and nowhere
else; where the two read a shape differently (a postcode in running text has at most
three spaces; an answer may space it any way), both readings are built from
the same parts, side by side.
"""

from __future__ import annotations

import re

# Tenancy references: "TEN-204817", "ten204817", "TEN 204817", "tenancy ref 204817"
# (DESIGN.md); the six digits are the first group.
TENANCY_REFERENCE = re.compile(
    r"\b(?:ten(?:ancy)?[\s.\-_:#]*(?:ref(?:erence)?\.?)?(?:\s*(?:no\.?|number))?[\s.\-_:#]*)"
    r"(\d{6})\b",
    re.IGNORECASE,
)

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
NUMERIC_DATE = re.compile(r"\b(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})\b")
DAY_MONTH_YEAR = re.compile(
    rf"\b{_DAY}(?:\s+of)?[\s,.\-/]+({_MONTH})\.?[\s,.\-/]+(\d{{2}}|\d{{4}})\b", re.IGNORECASE
)
MONTH_DAY_YEAR = re.compile(
    rf"\b({_MONTH})\.?\s+{_DAY}(?:\s*,)?[\s,.\-/]+(\d{{2}}|\d{{4}})\b", re.IGNORECASE
)

# Street words as tenants shorten them, written out, so "Acacia Ave" and "acacia
# avenue" agree when an address is compared.
STREET_ABBREVIATIONS = {
    "rd": "road",
    "st": "street",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "dr": "drive",
    "cl": "close",
    "ct": "court",
    "cres": "crescent",
    "cresc": "crescent",
    "pl": "place",
    "gdns": "gardens",
    "gdn": "garden",
    "terr": "terrace",
    "ter": "terrace",
    "sq": "square",
    "wy": "way",
    "hse": "house",
    "mt": "mount",
    "pk": "park",
}

# The outward code ("LS6", "SW1A") and inward code ("2AB") of a postcode.
POSTCODE_OUTWARD = r"[A-Z]{1,2}\d[A-Z\d]?"
POSTCODE_INWARD = r"\d[A-Z]{2}"
# A postcode in running text: up to three spaces or none, and the Girobank's "GIR 0AA".
POSTCODE = re.compile(rf"\b(?:{POSTCODE_OUTWARD}|GIR)\s{{0,3}}{POSTCODE_INWARD}\b", re.IGNORECASE)
# A postcode given as an answer, spaced any way; the outward and inward codes are groups.
POSTCODE_PARTS = re.compile(rf"\b({POSTCODE_OUTWARD})\s*({POSTCODE_INWARD})\b", re.IGNORECASE)

# The words that end a street's name in an address ("12 Acacia Avenue"), as a regular
# expression alternation.
STREET_WORDS = (
    r"road|rd|street|st|avenue|ave|lane|ln|close|drive|dr|court|ct|crescent|cres|way|"
    r"place|pl|gardens|gdns|grove|terrace|terr|hill|park|view|walk|row|square|sq|mews|"
    r"green|parade|rise|vale|fold|croft|mount|boulevard|gate|wharf|yard|end|side|wall|quay|"
    r"approach|embankment|promenade|circus|chase|dale|grange|meadows?|orchard|passage"
)
