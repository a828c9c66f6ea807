"""Repair requests: what a tenant reported in private, kept for the Repairs team (P3, P4, P9).

A request is made once the repair questions are answered. Its tenancy is the one the
tenant verified for (P4); a tenant who could not be verified still has their report
kept and handed to Repairs, with no tenancy, so that staff confirm who they are before
booking anything (the report is not lost, and nothing about a tenancy was said).

A vulnerable household does not change the handoff's priority: a repair that is not
an emergency is answered within the same working hours (P3), and one that is (no
heating or hot water for someone vulnerable, P2) goes by the emergency route at once.
It is flagged at the top of the summary, for Repairs to weigh when they book.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.privacy import redact
from bot.repairs.triage import Photos
from bot.store import as_aware, repair_requests, to_utc


@dataclass(frozen=True)
class RepairRequest:
    """One repair reported in a private conversation and its answers, as typed."""

    id: str
    conversation_id: str
    tenancy_id: str | None  # None: the tenant's identity was not confirmed
    what: str
    where: str
    since: str
    vulnerable: bool
    photos: Photos
    created_at: datetime
    handoff_id: str | None = None

    @property
    def identity_confirmed(self) -> bool:
        """Whether the tenant verified for a tenancy before the request was made."""
        return self.tenancy_id is not None

    def details(self) -> Dict[str, str]:
        """What the Repairs team reads in the handoff's summary, personal details redacted.

        The vulnerability is a yes or no: who is vulnerable, and why, stays in the
        conversation (P5: never copied into a summary).
        """
        return {
            "repair request": self.id,
            "vulnerable household": "yes" if self.vulnerable else "no",
            "what is wrong": redact(self.what),
            "where in the home": redact(self.where),
            "since": redact(self.since),
            "photos": self.photos.describe(),
            "identity": "confirmed" if self.identity_confirmed else "not confirmed",
        }


def new_request(
    conversation_id: str,
    tenancy_id: str | None,
    what: str,
    where: str,
    since: str,
    vulnerable: bool,
    photos: Photos,
    now: datetime,
) -> RepairRequest:
    """A repair request made `now`, not yet handed to anyone."""
    return RepairRequest(
        id=str(uuid.uuid4()),
        conversation_id=conversation_id,
        tenancy_id=tenancy_id,
        what=what,
        where=where,
        since=since,
        vulnerable=vulnerable,
        photos=photos,
        created_at=now,
    )


class RepairRequests:
    """Repair requests in the project's store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, request: RepairRequest) -> RepairRequest:
        """Store a new repair request."""
        with self._engine.begin() as connection:
            connection.execute(repair_requests.insert().values(**_row(request)))
        return request

    def handed_off(self, request_id: str, handoff_id: str) -> None:
        """Record the handoff that took the request to the Repairs team."""
        with self._engine.begin() as connection:
            connection.execute(
                repair_requests.update()
                .where(repair_requests.c.id == request_id)
                .values(handoff_id=handoff_id)
            )

    def for_tenancy(self, tenancy_id: str) -> List[RepairRequest]:
        """The tenancy's repair requests, oldest first."""
        query = (
            select(repair_requests)
            .where(repair_requests.c.tenancy_id == tenancy_id)
            .order_by(repair_requests.c.created_at)
        )
        with self._engine.connect() as connection:
            return [_request(row) for row in connection.execute(query)]

    def for_conversation(self, conversation_id: str) -> List[RepairRequest]:
        """The conversation's repair requests, oldest first."""
        query = (
            select(repair_requests)
            .where(repair_requests.c.conversation_id == conversation_id)
            .order_by(repair_requests.c.created_at)
        )
        with self._engine.connect() as connection:
            return [_request(row) for row in connection.execute(query)]


def _row(r: RepairRequest) -> dict:
    return {
        "id": r.id,
        "conversation_id": r.conversation_id,
        "tenancy_id": r.tenancy_id,
        "what": r.what,
        "where_in_home": r.where,
        "since": r.since,
        "vulnerable": int(r.vulnerable),
        "photo_count": r.photos.count,
        "photo_kinds": ",".join(r.photos.kinds),
        "created_at": to_utc(r.created_at),
        "handoff_id": r.handoff_id,
    }


def _request(row) -> RepairRequest:
    m = row._mapping
    kinds = tuple(k for k in (m["photo_kinds"] or "").split(",") if k)
    return RepairRequest(
        id=m["id"],
        conversation_id=m["conversation_id"],
        tenancy_id=m["tenancy_id"],
        what=m["what"],
        where=m["where_in_home"],
        since=m["since"],
        vulnerable=bool(m["vulnerable"]),
        photos=Photos(m["photo_count"], kinds),
        created_at=as_aware(m["created_at"]),
        handoff_id=m["handoff_id"],
    )
