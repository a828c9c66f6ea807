"""The staff alerts' own loops, for the staff app: look for the alerts due, and send
the queued ones, whichever platform channels are on (P2, P3, P12).

The Rasa server's channel runtime runs its loops only while the Facebook or X channel
is on; an urgent handoff raised while both are off (REST chat only, or before the
platform secrets are set) would wait in the outbox with nobody told. The staff app
always runs, so it sends alerts too. Both may run at once: a worker claims only the
calls it has deliverers for (this one: alerts only), each claim is leased, and each
alert is keyed once per recipient, so every alert is sent once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, List

from sqlalchemy.engine import Engine

from bot.alerts.alerts import Alerts, AlertWatcher, alert_deliverers, configured_alerts
from bot.association import Association, load_association
from bot.handoff.handoffs import HandoffRepository, Teams
from bot.handoff.working_hours import WorkingCalendar
from bot.outbox import Outbox
from bot.outbox_worker import OutboxWorker
from bot.settings import Settings
from bot.store import connect

logger = logging.getLogger(__name__)
# As the Rasa server's runtime: the alerts due are looked for every minute, and an
# alert queued by another process (the action server) is sent within a second.
ALERTS_EVERY = 60.0
IDLE_WAIT = 1.0


class AlertSender:
    """Looks for the alerts due every `every` seconds and sends what is queued."""

    def __init__(
        self,
        watcher: AlertWatcher,
        worker: OutboxWorker,
        clock: Callable[[], datetime],
        every: float = ALERTS_EVERY,
        idle: float = IDLE_WAIT,
    ) -> None:
        self._watcher = watcher
        self._worker = worker
        self._clock = clock
        self._every = every
        self._idle = idle
        self._tasks: List[asyncio.Task] = []

    def start(self) -> None:
        """Start both loops, once, on the running event loop."""
        if not self._tasks:
            self._tasks = [
                asyncio.ensure_future(self._watch()),
                asyncio.ensure_future(self._send()),
            ]

    async def stop(self) -> None:
        """Stop the loops; a claim they held runs out and is sent by the next worker."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _watch(self) -> None:
        while True:
            try:
                await asyncio.to_thread(lambda: self._watcher.run_once(self._clock()))
            except Exception:
                logger.exception("The alerts watcher failed; trying again later")
            await asyncio.sleep(self._every)

    async def _send(self) -> None:
        while True:
            try:
                worked = await asyncio.to_thread(self._worker.run_once)
            except Exception:
                logger.exception("Sending alerts failed; trying again")
                worked = False
            if not worked:
                await asyncio.sleep(self._idle)


@dataclass
class AlertsOnStore:
    """The store, its outbox, the association with its calendar and teams, and the
    alerts they configure: what the alert loops and the Rasa server's runtime share."""

    engine: Engine
    box: Outbox
    association: Association
    calendar: WorkingCalendar
    teams: Teams
    alerts: Alerts


def alerts_on_store(settings: Settings) -> AlertsOnStore:
    """The store `settings` name, and the alerts association.yml configures on it.

    Blocking (connects to the store, reads association.yml).
    """
    engine = connect(settings.database_url, settings.data_keys())
    box = Outbox(engine, key=settings.outbox_key)
    association = load_association(settings.association_file)
    calendar = WorkingCalendar.from_config(association.monitoring)
    teams = Teams.from_config(association.teams)
    alerts = configured_alerts(settings, box, calendar, teams.names)
    return AlertsOnStore(engine, box, association, calendar, teams, alerts)


def alert_sender(settings: Settings, clock: Callable[[], datetime]) -> AlertSender:
    """The alert loops for the store, association and mail settings `settings` name.

    Blocking (connects to the store, reads association.yml): call it before serving.

    Raises:
        ConfigError: the `alerts:` section names an unknown team or an unusable recipient.
    """
    base = alerts_on_store(settings)
    # Only the alerts' deliverer (none in sandbox mode): tenants' replies are the Rasa
    # server's to send.
    worker = OutboxWorker(base.box, alert_deliverers(settings, base.alerts.config), clock)
    watcher = AlertWatcher(HandoffRepository(base.engine), base.alerts, base.calendar)
    return AlertSender(watcher, worker, clock)
