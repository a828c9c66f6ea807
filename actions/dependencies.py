"""What actions need from outside, made once when the action server starts.

Actions take these as constructor arguments; these functions are the defaults.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Callable

from bot.association import Association, load_association
from bot.handoff import HandoffRepository
from bot.settings import Settings
from bot.store import connect
from bot.working_hours import WorkingCalendar

Clock = Callable[[], datetime]


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings the action server runs with."""
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
def handoff_repository() -> HandoffRepository:
    """Handoff records in the store that DATABASE_URL names."""
    return HandoffRepository(connect(settings().database_url))


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(timezone.utc)
