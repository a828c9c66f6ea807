"""Security-question identity checks before any tenancy matter (P4).

A check takes which tenancy is meant, a full name and a date of birth, and says only
"verified" or "not verified": never which answer was wrong, nor whether the tenancy or
the person exists. Every attempt is audited without its answers. A success does not
wipe the failures counted before it.

Failures are counted three ways, each within 24 hours of its first failure:
- against the platform account: three lock it for 30 minutes, and it is told so; a
  locked account is refused without checking;
- against what was typed to name the tenancy, in canonical form (so "TEN-204817",
  "ten204817" and "tenancy ref 204817" are one, and an address is its postcode and
  house or flat number, so "my address is 14 elm rd, leeds LS6 2AB" is "14 Elm Road
  LS6 2AB"): three lock it for 30 minutes and the
  account that made the third is told so. This counts the same for a made-up tenancy
  as for a real one, so no reply says whether a tenancy exists;
- against the real tenancy named, however it was named and from whichever account or
  platform: three stop its checks for 24 hours, and Customer Experience is handed the
  tenancy (never an answer). This lock is never shown: while it lasts every check of
  the tenancy fails, right answers included, exactly as every check of a made-up
  tenancy does, so neither the lock nor the handoff tells anyone that it exists.

Verification belongs to one platform account in one conversation, and lapses after
30 minutes without a message from it.

A check cut short by another matter (a repair) may be taken up again where it stopped,
with the answers already given, only while they are at most 30 minutes old; it is
still checked once, at the end, and counts as one attempt.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Any, Callable, Iterable

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.handoff.handoffs import Conversation, Reason
from bot.handoff.service import HandoffService
from bot.store import identity_attempts, identity_subjects, to_utc
from bot.tenancy.answers import Locator
from bot.tenancy.identity_locks import (
    account_subject,
    count_failure,
    ensure_rows,
    locator_subject,
    lock,
    locked_until,
    tenancy_subject,
)
from bot.tenancy.records import Person, Tenancy, TenancyRepository
from bot.tenancy.security_question import HashScheme, matching_index

LOCK_AFTER_FAILURES = 3
LOCK_FOR = timedelta(minutes=30)
# A real tenancy's checks stop after this many failures from anyone, for a day.
TENANCY_LOCK_AFTER_FAILURES = 3
TENANCY_LOCK_FOR = timedelta(hours=24)
VERIFICATION_IDLE_LIMIT = timedelta(minutes=30)
# Answers of a check cut short are taken up again only this long after they were given.
ANSWERS_KEPT_FOR = timedelta(minutes=30)


class Outcome(str, Enum):
    """What an attempt came to; the audit log's words."""

    VERIFIED = "verified"
    FAILED = "failed"
    LOCKED = "failed_and_locked"
    REFUSED_LOCKED = "refused_locked"


@dataclass(frozen=True)
class Account:
    """A platform account: the sender of a message."""

    platform: str
    user_id: str

    @property
    def key(self) -> str:
        """One string for the account, unique across platforms."""
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True)
class Answers:
    """The answers to the three questions, each already in canonical form."""

    locator: Locator
    name: str
    date_of_birth: date


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one attempt; `person` only when verified, `locked_until` only
    when the account is locked."""

    outcome: Outcome
    person: Person | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Verification:
    """Who verified, for which tenancy, in which conversation, and when."""

    account: str
    conversation_id: str
    tenancy_id: str
    person_id: str
    verified_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """The verification as JSON can hold it."""
        return {**asdict(self), "verified_at": self.verified_at.isoformat()}

    @classmethod
    def from_dict(cls, data: Any) -> Verification | None:
        """The verification `as_dict` wrote, or None for anything else."""
        try:
            return cls(**{**data, "verified_at": datetime.fromisoformat(data["verified_at"])})
        except (TypeError, KeyError, ValueError):
            return None

    def is_current(
        self,
        account: Account,
        conversation_id: str,
        message_times: Iterable[datetime],
        now: datetime,
    ) -> bool:
        """Whether the verification still holds for this message.

        It holds only for the account and conversation that verified, and only while no
        more than 30 minutes passed between the verification, each later message and now.
        """
        if self.account != account.key or self.conversation_id != conversation_id:
            return False
        later = [t for t in message_times if t > self.verified_at]
        times = sorted([self.verified_at, now, *later])
        gaps = (b - a for a, b in zip(times, times[1:], strict=False))
        return all(gap <= VERIFICATION_IDLE_LIMIT for gap in gaps)


def answers_still_kept(given_at: Iterable[datetime | None], now: datetime) -> bool:
    """Whether answers given at these times may be taken up again by a resumed check.

    Args:
        given_at: when each answer was given; None for one that cannot be read.
        now: when the check resumes.
    """
    return all(at is not None and now - at <= ANSWERS_KEPT_FOR for at in given_at)


class TenancyLockNotice:
    """Tells Customer Experience that a tenancy's checks stopped (P4, P11).

    One handoff per tenancy while it is open, named by the tenancy reference: staff
    contact the tenancy's tenant by the means on file. It is not attached to any
    conversation, so no one who guessed is told of it.
    """

    def __init__(self, handoffs: HandoffService) -> None:
        self._handoffs = handoffs

    def __call__(self, tenancy: Tenancy, now: datetime) -> None:
        """Record the handoff, unless one for the tenancy is still open."""
        conversation = Conversation(f"tenancy:{tenancy.reference}", platform="tenancy")
        self._handoffs.open(
            Reason.IDENTITY_CHECK_FAILED,
            conversation,
            now,
            details={"tenancy": tenancy.reference},
        )


class IdentityChecks:
    """Runs checks against the tenancy records, counting failures and keeping locks."""

    def __init__(
        self,
        engine: Engine,
        tenancies: TenancyRepository,
        unknown_tenancy_scheme: HashScheme | None = None,
        staff: Callable[[Tenancy, datetime], None] | None = None,
    ) -> None:
        """`staff` is told of each tenancy whose checks stop (`TenancyLockNotice`)."""
        self._engine = engine
        self._tenancies = tenancies
        self._staff = staff
        # An unknown tenancy costs the same slow derivation as a known one.
        self._unknown_scheme = unknown_tenancy_scheme or HashScheme.fresh()

    def account_locked_until(self, account: Account, now: datetime) -> datetime | None:
        """When the account's lock ends, or None if it is not locked."""
        with self._engine.connect() as connection:
            return locked_until(connection, account_subject(account), now)

    def attempt(
        self, account: Account, conversation_id: str, answers: Answers, now: datetime
    ) -> CheckResult:
        """Check `answers` for `account`, and record the attempt."""
        attempt = {
            "at": to_utc(now),
            "platform": account.platform,
            "account": account.key,
            "conversation_id": conversation_id,
        }
        locked_until = self.account_locked_until(account, now)
        if locked_until is not None:
            self._audit(attempt, Outcome.REFUSED_LOCKED)
            return CheckResult(Outcome.REFUSED_LOCKED, locked_until=locked_until)

        tenancy = self._tenancies.find(answers.locator)
        scheme = tenancy.answers_scheme if tenancy else self._unknown_scheme
        digest = scheme.digest(answers.name, answers.date_of_birth)
        people = self._tenancies.people(tenancy.id) if tenancy else []
        index = matching_index(digest, [recorded for _, recorded in people])
        # Failures count against the account, against what was typed to name the
        # tenancy (the same whether or not one exists) and, quietly, against a real
        # tenancy however it was named (module docstring).
        subjects = Subjects(
            account_subject(account),
            locator_subject(answers.locator),
            tenancy_subject(tenancy.id) if tenancy else None,
        )
        if tenancy:
            attempt["tenancy_id"] = tenancy.id

        try:
            result, tenancy_locked = self._settle(attempt, subjects, people, index, now)
        except IntegrityError:
            # Two first failures for one subject at once: the retry sees the other's row.
            result, tenancy_locked = self._settle(attempt, subjects, people, index, now)
        if tenancy and tenancy_locked and self._staff is not None:
            self._staff(tenancy, now)
        return result

    def _settle(
        self,
        attempt: dict[str, Any],
        subjects: Subjects,
        people: list[tuple[Person, bytes]],
        index: int | None,
        now: datetime,
    ) -> tuple[CheckResult, bool]:
        """Record the attempt's outcome, counting a failure and locking where due.

        Two checks of one tenancy, one way of naming it or one account, settled at
        once, are settled one after the other: each updates the rows it counts on
        first, which holds the other back until it is committed (on SQLite, the first
        update makes the transaction the only writer), so no check reads a lock the
        other is about to set. Returns the result and whether the tenancy's checks
        stopped with it.
        """
        held = sorted(s for s in (subjects.account, subjects.locator, subjects.tenancy) if s)
        ensure_rows(self._engine, held)
        with self._engine.begin() as connection:
            # In one order, so two checks that share rows cannot wait for each other.
            for subject in held:
                connection.execute(
                    identity_subjects.update()
                    .where(identity_subjects.c.subject == subject)
                    .values(failures=identity_subjects.c.failures)
                )
            account_until = locked_until(connection, subjects.account, now)
            if account_until is not None:
                # Locked by a check settled just before this one.
                _insert_audit(connection, attempt, Outcome.REFUSED_LOCKED)
                return CheckResult(Outcome.REFUSED_LOCKED, locked_until=account_until), False
            locator_locked = locked_until(connection, subjects.locator, now) is not None
            tenancy_locked = subjects.tenancy is not None and (
                locked_until(connection, subjects.tenancy, now) is not None
            )
            if index is not None and not locator_locked and not tenancy_locked:
                # A success wipes no count: someone on the tenancy could otherwise
                # guess at another person's answers two at a time, verifying as
                # themselves in between. Counts lapse with their 24-hour window.
                person = people[index][0]
                _insert_audit(connection, {**attempt, "person_id": person.id}, Outcome.VERIFIED)
                return CheckResult(Outcome.VERIFIED, person=person), False
            # A lock is not lengthened by guesses made while it lasts.
            counting = [subjects.account] + ([] if locator_locked else [subjects.locator])
            shown = [count_failure(connection, s, now, LOCK_AFTER_FAILURES) for s in counting]
            stops = (
                not tenancy_locked
                and subjects.tenancy is not None
                and count_failure(connection, subjects.tenancy, now, TENANCY_LOCK_AFTER_FAILURES)
            )
            if stops:
                lock(connection, subjects.tenancy, now + TENANCY_LOCK_FOR)
            if any(shown):
                until = now + LOCK_FOR
                for subject in counting:
                    lock(connection, subject, until)
                _insert_audit(connection, attempt, Outcome.LOCKED)
                return CheckResult(Outcome.LOCKED, locked_until=until), stops
            _insert_audit(connection, attempt, Outcome.FAILED)
            return CheckResult(Outcome.FAILED), stops

    def _audit(self, attempt: dict[str, Any], outcome: Outcome) -> None:
        with self._engine.begin() as connection:
            _insert_audit(connection, attempt, outcome)


@dataclass(frozen=True)
class Subjects:
    """What one attempt's failure counts against; `tenancy` only for a real one."""

    account: str
    locator: str
    tenancy: str | None


def _insert_audit(connection: Connection, attempt: dict[str, Any], outcome: Outcome) -> None:
    connection.execute(identity_attempts.insert().values(**attempt, outcome=outcome.value))


def staff_view(slots: dict[str, Any], last_message_at: datetime | None, now: datetime) -> str:
    """What staff are told about a conversation's identity check: never any answer.

    "verified as tenant at 10:32 (UTC)", "not verified", "not verified (locked after
    three failed checks)". A verification idle for 30 minutes is no longer one.
    """
    status = slots.get("identity_status")
    if status == "locked":
        return "not verified (locked after three failed checks)"
    verified_at = _when(slots.get("identity_verified_at"))
    if status != "verified" or verified_at is None:
        return "not verified"
    latest = max(filter(None, [verified_at, last_message_at]))
    if now - latest > VERIFICATION_IDLE_LIMIT:
        return "not verified (the verification lapsed)"
    who = slots.get("identity_verified_as") or "someone on the tenancy"
    return f"verified as {who} at {verified_at:%H:%M} (UTC)"


def _when(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text).astimezone(timezone.utc)
    except (TypeError, ValueError):
        return None
