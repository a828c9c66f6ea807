"""Which alerts a handoff is due, at an instant (P2, P3): a pure decision.

- An urgent handoff not yet acknowledged is due its on-call alert (the watcher's sweep
  sends it if the alert at opening was lost to a crash).
- A handoff not yet acknowledged whose acknowledge-by time is `WARN_BEFORE` away is due
  a warning to its team; one past it is due a breach alert. "Away" is counted in
  working time (P1), so a deadline of 09:20 on Monday is warned of at 16:50 on
  Friday. An urgent handoff runs on the clock and is due 30 minutes after it opens
  (bot/handoff/handoffs.py): the alert at once stands for the warning.
- A handoff that needs no reply (a compliment, low priority) is due no deadline alert.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Tuple

from bot.handoff.handoffs import Handoff, Priority
from bot.handoff.working_hours import WorkingCalendar

WARN_BEFORE = timedelta(minutes=30)


class AlertKind(str, Enum):
    """Why staff are alerted."""

    URGENT = "urgent"
    DUE_SOON = "due_soon"
    BREACHED = "breached"


def working_time_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """The monitoring time (P1) from `start` to `end`; nothing if `end` is not later."""
    total = timedelta()
    day, last = calendar.local(start).date(), calendar.local(end).date()
    while day <= last:
        if calendar.is_working_day(day):
            opens = datetime.combine(day, calendar.hours.opens, calendar.zone)
            closes = datetime.combine(day, calendar.hours.closes, calendar.zone)
            begin, finish = max(opens, start), min(closes, end)
            if finish > begin:
                # In UTC: two times of one zone subtract as wall clocks, wrong across BST.
                total += finish.astimezone(timezone.utc) - begin.astimezone(timezone.utc)
        day += timedelta(days=1)
    return total


def acknowledged(handoff: Handoff) -> bool:
    """Whether a person has acknowledged the handoff (its first reply by a person)."""
    return handoff.acknowledged_at is not None


def due_alerts(
    handoff: Handoff,
    now: datetime,
    calendar: WorkingCalendar,
    warn_before: timedelta = WARN_BEFORE,
) -> Tuple[AlertKind, ...]:
    """The alerts `handoff` is due at `now` (each is sent once, whenever asked again)."""
    if acknowledged(handoff) or not handoff.needs_reply or handoff.priority is Priority.LOW:
        return ()
    if handoff.priority is Priority.URGENT:
        # On call was alerted at once, and the whole window is about 30 minutes (P2):
        # a warning would say nothing new.
        missed = now >= handoff.acknowledge_by
        return (AlertKind.URGENT, AlertKind.BREACHED) if missed else (AlertKind.URGENT,)
    if now >= handoff.acknowledge_by:
        return (AlertKind.BREACHED,)
    if working_time_between(calendar, now, handoff.acknowledge_by) <= warn_before:
        return (AlertKind.DUE_SOON,)
    return ()
