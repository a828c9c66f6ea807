"""What actions need from outside, read once when the action server starts."""

from __future__ import annotations

from functools import lru_cache

from bot.association import Association, load_association
from bot.settings import Settings


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings the action server runs with."""
    return Settings.from_env()


@lru_cache(maxsize=1)
def association() -> Association:
    """The association's details, from the file the settings name."""
    return load_association(settings().association_file)
