"""What the platforms' webhook parsers share: the payload error and tolerant reading.

Every entry and every event of a batch is read. What no one needs answering is
dropped by each platform's parser (bot/platforms/<name>/payloads.py); one odd event
does not cost the others in its batch.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeenComment:
    """A public comment (or a visitor's post), as a listing of the account's posts finds
    it: for the retention sweep (P10), which notes those the assistant never saw."""

    comment_id: str
    post_id: str
    author_id: str | None
    created_at: datetime
    # Written by the account itself (its own replies).
    by_page: bool


class MalformedPayload(ValueError):
    """A webhook body that is not what the platform sends."""


def tolerating_odd_events(groups: Iterable[Iterable[Callable[[], Any]]], platform: str) -> list:
    """The events that read well; one odd event does not cost the others in its batch.

    An event that will never read well is logged and skipped (a redelivery would be
    just as odd); a batch of nothing but odd events is malformed.
    """
    events, odd, error = [], 0, None
    for group in groups:
        try:
            readers = list(group)
        except (KeyError, TypeError, AttributeError) as problem:
            odd, error = odd + 1, problem
            continue
        for read in readers:
            try:
                event = read()
            except (KeyError, TypeError, AttributeError) as problem:
                odd, error = odd + 1, problem
                continue
            if event is not None:
                events.append(event)
    if odd:
        logger.warning("Skipped %d %s event(s) of an unexpected shape: %r", odd, platform, error)
        if not events:
            raise MalformedPayload(f"unexpected shape: {error!r}")
    return events


def attachment_text(attachment: str) -> str:
    """What a message that carried only `attachment` reads as in its conversation."""
    return f"[sent a {attachment}]"


def digest(item: Any) -> str:
    """A short digest of `item`: the same on every redelivery of the same content."""
    return hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()[:32]


def from_millis(value: Any, fallback: datetime) -> datetime:
    """A time in milliseconds since the epoch, or `fallback` if it is not one."""
    # A time beyond what the clock can show (OSError) is no time: the message is kept.
    try:
        return datetime.fromtimestamp(int(value) / 1000, timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return fallback


def from_seconds(value: Any, fallback: datetime) -> datetime:
    """A time in seconds since the epoch, or `fallback` if it is not one."""
    try:
        return datetime.fromtimestamp(int(value), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return fallback
