"""Reading new comments on the organization's posts where no webhook brings them.

Each run lists the page's newest posts (LINKEDIN_POSTS_WATCHED, 10 by default) and the
comments on each, a page of 100 at a time, and hands on those written since its place
(the newest comment read, and the ids written in that same millisecond), oldest first.
The first run looks back a day. LinkedIn does not say in which order it lists
comments, so every page of a post is read, up to MAX_PAGES.

Replies to comments are not listed with a post's comments: each comment says how many
it has (`commentsSummary.aggregatedTotalComments`), and the poller lists a comment's
replies (`GET /socialActions/<comment>/comments`) when that count is not what it was at
the last run (the place keeps each comment's count), so a quiet thread costs nothing.

Calls: 1 for the posts, 1 a page of comments for each post, and 1 for each comment
whose replies changed: 11 a run on a quiet page, so polling every 10 minutes
(LINKEDIN_POLL_SECONDS=600) is about 1,600 calls a day. LinkedIn does not publish its
daily limits (the app's Analytics tab shows them); a 429 waits for the next turn.

Limits, written down: comments on posts older than the newest LINKEDIN_POSTS_WATCHED
are not read, and the replies of a comment that does not say how many it has are not
read (the webhook brings them where the association has one).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Dict, Iterator, List

from bot.events import InboundEvent
from bot.platforms.linkedin.api import PAGE, LinkedInClient
from bot.platforms.linkedin.payloads import (
    comment_urn,
    parse_comments,
    post_urns,
    replies_counted,
)
from bot.platforms.payloads import MalformedPayload
from bot.platforms.places import Read, Since

logger = logging.getLogger(__name__)
FIRST_LOOK_BACK = timedelta(days=1)
# The most pages of comments read on one post in a run (100 each).
MAX_PAGES = 5


class CommentPoller:
    """Reads the new comments on one organization's newest posts."""

    def __init__(self, client: LinkedInClient, posts_watched: int, every: timedelta) -> None:
        self.name = f"linkedin:{client.organization}"
        self.every = every
        self._client = client
        self._posts = posts_watched

    def read(self, place: Dict[str, Any], now: datetime) -> Read:
        """The comments and replies written since `place`, and the place after them.

        Raises:
            PlatformError: LinkedIn could not be read; the place is unchanged.
        """
        since = Since(place, now, FIRST_LOOK_BACK)
        known = place.get("replies") if isinstance(place.get("replies"), dict) else {}
        counted: Dict[str, int] = {}
        found: List[InboundEvent] = []
        calls = 1
        try:
            posts = post_urns(self._client.posts(self._posts))
        except MalformedPayload as error:
            logger.warning("Could not read the LinkedIn page's posts: %s", error)
            posts = []
        for post in posts:
            for answer in self._pages(post):
                calls += 1
                found += self._new(answer, post, since, now) or []
                for element in answer.get("elements") or []:
                    count = replies_counted(element)
                    if not count or not isinstance(element, dict):
                        continue
                    try:
                        urn = comment_urn(element, post)
                    except KeyError:
                        continue
                    if known.get(urn) == count:
                        counted[urn] = count
                        continue  # no reply came or went since the last run
                    read_all = True
                    for replies in self._pages(urn):
                        calls += 1
                        new = self._new(replies, post, since, now)
                        read_all = read_all and new is not None
                        found += new or []
                    if read_all:  # else they are listed again at the next run
                        counted[urn] = count
        found.sort(key=lambda event: event.sent_at)
        return Read(found, {**since.place(), "replies": counted}, calls)

    def _pages(self, on: str) -> Iterator[Any]:
        """The listings of the comments on `on` (a post, or a comment for its replies),
        page by page, up to MAX_PAGES."""
        for page in range(MAX_PAGES):
            answer = self._client.comments(on, page * PAGE)
            yield answer
            if not isinstance(answer, dict) or len(answer.get("elements") or []) < PAGE:
                return

    def _new(
        self, answer: Any, post: str, since: Since, now: datetime
    ) -> List[InboundEvent] | None:
        """The comments in one listing written since the place, marked read; None for
        a listing that is none."""
        try:
            comments = parse_comments(answer, post, self._client.organization, now)
        except MalformedPayload as error:
            logger.warning("Skipped the comments on a LinkedIn post: %s", error)
            return None
        new = [event for event in comments if since.is_new(event)]
        for event in new:
            since.read(event)
        return new
