"""A service alert, and which tenants and questions it concerns.

Areas are postcode districts ("LS6") or sectors ("LS6 2"), written as the outward code
and, for a sector, the first digit of the inward code. A tenant is in an area when
their postcode (from a verified tenancy, else one they wrote) starts with it: "LS6 2AB" is
in "LS6" and in "LS6 2", not in "LS61" nor "LS6 3". An alert with no areas is for
everywhere. A tenant whose postcode is unknown hears only the alerts for everywhere:
an alert is never mentioned to a tenant outside its area.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import FrozenSet, Iterable, List, Sequence, Tuple

from bot.text.uk import POSTCODE as POSTCODE_IN_TEXT
from bot.text.uk import POSTCODE_INWARD, POSTCODE_OUTWARD

SERVICES = ("heating", "water", "repairs", "offices")
# A district ("LS6") or a sector ("LS6 2").
AREA = re.compile(rf"^({POSTCODE_OUTWARD})(?:\s*(\d))?$", re.IGNORECASE)
POSTCODE = re.compile(rf"^({POSTCODE_OUTWARD})\s*({POSTCODE_INWARD})$", re.IGNORECASE)
# The words of a repair report that name each service it may be about.
SERVICE_WORDS = {
    "heating": re.compile(
        r"\b(heating|heater|boiler|radiators?|no heat|central heating|hot water)\b", re.I
    ),
    "water": re.compile(r"\b(water|taps?|leak(s|ing)?|pipes?|flood(ed|ing)?|burst|toilet)\b", re.I),
}
MAX_TITLE = 80
MAX_MESSAGE = 500


class InvalidAlert(ValueError):
    """An alert that cannot be published as given; the message says what to change."""


def area(text: str) -> str:
    """`text` as an area: "ls6" is "LS6", "LS6 2" stays "LS6 2".

    Raises:
        InvalidAlert: it is neither a postcode district nor a sector.
    """
    found = AREA.match(text.strip())
    if found is None:
        raise InvalidAlert(f"{text.strip()!r} is not a postcode district (LS6) or sector (LS6 2)")
    district, sector = found.group(1).upper(), found.group(2)
    return f"{district} {sector}" if sector else district


def areas_of(text: str) -> Tuple[str, ...]:
    """The areas in a comma- or space-separated list ("LS6, LS7 1"); none for
    "everywhere" or nothing.

    Raises:
        InvalidAlert: one of them is no area.
    """
    if text.strip().lower() in ("", "everywhere", "all"):
        return ()
    parts = [p for p in re.split(r"[,;\n]+", text) if p.strip()]
    return tuple(dict.fromkeys(area(p) for p in parts))


def in_area(postcode: str | None, areas: Sequence[str]) -> bool:
    """Whether a tenant with `postcode` is in one of `areas` (none: everywhere)."""
    if not areas:
        return True
    found = POSTCODE.match((postcode or "").strip())
    if found is None:
        return False
    district, inward = found.group(1).upper(), found.group(2).upper()
    return any(a == district or a == f"{district} {inward[0]}" for a in areas)


def postcode_given(text: str | None) -> str | None:
    """The last postcode a tenant wrote in `text`, if any (where they say they are)."""
    found = POSTCODE_IN_TEXT.findall(text or "")
    return found[-1] if found else None


def services_named(text: str | None) -> FrozenSet[str]:
    """The services a repair report's words are about ("no heating": heating)."""
    return frozenset(name for name, words in SERVICE_WORDS.items() if words.search(text or ""))


@dataclass(frozen=True)
class ServiceAlert:
    """What Communications tell tenants while a service is affected.

    Attributes:
        title: a few words ("No heating in LS6").
        message: what tenants need to know, as it is said to them and published.
        services: which of SERVICES it affects.
        areas: postcode districts or sectors; none for everywhere.
        starts_at, ends_at: when it is live (it ends at `ends_at`, or when ended early).
        urgent: mentioned in the first reply of every private conversation.
        reply_within_hours: the wait for a full reply staff set while it is live (P3):
            a handoff opened meanwhile, whoever it is for, is due no sooner, and its
            tenant is told so (staff are busy with the alert); None keeps the usual 4
            working hours.
    """

    id: str
    title: str
    message: str
    services: Tuple[str, ...]
    areas: Tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    created_at: datetime
    urgent: bool = False
    reply_within_hours: int | None = None
    ended_at: datetime | None = None
    published_at: datetime | None = None
    platforms: Tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.title.strip() or len(self.title) > MAX_TITLE:
            raise InvalidAlert(f"the title must be 1 to {MAX_TITLE} characters")
        if not self.message.strip() or len(self.message) > MAX_MESSAGE:
            raise InvalidAlert(f"the message must be 1 to {MAX_MESSAGE} characters")
        unknown = set(self.services) - set(SERVICES)
        if not self.services or unknown:
            raise InvalidAlert(f"choose the services it affects, of {', '.join(SERVICES)}")
        if self.ends_at <= self.starts_at:
            raise InvalidAlert("it must end after it starts")
        if self.reply_within_hours is not None and not 1 <= self.reply_within_hours <= 168:
            raise InvalidAlert("the wait for a full reply must be 1 to 168 hours")

    @property
    def until(self) -> datetime:
        """When it stops being live."""
        return min(self.ends_at, self.ended_at) if self.ended_at else self.ends_at

    def live(self, now: datetime) -> bool:
        """Whether it is live at `now`."""
        return self.starts_at <= now < self.until

    def concerns(self, now: datetime, services: Iterable[str], postcode: str | None) -> bool:
        """Whether a tenant at `postcode` asking about `services` should hear of it."""
        return (
            self.live(now)
            and bool(set(services) & set(self.services))
            and in_area(postcode, self.areas)
        )

    def where(self) -> str:
        """Its areas, as a reader would write them."""
        return ", ".join(self.areas) if self.areas else "everywhere"


def relevant(
    alerts: Iterable[ServiceAlert], now: datetime, services: Iterable[str], postcode: str | None
) -> List[ServiceAlert]:
    """The live alerts a tenant at `postcode` asking about `services` should hear of,
    the most recent first."""
    wanted = set(services)
    found = [a for a in alerts if a.concerns(now, wanted, postcode)]
    return sorted(found, key=lambda a: a.starts_at, reverse=True)


def urgent(
    alerts: Iterable[ServiceAlert], now: datetime, postcode: str | None
) -> List[ServiceAlert]:
    """The live alerts marked urgent that a tenant at `postcode` should hear of first:
    those for everywhere, and those for their area."""
    found = [a for a in alerts if a.urgent and a.live(now) and in_area(postcode, a.areas)]
    return sorted(found, key=lambda a: a.starts_at, reverse=True)


def longest_wait(alerts: Iterable[ServiceAlert], now: datetime) -> timedelta | None:
    """The longest wait for a full reply staff set for a live alert, if any."""
    hours = [a.reply_within_hours for a in alerts if a.live(now) and a.reply_within_hours]
    return timedelta(hours=max(hours)) if hours else None
