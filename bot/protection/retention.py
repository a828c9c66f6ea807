"""Conversation data is kept for a set period, then removed (P9).

What a tenant sends is kept on their file under the privacy notice, and not for ever:
`data_protection.remove_conversations_after_months` in association.yml (default 24).
Once a run of `ConversationRetention.run`:

- every conversation whose latest event is older than the period is erased whole, as
  a subject's erasure does (bot.protection.subject) but for the platform account
  itself: its links to the person's other accounts, and the moderation log's copies
  of its id, stay (on X one user id writes in public and in private, and a quiet
  public thread says nothing of the direct messages going on; an old entry loses its
  reason and conversation below, by its own time). Each such erasure is audited
  under the job's name; but a conversation with a handoff still open or a message
  still to send (a staff reply, pending or being retried) is kept whole, events
  included, until these are done, and goes at the first run after;
- older events of conversations still going are removed from the tracker store;
- the sealed answers of an identity check left unfinished (interrupted, or abandoned
  mid-way) are hidden once its conversation has been quiet for longer than Rasa's
  session (domain.yml `session_config`) or a day, whichever is longer: the check
  cannot carry on after that, and a check that ends hides its own at once;
- the project's tables lose their older records: closed and handed-back handoffs
  (their audit entries keep who did what and when, without the details), sent and
  dismissed outbox rows and dead letters, processed and set-aside intake rows, repair
  requests, follow-ups and identity checks are removed; moderation entries keep their
  action (a block still stands, P7) without their reason or conversation.

Rows are found by their own times, never by reading a personal field. Every step
deletes or overwrites what is older than the cut-off, so a second run, or a run on
another machine at the same moment, finds nothing more to do and breaks nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, Set

import yaml
from dateutil.relativedelta import relativedelta
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from bot.association import CONVERSATION_RETENTION_MONTHS
from bot.handoff.handoffs import OPEN_STATES
from bot.intake import FAILED, PROCESSED
from bot.outbox import PENDING
from bot.protection.conversations import TrackerEvents
from bot.protection.subject import ERASED, SubjectRights, strip_handoff_audit, tracker_of
from bot.settings import PROJECT_ROOT
from bot.store import (
    clear_write_ahead_log,
    follow_ups,
    handoffs,
    identity_attempts,
    inbound_events,
    keys_of,
    moderation_actions,
    outbox,
    repair_requests,
    to_utc,
)

# Who the audit names for the erasures the job makes.
RETENTION_JOB = "retention job"

# The least time an unfinished check's sealed answers are kept after the conversation's
# latest event, and Rasa's own session length when domain.yml sets none (minutes).
ANSWERS_KEPT_AT_LEAST = timedelta(days=1)
RASA_SESSION_MINUTES = 60


def answers_kept_for(domain_file: Path) -> timedelta:
    """How long after a conversation's latest event an unfinished check's sealed answers
    are kept: the session expiry `domain_file` sets, or a day, whichever is longer."""
    try:
        raw = yaml.safe_load(Path(domain_file).read_text(encoding="utf-8")) or {}
        minutes = float(
            (raw.get("session_config") or {}).get("session_expiration_time", RASA_SESSION_MINUTES)
        )
    except (OSError, yaml.YAMLError, AttributeError, TypeError, ValueError):
        minutes = RASA_SESSION_MINUTES
    return max(timedelta(minutes=minutes), ANSWERS_KEPT_AT_LEAST)


@dataclass(frozen=True)
class RetentionRun:
    """What one run removed: conversations erased whole, and counts per place."""

    cutoff: datetime
    conversations: int = 0
    removed: Dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Everything removed or stripped, counted together."""
        return self.conversations + sum(self.removed.values())


class ConversationRetention:
    """The retention job over the project's store and the tracker store's events."""

    def __init__(
        self,
        engine: Engine,
        rights: SubjectRights,
        tracker: TrackerEvents | None = None,
        months: int = CONVERSATION_RETENTION_MONTHS,
        hide_answers_after: timedelta = ANSWERS_KEPT_AT_LEAST,
    ) -> None:
        """`engine`: the project's store; `rights` erases a whole conversation (over the
        same store and tracker); `tracker`: the tracker store's events, if SQL;
        `months`: how long a conversation is kept after its latest message;
        `hide_answers_after`: how long an unfinished check's sealed answers are kept
        after it (`answers_kept_for`)."""
        self._engine = engine
        self._rights = rights
        self._tracker = tracker
        self.months = months
        self.hide_answers_after = hide_answers_after

    def cutoff(self, now: datetime) -> datetime:
        """What is older than this is removed."""
        return now - relativedelta(months=self.months)

    def run(self, now: datetime) -> RetentionRun:
        """Remove what is older than the period, once; returns what was removed."""
        cutoff = self.cutoff(now)
        erased = 0
        waiting = self.waiting()
        if self._tracker is not None:
            for conversation_id in self._tracker.older_than(cutoff):
                if conversation_id in waiting:
                    continue
                erasure = self._rights.remove_conversation(conversation_id, now)
                if erasure.total:
                    self._rights.record_erasure(erasure, RETENTION_JOB, now)
                    erased += 1
        removed = {
            "older tracker events": (
                self._tracker.remove_before(cutoff, keep=waiting) if self._tracker else 0
            )
        }
        removed["unfinished checks' answers"] = self._hide_left_answers(now)
        removed.update(self._older_rows(to_utc(cutoff)))
        run = RetentionRun(cutoff, erased, removed)
        if run.total:
            # Nor left in a SQLite store's write-ahead log (else the Rasa server's next clear).
            clear_write_ahead_log(self._engine)
        return run

    def waiting(self) -> Set[str]:
        """The conversations kept whole however old: those with a handoff still open
        (staff read the conversation to answer it) or a message still to send (a staff
        reply, retried until it goes or gives up). They wait until these are done."""
        with self._engine.connect() as connection:
            open_handoffs = select(handoffs.c.conversation_id).where(
                handoffs.c.state.in_([s.value for s in OPEN_STATES])
            )
            to_send = select(outbox.c.conversation_id).where(outbox.c.state == PENDING)
            return set(connection.execute(open_handoffs.union(to_send)).scalars())

    def _hide_left_answers(self, now: datetime) -> int:
        """Hide the sealed answers of conversations quiet for `hide_answers_after`."""
        if self._tracker is None:
            return 0
        quiet = self._tracker.quiet_with_sealed_answers(now - self.hide_answers_after)
        return sum(self._tracker.hide_sealed_answers(sender) for sender in quiet)

    def _older_rows(self, cutoff: datetime) -> Dict[str, int]:
        """Remove or strip the store's records older than `cutoff` (UTC)."""
        removed: Dict[str, int] = {}
        with self._engine.begin() as connection:
            closed = list(
                connection.execute(
                    select(handoffs.c.id).where(
                        handoffs.c.updated_at < cutoff,
                        handoffs.c.state.not_in([s.value for s in OPEN_STATES]),
                    )
                ).scalars()
            )
            strip_handoff_audit(connection, closed)
            removed["closed handoffs"] = (
                connection.execute(delete(handoffs).where(handoffs.c.id.in_(closed))).rowcount
                if closed
                else 0
            )
            removed["outbox messages"] = connection.execute(
                delete(outbox).where(outbox.c.state != PENDING, outbox.c.created_at < cutoff)
            ).rowcount
            removed["intake records"] = connection.execute(
                delete(inbound_events).where(
                    inbound_events.c.state.in_([PROCESSED, FAILED]),
                    inbound_events.c.received_at < cutoff,
                )
            ).rowcount
            removed["repair requests"] = connection.execute(
                delete(repair_requests).where(repair_requests.c.created_at < cutoff)
            ).rowcount
            removed["follow-ups"] = connection.execute(
                delete(follow_ups).where(follow_ups.c.promised_at < cutoff)
            ).rowcount
            removed["identity checks"] = connection.execute(
                delete(identity_attempts).where(identity_attempts.c.at < cutoff)
            ).rowcount
            # Kept, without the conversation: an old block can still be undone (P7).
            # Marked by the conversation cleared, so a second run counts nothing again.
            removed["moderation entries"] = connection.execute(
                update(moderation_actions)
                .where(
                    moderation_actions.c.at < cutoff,
                    moderation_actions.c.conversation_id.is_not(None),
                )
                .values(conversation_id=None, reason=ERASED)
            ).rowcount
        return {name: max(count or 0, 0) for name, count in removed.items()}


def conversation_retention(
    engine: Engine,
    endpoints_file: Path,
    months: int = CONVERSATION_RETENTION_MONTHS,
    domain_file: Path = PROJECT_ROOT / "domain.yml",
) -> ConversationRetention:
    """The retention job over the store `engine` (with its keys) and the tracker store
    `endpoints_file` names (none when it names no SQL tracker store); `domain_file`
    gives the session length (`answers_kept_for`)."""
    keys = keys_of(engine.dialect)
    tracker = tracker_of(endpoints_file, keys)
    rights = SubjectRights(engine, keys, tracker)
    kept = answers_kept_for(domain_file)
    return ConversationRetention(engine, rights, tracker, months, hide_answers_after=kept)
