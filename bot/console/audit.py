"""The console's audit: what staff did in the console that is not a handoff action.

Handoff actions (opening a conversation, unmasking it, taking, replying, transferring,
handing back, closing) are written by `StaffDesk` to `handoff_audit`. Everything else
done in the console goes to `console_audit`: signing in and out, failed sign-ins,
account changes, undoing a moderation action, sending a dead letter again or dismissing
it, and a trainer's adding a training example or dismissing a missed message (the
intent and file, or the message's hash: never its text). The admin's audit page shows
both, newest first (P9: who saw and did what is on record). Details never hold a
password or what a message said.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import List, Mapping, Sequence, Set

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.store import as_aware, console_audit, handoff_audit, to_utc

# Left out of the audit page unless asked for: a listing of the queue, at each refresh.
QUIET = ("list",)


@dataclass(frozen=True)
class ConsoleEvent:
    """One entry of the audit page: who, what, about what, when."""

    at: datetime
    staff: str
    action: str
    subject: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)
    # Whether it is a handoff action (the subject is then a handoff id).
    handoff: bool = False


class ConsoleAudit:
    """The console's audit in the project's store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(
        self,
        at: datetime,
        staff: str,
        action: str,
        subject: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        """Write one entry."""
        with self._engine.begin() as connection:
            connection.execute(
                console_audit.insert().values(
                    at=to_utc(at),
                    staff=staff,
                    action=action,
                    subject=subject,
                    details=json.dumps(dict(details), sort_keys=True) if details else None,
                )
            )

    def entries(
        self,
        limit: int = 200,
        staff: str | None = None,
        action: str | None = None,
        hide: Sequence[str] = QUIET,
    ) -> List[ConsoleEvent]:
        """The latest `limit` entries of both audits, newest first: only `staff`'s, only
        `action`, if given; without `action`, not the `hide` ones (each refresh of the
        queue is recorded, and would bury the rest)."""
        console_query = select(console_audit).order_by(console_audit.c.id.desc()).limit(limit)
        handoff_query = select(handoff_audit).order_by(handoff_audit.c.id.desc()).limit(limit)
        if staff:
            console_query = console_query.where(console_audit.c.staff == staff)
            handoff_query = handoff_query.where(handoff_audit.c.staff == staff)
        if action:
            console_query = console_query.where(console_audit.c.action == action)
            handoff_query = handoff_query.where(handoff_audit.c.action == action)
        elif hide:
            console_query = console_query.where(console_audit.c.action.not_in(list(hide)))
            handoff_query = handoff_query.where(handoff_audit.c.action.not_in(list(hide)))
        with self._engine.connect() as connection:
            console_rows = [row._mapping for row in connection.execute(console_query)]
            handoff_rows = [row._mapping for row in connection.execute(handoff_query)]
        found = [
            ConsoleEvent(
                at=as_aware(m["at"]),
                staff=m["staff"],
                action=m["action"],
                subject=m["subject"],
                details=json.loads(m["details"]) if m["details"] else {},
            )
            for m in console_rows
        ] + [
            ConsoleEvent(
                at=as_aware(m["at"]),
                staff=m["staff"],
                action=m["action"],
                subject=m["handoff_id"],
                details=json.loads(m["details"]) if m["details"] else {},
                handoff=True,
            )
            for m in handoff_rows
        ]
        found.sort(key=lambda event: event.at, reverse=True)
        return found[:limit]

    def subjects(self, actions: Sequence[str]) -> Set[str]:
        """The subjects of every console entry recorded as one of `actions`."""
        query = select(console_audit.c.subject).where(console_audit.c.action.in_(list(actions)))
        with self._engine.connect() as connection:
            return {s for s in connection.execute(query).scalars() if s}

    def actions(self) -> List[str]:
        """Every action recorded in either audit, for the page's filter."""
        with self._engine.connect() as connection:
            names = set(connection.execute(select(console_audit.c.action).distinct()).scalars())
            names |= set(connection.execute(select(handoff_audit.c.action).distinct()).scalars())
        return sorted(names)
