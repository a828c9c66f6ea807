"""Reading new comments on the organization's posts where no webhook brings them.

Each run lists the page's newest posts (LINKEDIN_POSTS_WATCHED, 10 by default) and the
comments on each, a page of 100 at a time, and hands on those written since its place
(the newest comment read, and the ids written in that same millisecond), oldest first.
The first run looks back a day. LinkedIn does not say in which order it lists
comments, so every page of a post is read, up to MAX_PAGES.

Calls: 1 for the posts, and 1 a page of comments for each post: 11 a run on a quiet
page, so polling every 10 minutes (LINKEDIN_POLL_SECONDS=600) is about 1,600 calls a
day. LinkedIn does not publish its daily limits (the app's Analytics tab shows them);
a 429 waits for the next turn.

Limits, written down: replies to comments are not listed with a post's comments, so
the poller reads top-level comments only (the webhook brings replies); comments on
posts older than the newest LINKEDIN_POSTS_WATCHED are not read.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Dict, List

from bot.events import InboundEvent
from bot.platforms.linkedin.api import PAGE, LinkedInClient
from bot.platforms.linkedin.payloads import parse_comments, post_urns
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
        """The comments written since `place`, and the place after them.

        Raises:
            PlatformError: LinkedIn could not be read; the place is unchanged.
        """
        since = Since(place, now, FIRST_LOOK_BACK)
        found: List[InboundEvent] = []
        calls = 1
        try:
            posts = post_urns(self._client.posts(self._posts))
        except MalformedPayload as error:
            logger.warning("Could not read the LinkedIn page's posts: %s", error)
            posts = []
        organization = self._client.organization
        for post in posts:
            for page in range(MAX_PAGES):
                answer = self._client.comments(post, page * PAGE)
                calls += 1
                try:
                    comments = parse_comments(answer, post, organization, now)
                except MalformedPayload as error:
                    logger.warning("Skipped the comments on a LinkedIn post: %s", error)
                    break
                for event in comments:
                    if since.is_new(event):
                        found.append(event)
                        since.read(event)
                if len(answer.get("elements") or []) < PAGE:
                    break
        found.sort(key=lambda event: event.sent_at)
        return Read(found, since.place(), calls)
