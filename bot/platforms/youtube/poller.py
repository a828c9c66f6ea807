"""Reading the channel's new comments, since YouTube sends no webhook for them.

Each run lists the comment threads on the channel's videos, newest first, a page of
100 at a time, until it reaches a thread it has read before. It keeps its place (the
newest comment read, and the ids written in that same second) so that a restart reads
on from there, and the first run looks back a day. Comments are handed on oldest first.

Quota: a page costs 1 unit. A run on a quiet channel reads one page, so polling every
5 minutes costs 288 units a day of the default 10,000; the poller stops reading for the
day at YOUTUBE_READ_UNITS (2,000 by default), and a run reads at most MAX_PAGES
pages. What is left is for replies and moderation, at 50 units a call.

Replies: a thread lists its five newest. When all five are new, the next page of its
replies (100, 1 unit) is read too, so a busy thread loses none between two runs unless
more than 100 replies came.

Limits, written down: a run that stops at MAX_PAGES or at the day's read units leaves
older new comments unread (2,000 new threads in one run); a reply in an older thread is
read only while its thread is among the pages read; an edited comment is not read again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Dict, List

from bot.events import InboundEvent
from bot.platforms.payloads import MalformedPayload
from bot.platforms.places import Read, Since
from bot.platforms.youtube.api import READ_UNITS, YouTubeClient, quota_day
from bot.platforms.youtube.payloads import parse_replies, parse_threads

logger = logging.getLogger(__name__)
# How far back the very first run reads.
FIRST_LOOK_BACK = timedelta(days=1)
# The most pages one run reads (100 threads each).
MAX_PAGES = 20


class CommentPoller:
    """Reads the new comments on one channel's videos."""

    def __init__(
        self,
        client: YouTubeClient,
        channel_id: str,
        read_units: int,
        every: timedelta = timedelta(minutes=5),
        max_pages: int = MAX_PAGES,
    ) -> None:
        self.name = f"youtube:{channel_id}"
        self.every = every
        self._client = client
        self._channel = channel_id
        self._read_units = read_units
        self._max_pages = max_pages

    def read(self, place: Dict[str, Any], now: datetime) -> Read:
        """The comments written since `place`, and the place after them.

        Raises:
            PlatformError: YouTube could not be read; the place is unchanged.
        """
        since = Since(place, now, FIRST_LOOK_BACK)
        day = quota_day(now)
        units = int(place.get("units") or 0) if place.get("day") == day else 0
        found: List[InboundEvent] = []
        token: str | None = None
        pages, stopped = 0, None
        while True:
            if pages >= self._max_pages:
                stopped = f"read {pages} pages, the most a run reads"
                break
            if units + READ_UNITS > self._read_units:
                stopped = f"the day's {self._read_units} read units are spent"
                break
            answer = self._client.comment_threads(self._channel, token)
            units, pages = units + READ_UNITS, pages + 1
            try:
                page = parse_threads(answer, self._channel)
            except MalformedPayload as error:
                logger.warning("Skipped a page of YouTube comment threads: %s", error)
                break
            read = [*page.comments, *page.own]
            fresh = {e.event_id for e in read if since.is_new(e)}
            for event in read:
                if event.event_id not in fresh:
                    continue
                if event.author_id != self._channel:
                    found.append(event)
                since.read(event)
            for thread, video in page.more_replies:
                listed = [
                    e for e in [*page.comments, *page.own] if e.event_id.startswith(thread + ".")
                ]
                if not listed or not all(e.event_id in fresh for e in listed):
                    continue  # the thread lists its newest replies: none beyond them is new
                if units + READ_UNITS > self._read_units:
                    stopped = f"the day's {self._read_units} read units are spent"
                    break
                more, units = self._replies(thread, video), units + READ_UNITS
                for event in more:
                    if event.event_id not in fresh and since.is_new(event):
                        fresh.add(event.event_id)
                        found.append(event)
                        since.read(event)
            token = page.next_page
            if token is None or (page.thread_times and min(page.thread_times) <= since.floor):
                break
        if stopped and token is not None:
            logger.warning(
                "YouTube: stopped reading comments (%s); older new comments are left unread",
                stopped,
            )
        found.sort(key=lambda event: event.sent_at)
        return Read(found, {**since.place(), "day": day, "units": units}, pages, stopped)

    def _replies(self, thread: str, video: str | None) -> List[InboundEvent]:
        """The first page (100, newest first) of the replies in `thread`, past the five it
        lists: more new replies than that between two runs are not looked for."""
        try:
            replies, _ = parse_replies(self._client.replies(thread), video, self._channel)
        except MalformedPayload as error:
            logger.warning("Skipped the replies in a YouTube thread: %s", error)
            return []
        return replies
