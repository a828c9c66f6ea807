"""How the outbox's YouTube calls are made.

| call | YouTube |
| --- | --- |
| PUBLIC_REPLY (target: a top-level comment) | a reply in its thread |
| PUBLIC_POST (target: a video) | a new comment on the video |
| HIDE_COMMENT | held for review: out of public view, until published again |
| UNHIDE_COMMENT | published again (staff undid a hold) |
| DELETE_COMMENT | rejected: removed for good, with the replies under it |
| BLOCK_USER (target: one of the author's comments) | rejected, and its author banned |
"""

from __future__ import annotations

from datetime import datetime

from bot.events import Operation
from bot.outbox import Outbound, PlatformError
from bot.outbox_worker import Deliver
from bot.platforms.youtube.api import YouTubeClient
from bot.platforms.youtube.payloads import thread_of

STATUS = {
    Operation.HIDE_COMMENT: "heldForReview",
    Operation.UNHIDE_COMMENT: "published",
    Operation.DELETE_COMMENT: "rejected",
}


def youtube_deliverer(client: YouTubeClient) -> Deliver:
    """Makes the outbox's YouTube calls through `client`."""

    def deliver(message: Outbound, now: datetime) -> str:
        operation, target, text = message.operation, message.target, message.text or ""
        if operation is Operation.PUBLIC_REPLY:
            return client.reply(thread_of(target), text)
        if operation is Operation.PUBLIC_POST:
            return client.comment(target, text)
        if operation in STATUS:
            return client.moderate(target, STATUS[operation])
        if operation is Operation.BLOCK_USER:
            return client.moderate(target, "rejected", ban_author=True)
        raise PlatformError(f"{operation.value} is not a YouTube call", transient=False)

    return deliver
