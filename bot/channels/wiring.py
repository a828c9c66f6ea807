"""The factory that builds a Rasa server's channel runtime, and the one place it is called.

`build_runtime` names every part the connectors need (P12): the store, the outbox, the
association's settings and calendar, screening, each platform's API client and
deliverer, and the outbox worker. `shared_runtime` calls it once per Rasa server, from
the connectors' `blueprint()` (bot/channels/base.py), and both connectors share what it
built. Commands (scripts/retention.py) and tests call `build_runtime` directly.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from sanic import Sanic

from bot.alerts.alerts import AlertWatcher
from bot.channels.assembly import assemble
from bot.channels.runtime import ChannelRuntime, in_thread, utc_now
from bot.channels.sending import SendingProcess
from bot.feedback.invitations import Invitations
from bot.feedback.surveys import SurveyDesk, Surveys
from bot.handoff.waiting import WaitingNotes
from bot.intake import IntakeStore
from bot.protection.retention import conversation_retention
from bot.settings import Settings


def build_runtime(settings: Settings, clock: Callable[[], datetime] = utc_now) -> ChannelRuntime:
    """The runtime for the store and platforms that `settings` name (its parts from
    `assembly.assemble`), its outbox sent from this process.

    Blocking (connecting creates the store's tables): call it off the event loop.
    """
    parts = assemble(settings, clock)
    engine, box, calendar = parts.engine, parts.box, parts.calendar
    runtime = ChannelRuntime(
        IntakeStore(engine),
        box,
        parts.worker,
        parts.screening,
        clock=clock,
        listings=parts.listings,
        waiting=WaitingNotes(engine, box, calendar),
        alerts=AlertWatcher(parts.handoffs.repository, parts.alerts, calendar),
        retention=conversation_retention(
            engine, settings.endpoints_file, parts.association.conversation_retention_months
        ),
        notices=parts.notices,
        notice=parts.notice,
    )
    # P11: the question after a conversation, sent as the runtime sends a reply.
    runtime.surveys = SurveyDesk(
        Surveys(engine),
        parts.handoffs,
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
        built = await in_thread(build_runtime, settings)
        runtime = built_runtime(app)
        if runtime is None:
            runtime = built
            if settings.outbox_process:
                # P12: the outbox goes from a process of its own, off the server's core.
                runtime.sending = SendingProcess(settings, utc_now)
        app.ctx.channel_runtime = runtime
    return runtime


def built_runtime(app: Sanic) -> ChannelRuntime | None:
    """The runtime `shared_runtime` built for `app`, if it built one yet."""
    return getattr(app.ctx, "channel_runtime", None)
