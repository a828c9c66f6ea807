"""The factory that builds a Rasa server's channel runtime, and the one place it is called.

`build_runtime` names every part the connectors need (P12): the store, the outbox, the
association's settings and calendar, screening, each platform's API client and
deliverer, and the outbox worker. `shared_runtime` calls it once per Rasa server, from
the connectors' `blueprint()` (bot/channels/base.py), and both connectors share what it
built. Commands (scripts/retention.py) and tests call `build_runtime` directly.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable, Dict

from sanic import Sanic

from bot.alerts.alerts import AlertListener, AlertWatcher, alert_deliverers, configured_alerts
from bot.association import load_association
from bot.channels.runtime import ChannelRuntime, in_thread, utc_now
from bot.feedback.invitations import Invitations
from bot.feedback.surveys import SurveyDesk, Surveys
from bot.handoff.desk import StaffReplyListener
from bot.handoff.handoffs import Teams
from bot.handoff.service import HandoffService
from bot.handoff.waiting import WaitingNotes
from bot.handoff.working_hours import WorkingCalendar
from bot.intake import IntakeStore
from bot.outbox import Outbox, OutboxListeners
from bot.outbox_worker import Deliver, OutboxWorker
from bot.platforms.registry import KITS
from bot.protection.notice import NoticeListener, PrivacyNotices, notice_text
from bot.protection.retention import conversation_retention
from bot.screening.coordinator import ModerationListener, Screening
from bot.service_alerts.store import ServiceAlerts
from bot.settings import Settings
from bot.store import connect


def build_runtime(settings: Settings, clock: Callable[[], datetime] = utc_now) -> ChannelRuntime:
    """The runtime for the store and platforms that `settings` name.

    Blocking (connecting creates the store's tables): call it off the event loop.
    """
    engine = connect(settings.database_url, settings.data_keys())
    box = Outbox(engine, key=settings.outbox_key)
    association = load_association(settings.association_file)
    calendar = WorkingCalendar.from_config(association.monitoring)
    teams = Teams.from_config(association.teams)
    alerts = configured_alerts(settings, box, calendar, teams.names)
    # P3: while a service alert with a longer wait is live, handoffs are due no sooner.
    handoffs = HandoffService(
        engine,
        calendar,
        teams,
        listeners=(AlertListener(alerts),),
        longer_wait=ServiceAlerts(engine).longer_wait,
    )
    screening = Screening(engine, box, association, calendar, handoffs=handoffs)
    # This server's outbox loops send the staff alerts too (bot/alerts/), except in
    # sandbox mode, where nothing leaves the machine.
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
    worker = OutboxWorker(box, deliverers, clock, listener=listener, lately=lately)
    waiting = WaitingNotes(engine, box, calendar)
    watcher = AlertWatcher(handoffs.repository, alerts, calendar)
    runtime = ChannelRuntime(
        IntakeStore(engine),
        box,
        worker,
        screening,
        clock=clock,
        listings=listings,
        waiting=waiting,
        alerts=watcher,
        retention=conversation_retention(
            engine, settings.endpoints_file, association.conversation_retention_months
        ),
        notices=notices,
        notice=notice,
    )
    # P11: the question after a conversation, sent as the runtime sends a reply.
    runtime.surveys = SurveyDesk(
        Surveys(engine),
        handoffs,
        calendar,
        runtime.send_private,
        timedelta(days=settings.survey_ask_again_after_days),
        Invitations(engine),
    )
    return runtime


async def shared_runtime(app: Sanic, settings: Settings) -> ChannelRuntime:
    """The Rasa server's one channel runtime, built by `build_runtime` on first use.

    Both connectors (Facebook and X) are blueprints of the same Sanic app and share
    it; it is kept on the app as `app.ctx.channel_runtime`, beside Rasa's own agent.
    """
    runtime = built_runtime(app)
    if runtime is None:
        # Connecting creates the store's tables: blocking work, kept off the loop.
        runtime = await in_thread(build_runtime, settings)
        runtime = built_runtime(app) or runtime
        app.ctx.channel_runtime = runtime
    return runtime


def built_runtime(app: Sanic) -> ChannelRuntime | None:
    """The runtime `shared_runtime` built for `app`, if it built one yet."""
    return getattr(app.ctx, "channel_runtime", None)
