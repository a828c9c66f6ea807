"""Durable intake: webhook events are recorded before they are acknowledged (P12).

A webhook's events are accepted (stored, once per platform event id) and the webhook
answered at once; they are processed afterwards, in order within each conversation.
An event is claimed with a short lease that the processing server renews while it
works, so an event whose processing was cut short (a crash, a restart) is claimed
again within one lease, by this server after its restart or by another. Its text is
dropped once processed: only the ids stay, to recognise a redelivery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Sequence

from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.engine import Engine, Row
from sqlalchemy.exc import IntegrityError

from bot.events import InboundEvent
from bot.store import ACCEPTED, inbound_events, to_utc, waiting_in

PROCESSED = "processed"
FAILED = "failed"
# A claim not renewed for this long was cut short (the server died). The processing
# server renews it every RENEW_EVERY, however long the model and actions take.
LEASE = timedelta(seconds=20)
RENEW_EVERY = timedelta(seconds=5)
# An event that fails this often is set aside for staff instead of blocking its
# conversation.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Claimed:
    """An accepted event, claimed for processing."""

    row_id: int
    event: InboundEvent
    attempts: int


# The statements run for every event, built once (bot/store.py says why).
_SEEN = select(inbound_events.c.id).where(
    inbound_events.c.platform == bindparam("seen_platform"),
    inbound_events.c.event_id == bindparam("seen_id"),
)
_INSERT = inbound_events.insert()
# Claimable now: never claimed, or its claim ran out.
_FREE = or_(
    inbound_events.c.claimed_until.is_(None), inbound_events.c.claimed_until < bindparam("now")
)
# Each conversation's first waiting event, oldest first: read in the order accepted
# and stopped at `most`, whatever the backlog, through the indexes of waiting events
# alone (bot/store.py), whose condition this is, written as they have it.
_WAITING = waiting_in("inbound_events")
_EARLIER = inbound_events.alias("earlier")
_FIRSTS = (
    select(inbound_events)
    .where(_WAITING, _FREE)
    .where(
        ~exists().where(
            waiting_in("earlier"),
            _EARLIER.c.conversation_id == inbound_events.c.conversation_id,
            _EARLIER.c.id < inbound_events.c.id,
        )
    )
    .order_by(inbound_events.c.id)
    .limit(bindparam("most"))
)
_TAKE = (
    inbound_events.update()
    .where(and_(inbound_events.c.id == bindparam("row_id"), inbound_events.c.state == ACCEPTED))
    .where(_FREE)
    .values(claimed_until=bindparam("until"), attempts=bindparam("next_attempts"))
)
_RENEW = (
    inbound_events.update()
    .where(inbound_events.c.id == bindparam("row_id"), inbound_events.c.state == ACCEPTED)
    .values(claimed_until=bindparam("until"))
)
_PROCESSED = (
    inbound_events.update()
    .where(inbound_events.c.id == bindparam("row_id"))
    .values(state=PROCESSED, event=None, processed_at=bindparam("at"), claimed_until=None)
)


class IntakeStore:
    """Inbound events in the project's store."""

    def __init__(self, engine: Engine, lease: timedelta = LEASE) -> None:
        self._engine = engine
        self._lease = lease

    @property
    def engine(self) -> Engine:
        """The store the intake keeps its events in."""
        return self._engine

    @property
    def lease(self) -> timedelta:
        """How long a claim lasts unless it is renewed."""
        return self._lease

    def accept(self, events: Sequence[InboundEvent], now: datetime) -> List[InboundEvent]:
        """Record `events`; returns those not seen before (redeliveries are dropped)."""
        accepted = []
        for event in events:
            try:
                with self._engine.begin() as connection:
                    seen = connection.execute(
                        _SEEN, {"seen_platform": event.platform, "seen_id": event.event_id}
                    ).first()
                    if seen:
                        continue
                    connection.execute(
                        _INSERT,
                        {
                            "platform": event.platform,
                            "event_id": event.event_id,
                            "conversation_id": event.conversation_id,
                            "event": json.dumps(event.as_dict()),
                            "state": ACCEPTED,
                            "attempts": 0,
                            "received_at": to_utc(now),
                        },
                    )
            except IntegrityError:
                continue  # the same event, accepted at the same moment by another request
            accepted.append(event)
        return accepted

    def claim(self, now: datetime, limit: int = 16) -> List[Claimed]:
        """Claim the next event of each conversation that has one waiting.

        A conversation with an event in processing gives none, so its events are
        processed one at a time, in the order they were accepted. Only each
        conversation's first waiting event is a candidate, oldest first: a long
        backlog in one conversation (a flood, a spammer) never keeps another
        tenant's message, an emergency among them, waiting behind it.
        """
        with self._engine.connect() as connection:
            rows = connection.execute(_FIRSTS, {"now": to_utc(now), "most": limit}).all()
        claimed = []
        for row in rows:
            with self._engine.begin() as connection:
                taken = connection.execute(
                    _TAKE,
                    {
                        "now": to_utc(now),
                        "row_id": row.id,
                        "until": to_utc(now + self._lease),
                        "next_attempts": row.attempts + 1,
                    },
                ).rowcount
            if taken:
                event = InboundEvent.from_dict(json.loads(row.event))
                claimed.append(Claimed(row.id, event, row.attempts + 1))
        return claimed

    def renew(self, row_id: int, now: datetime) -> None:
        """Extend the claim on an event that is still being processed."""
        with self._engine.begin() as connection:
            connection.execute(_RENEW, {"row_id": row_id, "until": to_utc(now + self._lease)})

    def processed(self, row_id: int, now: datetime) -> None:
        """The event was handled: keep its ids, drop its text."""
        with self._engine.begin() as connection:
            connection.execute(_PROCESSED, {"row_id": row_id, "at": to_utc(now)})

    def failed(self, claimed: Claimed, now: datetime, error: str) -> bool:
        """Processing raised: try again later, or set the event aside after MAX_ATTEMPTS.

        Returns whether the event was set aside now (staff must then be told).
        """
        values = {"last_error": error[:2000], "claimed_until": to_utc(now + timedelta(seconds=5))}
        aside = claimed.attempts >= MAX_ATTEMPTS
        if aside:
            values.update(state=FAILED, claimed_until=None)
        with self._engine.begin() as connection:
            changed = connection.execute(
                inbound_events.update()
                .where(inbound_events.c.id == claimed.row_id, inbound_events.c.state == ACCEPTED)
                .values(**values)
            ).rowcount
        return aside and bool(changed)

    def set_aside(self) -> List[Row]:
        """The events set aside after MAX_ATTEMPTS, oldest first (for staff)."""
        with self._engine.connect() as connection:
            return connection.execute(
                select(inbound_events)
                .where(inbound_events.c.state == FAILED)
                .order_by(inbound_events.c.id)
            ).all()

    def retry(self, row_id: int, now: datetime) -> bool:
        """Put an event set aside back, with MAX_ATTEMPTS again; False if it is not aside."""
        with self._engine.begin() as connection:
            return bool(
                connection.execute(
                    inbound_events.update()
                    .where(inbound_events.c.id == row_id, inbound_events.c.state == FAILED)
                    .values(state=ACCEPTED, attempts=0, claimed_until=to_utc(now))
                ).rowcount
            )

    def postpone(self, claimed: Claimed, now: datetime, error: str, delay: timedelta) -> None:
        """Processing could not finish for a reason outside the event (the action
        server is down): try again after `delay`, without using up an attempt."""
        with self._engine.begin() as connection:
            connection.execute(
                inbound_events.update()
                .where(inbound_events.c.id == claimed.row_id, inbound_events.c.state == ACCEPTED)
                .values(
                    last_error=error[:2000],
                    claimed_until=to_utc(now + delay),
                    attempts=max(0, claimed.attempts - 1),
                )
            )

    def waiting(self) -> int:
        """How many accepted events are not processed yet."""
        with self._engine.connect() as connection:
            return len(
                connection.execute(
                    select(inbound_events.c.id).where(inbound_events.c.state == ACCEPTED)
                ).all()
            )
