"""Where a polled platform has read up to, kept in the store across restarts.

A platform that sends no webhook (YouTube) is read by a poller (bot.channels.polling)
every few minutes. Its place (how far it has read, the quota it spent today) is one
row of `poll_places`, saved only after what it read is in the intake, so a crash in
between reads the same comments again, and intake keeps each once. Every Rasa server
runs a poller; `claim` lets one of them read each time, so two servers do not spend
the quota twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.events import InboundEvent
from bot.store import as_aware, poll_places, to_utc


@dataclass(frozen=True)
class Read:
    """What one run of a poller read: the new messages (oldest first), the place to
    keep once they are in the intake, and why it stopped early, if it did."""

    events: List[InboundEvent]
    place: Dict[str, Any]
    pages: int = 0
    stopped_early: str | None = None


class Since:
    """What a poller has read: the newest message's time and the ids written at that
    same instant, so that each message is handed on once however the platform pages.
    Before the first read, it looks `look_back` into the past."""

    def __init__(self, place: Dict[str, Any], now: datetime, look_back: timedelta) -> None:
        self.floor = _instant(place.get("newest")) or now - look_back
        self._seen = set(place.get("seen") or ())
        self._newest, self._newest_ids = self.floor, set(self._seen)

    def is_new(self, event: InboundEvent) -> bool:
        """Whether `event` was written since, and not read before."""
        if event.sent_at == self.floor:
            return event.event_id not in self._seen
        return event.sent_at > self.floor

    def read(self, event: InboundEvent) -> None:
        """Count `event` as read."""
        if event.sent_at > self._newest:
            self._newest, self._newest_ids = event.sent_at, {event.event_id}
        elif event.sent_at == self._newest:
            self._newest_ids.add(event.event_id)

    def place(self) -> Dict[str, Any]:
        """The place to keep: read up to here."""
        return {"newest": self._newest.isoformat(), "seen": sorted(self._newest_ids)}


def _instant(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


class Poller(Protocol):
    """A platform's reader of what it sends no webhook for (its kit's `poller`)."""

    # The row its place is kept in ("youtube:<channel id>"), and how often it reads.
    name: str
    every: timedelta

    def read(self, place: Dict[str, Any], now: datetime) -> Read:
        """What is new since `place`; raises PlatformError if the platform cannot be read."""


class PollPlaces:
    """The places of the polled platforms, in one store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(self, name: str, now: datetime, every: timedelta) -> Dict[str, Any] | None:
        """The place of `name` if it is due to be read now, claimed until `now + every`
        (no other server reads it until then); None if it is not due."""
        until = to_utc(now + every)
        with self._engine.begin() as connection:
            row = connection.execute(select(poll_places).where(poll_places.c.name == name)).first()
            if row is None:
                try:
                    with connection.begin_nested():
                        connection.execute(
                            insert(poll_places).values(
                                name=name, place=None, due_at=until, updated_at=to_utc(now)
                            )
                        )
                except IntegrityError:
                    return None  # another server claimed it first
                return {}
            claimed = connection.execute(
                update(poll_places)
                .where(poll_places.c.name == name)
                .where(poll_places.c.due_at <= to_utc(now))
                .values(due_at=until)
            ).rowcount
        if not claimed:
            return None
        return json.loads(row.place) if row.place else {}

    def save(self, name: str, place: Dict[str, Any], now: datetime) -> None:
        """Keep `place` as where `name` has read up to."""
        with self._engine.begin() as connection:
            connection.execute(
                update(poll_places)
                .where(poll_places.c.name == name)
                .values(place=json.dumps(place, sort_keys=True), updated_at=to_utc(now))
            )

    def due(self, name: str) -> datetime | None:
        """When `name` is next due to be read, if it ever was."""
        with self._engine.connect() as connection:
            found = connection.execute(
                select(poll_places.c.due_at).where(poll_places.c.name == name)
            ).scalar()
        return as_aware(found)

    def place(self, name: str) -> Dict[str, Any]:
        """Where `name` has read up to ({} before its first read)."""
        with self._engine.connect() as connection:
            found = connection.execute(
                select(poll_places.c.place).where(poll_places.c.name == name)
            ).scalar()
        return json.loads(found) if found else {}
