"""The handoff audit: who (a member of staff), what (an action and its details), when.

Every action staff take through the handoff service's API is written here, reading a
thread and unmasking one included (P9: who sees personal details is on record).
Details name teams, states and surfaces; never what a message said.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import List, Mapping

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from bot.store import as_aware, handoff_audit, to_utc


@dataclass(frozen=True)
class AuditEntry:
    """One action of one member of staff."""

    at: datetime
    staff: str
    action: str
    handoff_id: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)


def write(connection: Connection, entry: AuditEntry) -> None:
    """Write `entry` in the caller's transaction, so the action and its record go together."""
    connection.execute(
        handoff_audit.insert().values(
            at=to_utc(entry.at),
            staff=entry.staff,
            action=entry.action,
            handoff_id=entry.handoff_id,
            details=json.dumps(dict(entry.details), sort_keys=True) if entry.details else None,
        )
    )


class HandoffAudit:
    """The audit in the project's store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, entry: AuditEntry) -> None:
        """Write one entry on its own."""
        with self._engine.begin() as connection:
            write(connection, entry)

    def entries(self, handoff_id: str | None = None) -> List[AuditEntry]:
        """Every entry, oldest first; only those about `handoff_id` if given."""
        query = select(handoff_audit).order_by(handoff_audit.c.id)
        if handoff_id is not None:
            query = query.where(handoff_audit.c.handoff_id == handoff_id)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            AuditEntry(
                at=as_aware(m["at"]),
                staff=m["staff"],
                action=m["action"],
                handoff_id=m["handoff_id"],
                details=json.loads(m["details"]) if m["details"] else {},
            )
            for m in (row._mapping for row in rows)
        ]
