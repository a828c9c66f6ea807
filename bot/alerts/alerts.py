"""Alerts queued in the outbox, once each: when a handoff is opened or raised urgent
(P2), and when the watcher finds a deadline near or missed (P3).

Each alert is one outbox row per recipient, keyed `alert:<kind>:<handoff id>:<recipient>`,
so asking again (the watcher every minute, a listener and the watcher both, two
servers at once) queues nothing twice. Each recipient's alerts are their own
conversation in the outbox: they wait behind no tenant's reply, and a mail server that
is down holds up no webhook.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Collection, Dict, Iterable, List

import requests

from bot.alerts.channels import ALERTS, alert_deliverer, smtp_sender, webhook_poster
from bot.alerts.config import AlertConfig, Recipients, load_alerts
from bot.alerts.content import compose
from bot.alerts.deadlines import AlertKind, due_alerts
from bot.events import Operation
from bot.handoff.handoffs import Handoff, HandoffRepository, Priority
from bot.handoff.service import HandoffListener
from bot.handoff.working_hours import WorkingCalendar
from bot.outbox import Outbox
from bot.outbox_worker import Deliver
from bot.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    """Where one alert goes: an email address, or a webhook by its key."""

    operation: Operation
    key: str

    @property
    def conversation_id(self) -> str:
        """The recipient's own queue in the outbox."""
        channel = "email" if self.operation is Operation.ALERT_EMAIL else "webhook"
        return f"alerts-{channel}-{self.key}"


class Alerts:
    """Queues alerts about handoffs for the outbox worker's alert deliverer to send."""

    def __init__(
        self,
        box: Outbox,
        config: AlertConfig,
        calendar: WorkingCalendar,
        console_url: str | None = None,
    ) -> None:
        self._box = box
        self._config = config
        self._calendar = calendar
        self._console_url = console_url

    @property
    def config(self) -> AlertConfig:
        """Who is alerted."""
        return self._config

    def recipients(self, kind: AlertKind, handoff: Handoff) -> List[Recipient]:
        """Who hears of `kind` about `handoff`: on call for an urgent one, else its team.

        A team with nobody to alert has its alerts go to the on-call contacts, so that
        no missed deadline goes unseen; an urgent handoff's deadlines go to both.
        """
        groups: List[Recipients] = []
        if kind is not AlertKind.URGENT:
            team = self._config.teams.get(handoff.team) or Recipients()
            groups.append(team or self._config.on_call)
        if kind is AlertKind.URGENT or handoff.priority is Priority.URGENT:
            groups.append(self._config.on_call)
        found = [Recipient(Operation.ALERT_EMAIL, a) for g in groups for a in g.emails]
        found += [Recipient(Operation.ALERT_WEBHOOK, w.key) for g in groups for w in g.webhooks]
        return list(dict.fromkeys(found))

    def send(self, kind: AlertKind, handoff: Handoff, now: datetime) -> int:
        """Queue alert `kind` about `handoff` to each of its recipients; how many were new."""
        keys = {
            r: f"alert:{kind.value}:{handoff.id}:{r.key}"[:255]
            for r in self.recipients(kind, handoff)
        }
        done = self._box.stored(keys.values())
        alert = compose(kind, handoff, self._calendar.zone, self._console_url)
        queued = 0
        for recipient, key in keys.items():
            if key in done:
                continue
            # Two servers may both get here: the key still lets only one row in.
            row = self._box.enqueue(
                recipient.conversation_id,
                ALERTS,
                recipient.operation,
                recipient.key,
                now,
                text=alert.text,
                dedupe_key=key,
            )
            queued += row is not None
        if queued:
            logger.info("Queued %d %s alerts for handoff %s", queued, kind.value, handoff.id)
        return queued


class AlertListener(HandoffListener):
    """Alerts the on-call contacts the moment a handoff is opened or raised urgent (P2).

    It never fails the handoff: if queueing fails, the watcher's next sweep (within a
    minute) queues the alert instead.
    """

    def __init__(self, alerts: Alerts) -> None:
        self._alerts = alerts

    def opened(self, handoff: Handoff, now: datetime) -> None:
        """A new handoff: alert on call if it is urgent."""
        self._urgent(handoff, now)

    def raised(self, handoff: Handoff, now: datetime) -> None:
        """A handoff raised to urgent: alert on call."""
        self._urgent(handoff, now)

    def _urgent(self, handoff: Handoff, now: datetime) -> None:
        if handoff.priority is not Priority.URGENT:
            return
        try:
            self._alerts.send(AlertKind.URGENT, handoff, now)
        except Exception:
            logger.exception("Could not queue the urgent alert for handoff %s", handoff.id)


class AlertWatcher:
    """Finds the alerts open handoffs are due (bot/alerts/deadlines.py) and queues them."""

    def __init__(
        self, handoffs: HandoffRepository, alerts: Alerts, calendar: WorkingCalendar
    ) -> None:
        self._handoffs = handoffs
        self._alerts = alerts
        self._calendar = calendar

    def run_once(self, now: datetime) -> int:
        """One sweep of the open handoffs at `now`; how many alerts were queued.

        Deadlines passed with nothing done are recorded missed first (P3), so that
        the record does not wait for staff to open the handoff.
        """
        self._handoffs.record_missed(now)
        return self.alert_all(self._handoffs.queue(), now)

    def alert_all(self, handoffs: Iterable[Handoff], now: datetime) -> int:
        """Queue what each of `handoffs` is due at `now`."""
        queued = 0
        for handoff in handoffs:
            for kind in due_alerts(handoff, now, self._calendar):
                queued += self._alerts.send(kind, handoff, now)
        return queued


def configured_alerts(
    settings: Settings, box: Outbox, calendar: WorkingCalendar, team_names: Collection[str]
) -> Alerts:
    """The alerts association.yml and the settings configure (blocking: reads the file).

    In sandbox mode (SANDBOX=on) nobody is alerted: nothing is queued.

    Raises:
        ConfigError: the `alerts:` section names an unknown team or an unusable recipient.
    """
    if settings.sandbox:
        # Sandbox mode: nothing leaves the machine, so nobody is alerted.
        logger.info("Staff alerts are off in sandbox mode")
        return Alerts(box, AlertConfig(), calendar, settings.staff_console_url)
    config = load_alerts(settings.association_file, team_names, settings.alert_webhooks)
    if any(group.emails for group in (config.on_call, *config.teams.values())):
        missing = settings.smtp.missing()
        if missing:
            logger.warning(
                "Alert emails will wait in the outbox until %s are set", ", ".join(missing)
            )
    return Alerts(box, config, calendar, settings.staff_console_url)


def configured_deliverer(settings: Settings, config: AlertConfig) -> Deliver:
    """The outbox deliverer that sends alerts: by the SMTP settings, to `config`'s webhooks."""
    return alert_deliverer(
        smtp_sender(settings.smtp), webhook_poster(requests.Session()), config.webhooks()
    )


def alert_deliverers(settings: Settings, config: AlertConfig) -> Dict[str, Deliver]:
    """The outbox worker's deliverers for alerts: none in sandbox mode, where nothing
    leaves the machine (an alert a real run queued in the same store waits for one)."""
    if settings.sandbox:
        return {}
    return {ALERTS: configured_deliverer(settings, config)}
