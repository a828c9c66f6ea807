"""The association's own details, read from one configuration file.

Everything a reply says about the association (its name, website, phone numbers and
the phone lines' hours, emergency contacts, monitoring hours and general rent facts)
comes from here, so it is written down once; so do the teams that take handed-off
conversations, and the reasons each takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, time
from pathlib import Path
from typing import Any, Dict, Mapping, Tuple

import yaml

from bot.moderation.settings import ModerationConfigError, ModerationSettings, parse_moderation

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PAGE_NAMES = (
    "privacy_notice",
    "report_repair",
    "complaints",
    "homes",
    "jobs",
    "antisocial_behaviour",
    "pay_rent",
)
# Pages an older association.yml may lack: the website stands in for them.
PAGES_SINCE = ("get_involved",)
# Phones that replies name directly; others may be listed for emergency contacts only.
PHONE_NAMES = (
    "customer_services",
    "out_of_hours_repairs",
    "emergency_services",
    "police_non_emergency",
)
# P9: conversations are kept two years after their latest message, unless configured.
CONVERSATION_RETENTION_MONTHS = 24
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ConfigError(ValueError):
    """The association's configuration is missing something or malformed."""


@dataclass(frozen=True)
class EmergencyContact:
    """One emergency number and what it is for; `short` says it in a few words (an X post)."""

    label: str
    number: str
    short: str = ""


@dataclass(frozen=True)
class MonitoringHours:
    """When people watch the accounts (P1): days, opening and closing time, calendar."""

    timezone: str
    days: Tuple[int, ...]
    opens: time
    closes: time
    bank_holidays: str
    extra_closures: Tuple[date, ...]

    def describe(self) -> str:
        """Say the monitoring hours in plain words, e.g. 'Monday to Friday, 9am to 5pm'."""
        return (
            f"{_describe_days(self.days)}, {clock_words(self.opens)} to {clock_words(self.closes)}"
        )


@dataclass(frozen=True)
class PhoneLineHours:
    """When a phone line is answered, UK time; closed on bank holidays, as monitoring is."""

    days: Tuple[int, ...]
    opens: time
    closes: time

    def describe(self) -> str:
        """Say the hours in plain words, e.g. 'Monday to Friday, 8:30am to 5:30pm'."""
        return (
            f"{_describe_days(self.days)}, {clock_words(self.opens)} to {clock_words(self.closes)}"
        )


@dataclass(frozen=True)
class RentFacts:
    """What is true of rent for every tenant (ask_rent_info): no tenancy in it (P4).

    `due` reads after "Rent is due", each of `ways_to_pay` after "Pay", and
    `amount` is a sentence or two on how rent is set and where a tenant's own is shown.
    """

    due: str
    ways_to_pay: Tuple[str, ...]
    amount: str

    def ways_to_pay_text(self) -> str:
        """The ways to pay in one phrase: 'by Direct Debit, online or by phone'."""
        ways = list(self.ways_to_pay)
        return ways[0] if len(ways) == 1 else ", ".join(ways[:-1]) + " or " + ways[-1]


@dataclass(frozen=True)
class TeamConfig:
    """A team that takes handoffs, and the handoff reasons (their values) it takes.

    `bot.handoff.handoffs.Teams` checks that every reason goes to one team.
    """

    name: str
    reasons: Tuple[str, ...]


@dataclass(frozen=True)
class CannedReply:
    """A reply staff can send as it is or start from; `holding` marks the holding
    message sent while a query is looked into (P3): it acknowledges, it does not answer."""

    name: str
    text: str
    holding: bool = False


@dataclass(frozen=True)
class Association:
    """The association's details as the assistant states them to tenants."""

    name: str
    website: str
    pages: Mapping[str, str]
    phones: Mapping[str, str]
    emergency_contacts: Tuple[EmergencyContact, ...]
    monitoring: MonitoringHours
    customer_services_hours: PhoneLineHours
    rent: RentFacts
    moderation: ModerationSettings = field(default_factory=ModerationSettings)
    teams: Tuple[TeamConfig, ...] = ()
    canned_replies: Tuple[CannedReply, ...] = ()
    # P9: months a conversation is kept after its latest message (`data_protection:`).
    conversation_retention_months: int = CONVERSATION_RETENTION_MONTHS

    def emergency_contacts_text(self) -> str:
        """The emergency contacts as lines of text, one contact a line."""
        return "\n".join(f"• {c.label}: {c.number}" for c in self.emergency_contacts)

    def emergency_numbers_text(self) -> str:
        """Every emergency number with its short label, for a post that must be short (X)."""
        return "\n".join(f"{c.short or c.label}: {c.number}" for c in self.emergency_contacts)

    def as_slots(self) -> Dict[str, str]:
        """The details as the slot values that the domain's responses interpolate."""
        slots = {
            "association_name": self.name,
            "association_website": self.website,
            "emergency_contacts": self.emergency_contacts_text(),
            "monitoring_hours": self.monitoring.describe(),
            "customer_services_hours": self.customer_services_hours.describe(),
            "rent_due": self.rent.due,
            "rent_ways_to_pay": self.rent.ways_to_pay_text(),
            "rent_amount": self.rent.amount,
        }
        slots.update({f"{name}_url": url for name, url in self.pages.items()})
        slots.update({f"{name}_phone": self.phones[name] for name in PHONE_NAMES})
        return slots


def slot_names() -> Tuple[str, ...]:
    """Every slot name that `Association.as_slots` fills, in a stable order."""
    return (
        "association_name",
        "association_website",
        "emergency_contacts",
        "monitoring_hours",
        "customer_services_hours",
        "rent_due",
        "rent_ways_to_pay",
        "rent_amount",
        *(f"{name}_url" for name in (*PAGE_NAMES, *PAGES_SINCE)),
        *(f"{name}_phone" for name in PHONE_NAMES),
    )


def load_association(path: Path) -> Association:
    """Read and check the association's configuration file.

    Raises:
        ConfigError: the file is missing, or a required entry is absent or malformed.
    """
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(f"association file not found: {path}") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return parse_association(raw, source=str(path))


def parse_association(raw: Mapping[str, Any], source: str = "association") -> Association:
    """Build an `Association` from already-parsed configuration."""
    pages = _mapping(raw, "pages", source)
    phones = _mapping(raw, "phones", source)
    for section, values, names in (("pages", pages, PAGE_NAMES), ("phones", phones, PHONE_NAMES)):
        missing = [n for n in names if not str(values.get(n) or "").strip()]
        if missing:
            raise ConfigError(f"{source}: {section} is missing {', '.join(missing)}")
    contacts = raw.get("emergency_contacts") or []
    if not contacts:
        raise ConfigError(f"{source}: emergency_contacts must list at least one number (P2)")
    association = Association(
        name=_text(raw, "name", source),
        website=_text(raw, "website", source),
        pages={
            **{n: str(pages[n]) for n in PAGE_NAMES},
            **{n: str(pages.get(n) or _text(raw, "website", source)) for n in PAGES_SINCE},
        },
        phones={str(n): str(v) for n, v in phones.items()},
        emergency_contacts=tuple(_emergency_contact(c, phones, source) for c in contacts),
        monitoring=_monitoring(_mapping(raw, "monitoring", source), source),
        customer_services_hours=_phone_line(raw, "customer_services", source),
        rent=_rent(_mapping(raw, "rent", source), source),
        moderation=_moderation(raw, source),
        teams=tuple(_team(t, source) for t in raw.get("teams") or ()),
        conversation_retention_months=_retention_months(raw, source),
    )
    replies = raw.get("canned_replies") or ()
    if not isinstance(replies, list):
        raise ConfigError(f"{source}: canned_replies must be a list")
    # Filled from the same details as the responses, so a phone number changes once.
    slots = association.as_slots()
    canned = tuple(_canned_reply(r, slots, source) for r in replies)
    names = [r.name for r in canned]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: two canned_replies have the same name")
    if sum(r.holding for r in canned) > 1:
        raise ConfigError(f"{source}: only one of canned_replies may be the holding message")
    return replace(association, canned_replies=canned)


def _canned_reply(raw: Any, slots: Mapping[str, str], source: str) -> CannedReply:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: each of canned_replies needs a name and a text")
    name, text = _text(raw, "name", source), _text(raw, "text", source)
    try:
        filled = text.format_map(slots)
    except (KeyError, ValueError, IndexError) as error:
        known = ", ".join(sorted(slots))
        raise ConfigError(
            f"{source}: canned reply {name!r} names {error} in braces; it may name {known}"
        ) from error
    return CannedReply(name=name, text=filled, holding=bool(raw.get("holding", False)))


def _team(raw: Any, source: str) -> TeamConfig:
    reasons = raw.get("reasons") if isinstance(raw, Mapping) else None
    if not isinstance(reasons, list):
        raise ConfigError(f"{source}: each of teams needs a name and a list of reasons")
    return TeamConfig(name=_text(raw, "name", source), reasons=tuple(str(r) for r in reasons))


def _retention_months(raw: Mapping[str, Any], source: str) -> int:
    section = raw.get("data_protection") or {}
    if not isinstance(section, Mapping):
        raise ConfigError(f"{source}: data_protection must be a mapping")
    value = section.get("remove_conversations_after_months", CONVERSATION_RETENTION_MONTHS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"{source}: data_protection.remove_conversations_after_months must be a whole"
            f" number of months above 0 (default {CONVERSATION_RETENTION_MONTHS}), got {value!r}"
        )
    return value


def _moderation(raw: Mapping[str, Any], source: str) -> ModerationSettings:
    try:
        return parse_moderation(raw.get("moderation"), _text(raw, "website", source), source)
    except ModerationConfigError as error:
        raise ConfigError(str(error)) from error


def _monitoring(raw: Mapping[str, Any], source: str) -> MonitoringHours:
    day_numbers = _days(raw, "monitoring", source)
    opens = _clock_time(raw, "opens", source)
    closes = _clock_time(raw, "closes", source)
    if closes <= opens:
        raise ConfigError(f"{source}: monitoring.closes must be after monitoring.opens")
    return MonitoringHours(
        timezone=_text(raw, "timezone", source),
        days=day_numbers,
        opens=opens,
        closes=closes,
        bank_holidays=_text(raw, "bank_holidays", source),
        extra_closures=tuple(_date(d, source) for d in raw.get("extra_closures") or ()),
    )


def _phone_line(raw: Mapping[str, Any], name: str, source: str) -> PhoneLineHours:
    lines = _mapping(raw, "phone_lines", source)
    section = f"phone_lines.{name}"
    line = lines.get(name)
    if not isinstance(line, dict):
        raise ConfigError(f"{source}: {section} must be a mapping of days, opens and closes")
    days = _days(line, section, source)
    opens = _clock_time(line, "opens", source, section)
    closes = _clock_time(line, "closes", source, section)
    if closes <= opens:
        raise ConfigError(f"{source}: {section}.closes must be after {section}.opens")
    return PhoneLineHours(days=days, opens=opens, closes=closes)


def _rent(raw: Mapping[str, Any], source: str) -> RentFacts:
    ways = raw.get("ways_to_pay")
    if not isinstance(ways, list) or not [w for w in ways if str(w or "").strip()]:
        raise ConfigError(f"{source}: rent.ways_to_pay must list at least one way to pay")
    return RentFacts(
        due=_text(raw, "due", source),
        ways_to_pay=tuple(str(w).strip() for w in ways if str(w or "").strip()),
        amount=_text(raw, "amount", source),
    )


def _days(raw: Mapping[str, Any], section: str, source: str) -> Tuple[int, ...]:
    days = raw.get("days") or []
    try:
        day_numbers = tuple(sorted(WEEKDAYS.index(str(d).capitalize()) for d in days))
    except ValueError as error:
        raise ConfigError(f"{source}: {section}.days must be weekday names, got {days}") from error
    if not day_numbers:
        raise ConfigError(f"{source}: {section}.days is empty")
    return day_numbers


def _emergency_contact(raw: Any, phones: Mapping[str, Any], source: str) -> EmergencyContact:
    phone = _text(raw, "phone", source)
    if phone not in phones:
        raise ConfigError(f"{source}: emergency contact names phone {phone!r}, which phones lacks")
    short = str(raw.get("short") or "").strip()
    return EmergencyContact(_text(raw, "label", source), str(phones[phone]), short)


def _describe_days(days: Tuple[int, ...]) -> str:
    consecutive = all(b - a == 1 for a, b in zip(days, days[1:], strict=False))
    if len(days) > 2 and consecutive:
        return f"{WEEKDAYS[days[0]]} to {WEEKDAYS[days[-1]]}"
    names = [WEEKDAYS[d] for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def clock_words(t: time) -> str:
    """A time of day as tenants say it: '9am', '2:30pm'."""
    hour = t.hour % 12 or 12
    suffix = "am" if t.hour < 12 else "pm"
    return f"{hour}{suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d}{suffix}"


def _date(value: Any, source: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise ConfigError(
            f"{source}: extra_closures must be dates (YYYY-MM-DD), got {value!r}"
        ) from error


def _clock_time(raw: Mapping[str, Any], key: str, source: str, section: str = "monitoring") -> time:
    value = _text(raw, key, source)
    match = _CLOCK.match(value)
    if not match:
        raise ConfigError(f"{source}: {section}.{key} must be HH:MM, got {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


def _mapping(raw: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {key} must be a mapping")
    return value


def _text(raw: Mapping[str, Any], key: str, source: str) -> str:
    value = raw.get(key) if isinstance(raw, Mapping) else None
    if value is None or not str(value).strip():
        raise ConfigError(f"{source}: {key} is required")
    return str(value).strip()
