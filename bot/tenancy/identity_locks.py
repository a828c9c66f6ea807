"""Failure counts and locks of the identity checks (P4), one store row per subject.

A subject is what failures count against: a platform account, what was typed to name
a tenancy (its canonical form), or a real tenancy. The store keeps each as its keyed
HMAC (P9): a plain hash of a tenancy reference is reversed by trying its million
values, a keyed one is not without LOOKUP_KEY. So a subject is written and matched, never
read back. `identity` settles each attempt against them; nothing here says whether a
tenancy exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.store import as_aware, identity_subjects, to_utc
from bot.tenancy.answers import FILLER_WORDS, Locator

if TYPE_CHECKING:
    from bot.tenancy.identity import Account

# Failures further apart than this do not add up to a lock.
FAILURES_COUNT_FOR = timedelta(hours=24)


def account_subject(account: Account) -> str:
    """The subject an account's failures count against."""
    return f"account:{account.key}"


def tenancy_subject(tenancy_id: str) -> str:
    """The subject a real tenancy's failures count against."""
    return f"tenancy:{tenancy_id}"


def locator_subject(locator: Locator) -> str:
    """What was typed to name a tenancy, in a form its other spellings share.

    A reference is its six digits; an address is its postcode with the numbers in its
    first line (the house, and the flat if any), so that "14 elm rd, leeds" and "my
    address is 14 Elm Road" are one. Only what was typed is read, never the records,
    so a made-up address is named exactly as a real one. A first line with no number
    ("Rose Cottage") is its words, those around an address set aside.
    """
    if locator.reference:
        canonical = "ref:" + "".join(c for c in locator.reference if c.isdigit())
    else:
        words = (locator.address or "").split()
        numbers = sorted(word for word in words if any(c.isdigit() for c in word))
        named = numbers or [word for word in words if word not in FILLER_WORDS]
        canonical = f"address:{locator.postcode}|{' '.join(named)}"
    # Keyed by the store (identity_subjects.subject): an address is the tenant's own
    # words, not a record to keep.
    return f"locator:{canonical}"


def ensure_rows(engine: Engine, subjects: list[str]) -> None:
    """Give each subject its row, to be locked: a failure's count starts from nothing."""
    for subject in subjects:
        # One query each: what a query gives back is the subject's HMAC, never the subject.
        with engine.connect() as connection:
            if subject_row(connection, subject) is not None:
                continue
        try:
            with engine.begin() as connection:
                connection.execute(
                    identity_subjects.insert().values(
                        subject=subject, failures=0, counting_since=None, locked_until=None
                    )
                )
        except IntegrityError:
            pass  # made by a check at the same moment: it only needs to exist


def subject_row(connection: Connection, subject: str, for_update: bool = False):
    """The subject's row, or None."""
    query = select(identity_subjects).where(identity_subjects.c.subject == subject)
    return connection.execute(query.with_for_update() if for_update else query).first()


def locked_until(connection: Connection, subject: str, now: datetime) -> datetime | None:
    row = subject_row(connection, subject)
    until = as_aware(row.locked_until) if row else None
    return until if until is not None and until > now else None


def count_failure(connection: Connection, subject: str, now: datetime, limit: int) -> bool:
    """Count one failure; True when the subject has now failed `limit` times."""
    row = subject_row(connection, subject, for_update=True)
    if row is None:
        connection.execute(
            identity_subjects.insert().values(
                subject=subject, failures=1, counting_since=to_utc(now), locked_until=None
            )
        )
        return limit <= 1
    since = as_aware(row.counting_since)
    fresh = since is None or now - since > FAILURES_COUNT_FOR
    failures = 1 if fresh else row.failures + 1
    connection.execute(
        identity_subjects.update()
        .where(identity_subjects.c.subject == subject)
        .values(failures=failures, counting_since=to_utc(now) if fresh else row.counting_since)
    )
    return failures >= limit


def lock(connection: Connection, subject: str, until: datetime) -> None:
    values = {"failures": 0, "counting_since": None, "locked_until": to_utc(until)}
    updated = connection.execute(
        identity_subjects.update().where(identity_subjects.c.subject == subject).values(**values)
    )
    if updated.rowcount == 0:
        connection.execute(identity_subjects.insert().values(subject=subject, **values))
