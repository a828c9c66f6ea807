"""What actions need from outside, made once when the action server starts.

Actions take these as constructor arguments; these functions are the defaults.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Callable, Tuple

from sqlalchemy.engine import Engine

from bot import clock
from bot.alerts.alerts import AlertListener, Alerts, configured_alerts
from bot.association import Association, load_association
from bot.feedback.invitations import Invitations
from bot.handoff.handoffs import HandoffRepository, Teams
from bot.handoff.service import HandoffService
from bot.handoff.working_hours import WorkingCalendar
from bot.outbox import Outbox
from bot.privacy.logs import protect_logs
from bot.repairs.requests import RepairRequests
from bot.service_alerts.store import ServiceAlerts
from bot.settings import Settings
from bot.store import connect
from bot.tenancy.identity import IdentityChecks, TenancyLockNotice
from bot.tenancy.records import TenancyRepository
from bot.tenancy.security_question import Sealer

Clock = Callable[[], datetime]


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings the action server runs with."""
    protect_logs()  # read as the action server starts: its logs are guarded from here (P9)
    return Settings.from_env()


@lru_cache(maxsize=1)
def association() -> Association:
    """The association's details, from the file the settings name."""
    return load_association(settings().association_file)


@lru_cache(maxsize=1)
def calendar() -> WorkingCalendar:
    """The monitoring calendar, from the association's details."""
    return WorkingCalendar.from_config(association().monitoring)


@lru_cache(maxsize=1)
def engine() -> Engine:
    """The project's store, as DATABASE_URL names it (actions/startup.py records in it
    which keys the action server holds, P9)."""
    return connect(settings().database_url, settings().data_keys())


@lru_cache(maxsize=1)
def handoff_repository() -> HandoffRepository:
    """Handoff records in the store."""
    return HandoffRepository(engine())


@lru_cache(maxsize=1)
def handoff_service() -> HandoffService:
    """Opens handoffs, for the teams the association's details name."""
    teams = Teams.from_config(association().teams)
    listeners = (AlertListener(alerts(teams.names)),)
    # P3: while a service alert with a longer wait is live, handoffs are due no sooner.
    return HandoffService(
        engine(), calendar(), teams, listeners=listeners, longer_wait=service_alerts().longer_wait
    )


def alerts(team_names: Tuple[str, ...]) -> Alerts:
    """Staff alerts, queued in the outbox for the Rasa server's worker to send."""
    box = Outbox(engine(), key=settings().outbox_key)
    return configured_alerts(settings(), box, calendar(), team_names)


@lru_cache(maxsize=1)
def tenancy_repository() -> TenancyRepository:
    """Tenancy records in the store."""
    return TenancyRepository(engine())


@lru_cache(maxsize=1)
def identity_checks() -> IdentityChecks:
    """Identity checks against the tenancy records; a tenancy whose checks stop is
    handed to Customer Experience."""
    staff = TenancyLockNotice(handoff_service())
    return IdentityChecks(engine(), tenancy_repository(), staff=staff)


@lru_cache(maxsize=1)
def sealer() -> Sealer:
    """Seals security answers between questions.

    With no SECURITY_ANSWERS_KEY the key lives only as long as this process: enough
    for one action server. Several action servers share one key through the setting.
    """
    return Sealer(settings().security_answers_key or Sealer.new_key())


def utc_now() -> datetime:
    """The action server's clock (bot/clock.py: real, unless a test fakes it)."""
    return clock.utc_now()


@lru_cache(maxsize=1)
def repair_requests() -> RepairRequests:
    """Repair requests in the store."""
    return RepairRequests(engine())


@lru_cache(maxsize=1)
def service_alerts() -> ServiceAlerts:
    """The service alerts Communications set in the console."""
    return ServiceAlerts(engine())


@lru_cache(maxsize=1)
def invitations() -> Invitations:
    """The survey invitations Communications publish in the console."""
    return Invitations(engine())
