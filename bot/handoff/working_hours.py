"""The monitoring calendar (P1) and deadlines counted in working hours (P3).

Monitoring time is the configured days and hours in the configured time zone
(Europe/London, so BST and GMT are handled), except England & Wales bank holidays
(substitute days included, from the `holidays` library) and extra closure days.
Every instant passed in or returned is timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

import holidays

from bot.association import MonitoringHours, clock_words

# The bank-holiday calendars the configuration may name: (country, subdivision).
BANK_HOLIDAY_CALENDARS = {
    "england_and_wales": ("GB", "ENG"),
    "scotland": ("GB", "SCT"),
    "northern_ireland": ("GB", "NIR"),
    "none": None,
}
# Far enough for any deadline a few working hours away, even over a long closure.
_SEARCH_DAYS = 366


class CalendarError(ValueError):
    """The monitoring calendar's configuration cannot be used."""


@dataclass(frozen=True)
class WorkingCalendar:
    """When people monitor the accounts, and deadlines counted in that time."""

    hours: MonitoringHours
    is_closure: Callable[[date], bool]

    @classmethod
    def from_config(cls, hours: MonitoringHours) -> WorkingCalendar:
        """Build the calendar from the association's monitoring configuration."""
        if hours.bank_holidays not in BANK_HOLIDAY_CALENDARS:
            known = ", ".join(sorted(BANK_HOLIDAY_CALENDARS))
            raise CalendarError(f"unknown bank_holidays {hours.bank_holidays!r}; one of {known}")
        ZoneInfo(hours.timezone)  # fails early on an unknown zone
        calendar = BANK_HOLIDAY_CALENDARS[hours.bank_holidays]
        bank = holidays.country_holidays(calendar[0], subdiv=calendar[1]) if calendar else {}
        extra = frozenset(hours.extra_closures)
        return cls(hours=hours, is_closure=lambda day: day in extra or day in bank)

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.hours.timezone)

    def local(self, t: datetime) -> datetime:
        """`t` in the calendar's time zone."""
        if t.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        return t.astimezone(self.zone)

    def is_working_day(self, day: date) -> bool:
        """Whether `day` has monitoring hours: a configured weekday that is not closed."""
        return day.weekday() in self.hours.days and not self.is_closure(day)

    def is_monitoring(self, t: datetime) -> bool:
        """Whether people are monitoring at `t`: opening time included, closing time not."""
        local = self.local(t)
        return (
            self.is_working_day(local.date())
            and self.hours.opens <= local.time().replace(tzinfo=None) < self.hours.closes
        )

    def next_monitoring_start(self, t: datetime) -> datetime:
        """The first instant at or after `t` when people are monitoring (`t` itself if they are)."""
        if self.is_monitoring(t):
            return self.local(t)
        for opens, _ in self._windows(self.local(t).date()):
            if opens >= t:
                return opens
        raise CalendarError(f"no monitoring time within {_SEARCH_DAYS} days of {t}")

    def add_working_hours(self, t: datetime, hours: float) -> datetime:
        """`t` plus `hours` of monitoring time: closed time does not count.

        A deadline that uses up a day exactly falls at that day's closing time, and no
        time added at a closing time stays there, as it would have had it been added
        with the time before.
        """
        if hours < 0:
            raise ValueError("hours must not be negative")
        remaining = timedelta(hours=hours)
        for opens, closes in self._windows(self.local(t).date()):
            if closes < t or (closes == t and remaining):
                continue
            start = max(opens, self.local(t))
            available = closes.astimezone(timezone.utc) - start.astimezone(timezone.utc)
            if remaining <= available:
                return (start.astimezone(timezone.utc) + remaining).astimezone(self.zone)
            remaining -= available
        raise CalendarError(f"no monitoring time within {_SEARCH_DAYS} days of {t}")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """How much monitoring time lies between `start` and `end`; zero if `end` is not
        after `start`. The inverse of `add_working_hours`: staff's countdowns (P3).

        Counted over at most a year of days: a span longer than that is a year's worth.
        """
        if end <= start:
            return timedelta(0)
        total = timedelta(0)
        for opens, closes in self._windows(self.local(start).date()):
            if opens >= end:
                break
            overlap = min(closes, end).astimezone(timezone.utc) - max(opens, start).astimezone(
                timezone.utc
            )
            if overlap > timedelta(0):
                total += overlap
        return total

    def _windows(self, first: date) -> Iterable[tuple[datetime, datetime]]:
        """(opening, closing) of each working day from `first` on, in local time."""
        for offset in range(_SEARCH_DAYS):
            day = first + timedelta(days=offset)
            if self.is_working_day(day):
                yield (
                    datetime.combine(day, self.hours.opens, self.zone),
                    datetime.combine(day, self.hours.closes, self.zone),
                )


def describe_when(t: datetime, now: datetime, zone: ZoneInfo | None = None) -> str:
    """Say an instant as a tenant would: '2:30pm', 'tomorrow at 9am', 'Monday at 10:30am'.

    Times are in the calendar's zone (UK local time); a date more than six days away
    is written out ('Monday 28 December at 9am').
    """
    zone = zone or t.tzinfo
    local, today = t.astimezone(zone), now.astimezone(zone).date()
    clock = clock_words(local.time())
    days = (local.date() - today).days
    if days == 0:
        return clock
    if days == 1:
        return f"tomorrow at {clock}"
    if 1 < days <= 6:
        return f"{local:%A} at {clock}"
    return f"{local:%A} {local.day} {local:%B} at {clock}"
