"""Service alerts kept in the project's store (the `service_alerts` table)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, List, Mapping, Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from bot.service_alerts.alerts import ServiceAlert, longest_wait
from bot.store import as_aware, service_alerts, to_utc

# Ended alerts listed in the console, at most.
RECENT = 50


class UnknownAlert(KeyError):
    """No alert has that id."""


def new_id() -> str:
    return str(uuid.uuid4())


class ServiceAlerts:
    """The alerts, live, coming and past."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, alert: ServiceAlert) -> ServiceAlert:
        """Keep `alert`; returns it."""
        with self._engine.begin() as connection:
            connection.execute(insert(service_alerts).values(**_row(alert)))
        return alert

    def get(self, alert_id: str) -> ServiceAlert:
        """The alert `alert_id`.

        Raises:
            UnknownAlert: there is none.
        """
        query = select(service_alerts).where(service_alerts.c.id == alert_id)
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            raise UnknownAlert(alert_id)
        return _alert(row)

    def current(self, now: datetime) -> List[ServiceAlert]:
        """The alerts not yet over at `now` (live, or yet to start), soonest first."""
        query = (
            select(service_alerts)
            .where(service_alerts.c.ends_at > to_utc(now))
            .order_by(service_alerts.c.starts_at)
        )
        with self._engine.connect() as connection:
            found = [_alert(row) for row in connection.execute(query).mappings()]
        return [a for a in found if a.until > now]

    def past(self, now: datetime, most: int = RECENT) -> List[ServiceAlert]:
        """The latest alerts over by `now`, the most recent first."""
        query = select(service_alerts).order_by(service_alerts.c.starts_at.desc()).limit(500)
        with self._engine.connect() as connection:
            found = [_alert(row) for row in connection.execute(query).mappings()]
        return [a for a in found if a.until <= now][:most]

    def longer_wait(self, now: datetime) -> timedelta | None:
        """The longest wait for a full reply set for a live alert (for the handoffs)."""
        return longest_wait(self.current(now), now)

    def end(self, alert_id: str, now: datetime) -> ServiceAlert:
        """End the alert now (it is no longer mentioned); returns it as ended."""
        alert = self.get(alert_id)
        if alert.until <= now:
            return alert
        with self._engine.begin() as connection:
            connection.execute(
                update(service_alerts)
                .where(service_alerts.c.id == alert_id)
                .values(ended_at=to_utc(now))
            )
        return self.get(alert_id)

    def published(self, alert_id: str, platforms: Sequence[str], now: datetime) -> None:
        """Note that the alert was put in the outbox for `platforms`."""
        with self._engine.begin() as connection:
            connection.execute(
                update(service_alerts)
                .where(service_alerts.c.id == alert_id)
                .values(published_at=to_utc(now), platforms=",".join(platforms))
            )


def _row(alert: ServiceAlert) -> dict:
    return {
        "id": alert.id,
        "title": alert.title,
        "message": alert.message,
        "services": ",".join(alert.services),
        "areas": ",".join(alert.areas),
        "starts_at": to_utc(alert.starts_at),
        "ends_at": to_utc(alert.ends_at),
        "urgent": alert.urgent,
        "reply_within_hours": alert.reply_within_hours,
        "created_by": alert.created_by,
        "created_at": to_utc(alert.created_at),
        "ended_at": to_utc(alert.ended_at) if alert.ended_at else None,
        "published_at": to_utc(alert.published_at) if alert.published_at else None,
        "platforms": ",".join(alert.platforms),
    }


def _alert(row: Mapping[str, Any]) -> ServiceAlert:
    def split(text: str) -> tuple:
        return tuple(p for p in (text or "").split(",") if p)

    return ServiceAlert(
        id=row["id"],
        title=row["title"],
        message=row["message"],
        services=split(row["services"]),
        areas=split(row["areas"]),
        starts_at=as_aware(row["starts_at"]),
        ends_at=as_aware(row["ends_at"]),
        created_by=row["created_by"],
        created_at=as_aware(row["created_at"]),
        urgent=bool(row["urgent"]),
        reply_within_hours=row["reply_within_hours"],
        ended_at=as_aware(row["ended_at"]),
        published_at=as_aware(row["published_at"]),
        platforms=split(row["platforms"]),
    )
