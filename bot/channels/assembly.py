"""The parts of a Rasa server's channel runtime that need no Rasa: the store, the
outbox and its worker, the association's settings and calendar, handoffs, screening.

`wiring.build_runtime` makes the runtime of them; the outbox's own process
(bot/channels/sending.py) makes its worker of them the same way, without importing
Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Dict

from sqlalchemy.engine import Engine

from bot.alerts.alerts import AlertListener, Alerts, alert_deliverers
from bot.alerts.sending import alerts_on_store
from bot.association import Association
from bot.events import Platform
from bot.handoff.desk import StaffReplyListener
from bot.handoff.service import HandoffService
from bot.handoff.working_hours import WorkingCalendar
from bot.outbox import Outbox, OutboxListeners
from bot.outbox_worker import Deliver, OutboxWorker
from bot.platforms.kit import Listing
from bot.platforms.registry import KITS
from bot.protection.notice import NoticeListener, PrivacyNotices, notice_text
from bot.screening.coordinator import ModerationListener, Screening
from bot.service_alerts.store import ServiceAlerts
from bot.settings import Settings


@dataclass
class Assembly:
    """What `assemble` made, for the runtime to be made of."""

    engine: Engine
    box: Outbox
    association: Association
    calendar: WorkingCalendar
    alerts: Alerts
    handoffs: HandoffService
    screening: Screening
    listings: Dict[Platform, Listing]
    notices: PrivacyNotices
    notice: str
    worker: OutboxWorker


def assemble(settings: Settings, clock: Callable[[], datetime]) -> Assembly:
    """The parts for the store and platforms that `settings` name.

    Blocking (connecting creates the store's tables): call it off the event loop.
    """
    base = alerts_on_store(settings)
    engine, box, association = base.engine, base.box, base.association
    calendar, teams, alerts = base.calendar, base.teams, base.alerts
    # P3: while a service alert with a longer wait is live, handoffs are due no sooner.
    handoffs = HandoffService(
        engine,
        calendar,
        teams,
        listeners=(AlertListener(alerts),),
        longer_wait=ServiceAlerts(engine).longer_wait,
    )
    screening = Screening(engine, box, association, calendar, handoffs=handoffs)
    # The outbox's senders send the staff alerts too (bot/alerts/), except in sandbox
    # mode, where nothing leaves the machine.
    deliverers: Dict[str, Deliver] = alert_deliverers(settings, alerts.config)
    for platform, kit in KITS.items():
        deliver = kit.deliverer(settings)
        if deliver is not None:
            deliverers[platform] = deliver
    # P10: the platforms whose comments are kept are swept for those never seen.
    listings = {
        platform: listing
        for platform, kit in KITS.items()
        if kit.keeps_comments and (listing := kit.comment_listing(settings)) is not None
    }
    # Moderation notes what it sent; a staff reply counts once sent (bot.handoff.desk).
    notices, notice = PrivacyNotices(engine), notice_text(association.pages["privacy_notice"])
    listener = OutboxListeners(
        ModerationListener(screening.comments, screening.log),
        StaffReplyListener(engine),
        NoticeListener(notices, notice),
    )
    lately = {p: asker for p, kit in KITS.items() if (asker := kit.lately(settings)) is not None}
    return Assembly(
        engine=engine,
        box=box,
        association=association,
        calendar=calendar,
        alerts=alerts,
        handoffs=handoffs,
        screening=screening,
        listings=listings,
        notices=notices,
        notice=notice,
        worker=OutboxWorker(box, deliverers, clock, listener=listener, lately=lately),
    )
