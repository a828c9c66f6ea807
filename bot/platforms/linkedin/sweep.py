"""Every comment on the organization's posts, for the retention sweep (P10): those the
assistant never saw (written before it ran, or while neither webhook nor poller read
them) are noted, and removed once older than LinkedIn's retention period.

Calls: the posts, 100 a page (`GET /posts?q=author&start=`); each post's comments, 100
a page; and each comment's replies (`GET /socialActions/<comment>/comments`) where its
`commentsSummary` counts some or says nothing. A page with 100 posts and 5 comments on
each is at most about 600 calls, once a day (bot.channels.runtime.SWEEP_EVERY). At most
MAX_PAGES pages of each listing are read.
"""

from __future__ import annotations

import logging
from typing import Iterator

from bot.outbox import PlatformError
from bot.platforms.linkedin.api import PAGE, LinkedInClient
from bot.platforms.linkedin.payloads import post_urns, seen_comments
from bot.platforms.payloads import MalformedPayload, SeenComment

logger = logging.getLogger(__name__)
MAX_PAGES = 50


def organization_comments(client: LinkedInClient) -> Iterator[SeenComment]:
    """Every comment and reply on the organization's posts, its own marked `by_page`.

    Raises:
        PlatformError: a listing could not be read.
    """
    for page in range(MAX_PAGES):
        answer = client.posts(PAGE, page * PAGE)
        try:
            posts = post_urns(answer)
        except MalformedPayload as error:
            logger.warning("Could not read the LinkedIn page's posts: %s", error)
            return
        for post in posts:
            try:
                yield from _post(client, post)
            except PlatformError as error:
                if error.transient:
                    raise  # LinkedIn is struggling (or the day's calls are spent): later
                # One post refused (deleted meanwhile, say): the others are still read.
                logger.warning("Could not list the comments on LinkedIn post %s: %s", post, error)
        if len(answer.get("elements") or []) < PAGE:
            return


def _post(client: LinkedInClient, post: str) -> Iterator[SeenComment]:
    """The comments on `post`, each followed by its replies where it may have some."""
    for comment, may_have_replies in _comments(client, post, post):
        yield comment
        if may_have_replies:
            for reply, _ in _comments(client, comment.comment_id, post):
                yield reply


def _comments(client: LinkedInClient, on: str, post: str):
    """The comments on `on` (a post, or a comment for its replies), page by page."""
    organization = client.organization
    for page in range(MAX_PAGES):
        answer = client.comments(on, page * PAGE)
        try:
            yield from seen_comments(answer, post, organization)
        except MalformedPayload as error:
            logger.warning("Skipped the comments on a LinkedIn post: %s", error)
            return
        if len(answer.get("elements") or []) < PAGE:
            return
