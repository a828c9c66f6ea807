"""What a verified tenant or authorised contact is told about the tenancy (P4).

Only from the records, in the tenant's words: money in pounds, days as UK dates,
appointment windows in UK time.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Iterable, List
from zoneinfo import ZoneInfo

from bot.association import clock_words
from bot.tenancy.records import Payment, Repair, Tenancy


def money(pence: int) -> str:
    """An amount of money as "£1,234.56"."""
    return f"£{abs(pence) / 100:,.2f}"


def uk_date(day: date) -> str:
    """A date as "Thursday 3 December 2026"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def rent_balance(tenancy: Tenancy) -> str:
    """The rent account's balance, saying which way it lies."""
    if tenancy.rent_balance_pence > 0:
        return f"{money(tenancy.rent_balance_pence)} in arrears"
    if tenancy.rent_balance_pence < 0:
        return f"{money(tenancy.rent_balance_pence)} in credit"
    return "£0.00: nothing is owed"


def last_payment(payments: List[Payment]) -> str:
    """The latest payment, or that none is on record."""
    if not payments:
        return "no payments on record"
    latest = payments[0]
    method = f" by {latest.method}" if latest.method else ""
    return f"{money(latest.amount_pence)}{method} on {uk_date(latest.paid_on)}"


def repairs_list(repairs: Iterable[Repair], zone: ZoneInfo) -> str:
    """One line per repair job: number, what it is, its status and any appointment."""
    return "\n".join(_repair_line(job, zone) for job in repairs)


def _repair_line(job: Repair, zone: ZoneInfo) -> str:
    line = f"• {job.job_number}, {job.description.lower()}: {job.status.lower()}"
    if job.appointment_start is not None:
        line += f". Appointment: {_window(job.appointment_start, job.appointment_end, zone)}"
    return line


def _window(start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
    start = start.astimezone(zone)
    text = f"{uk_date(start.date())}, {clock_words(start.time())}"
    if end is None:
        return text
    return f"{text} to {clock_words(end.astimezone(zone).time())}"
