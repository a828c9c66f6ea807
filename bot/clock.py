"""The one clock the servers read: the real time, or a faked one for end-to-end tests.

`ASSISTANT_FAKE_NOW` (an ISO 8601 instant with its offset, for tests only) sets the
time each process starts from when it first reads the clock; time then runs on at the
real pace. A process that runs on a faked clock says so loudly in its log, once: it
must never happen in production (P1-P3 deadlines and alerts follow this clock).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def real_now() -> datetime:
    """The real time, in UTC."""
    return datetime.now(timezone.utc)


def running_from(start: datetime, ticks: Callable[[], float] = time.monotonic) -> Clock:
    """A clock that reads `start` now and runs on from there at the real pace."""
    if start.tzinfo is None:
        raise ValueError("the faked time must carry its offset")
    began = ticks()

    def now() -> datetime:
        return (start + timedelta(seconds=ticks() - began)).astimezone(timezone.utc)

    return now


class _ProcessClock:
    """The process's clock, chosen from the settings at its first reading."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clock: Clock | None = None

    def __call__(self) -> datetime:
        if self._clock is None:
            with self._lock:
                if self._clock is None:
                    self._clock = self._choose()
        return self._clock()

    @staticmethod
    def _choose() -> Clock:
        from bot.settings import Settings  # settings are read when first needed, not on import

        fake = Settings.from_env().fake_now
        if fake is None:
            return real_now
        logger.warning(
            "ASSISTANT_FAKE_NOW is set: this process's clock is FAKED and starts at %s. "
            "For tests only: never set it in production.",
            fake.isoformat(),
        )
        return running_from(fake)


_process_clock = _ProcessClock()


def utc_now() -> datetime:
    """The time now: real, or faked from ASSISTANT_FAKE_NOW (tests only)."""
    return _process_clock()
