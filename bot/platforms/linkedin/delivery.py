"""How the outbox's LinkedIn calls are made.

| call | LinkedIn |
| --- | --- |
| PUBLIC_REPLY (target: a comment's URN) | a reply to the comment |
| PUBLIC_POST (target: a post's URN) | a comment on the post |
| DELETE_COMMENT (target: a comment's URN) | the comment deleted |
"""

from __future__ import annotations

from datetime import datetime

from bot.events import Operation
from bot.outbox import Outbound, PlatformError
from bot.outbox_worker import Deliver
from bot.platforms.linkedin.api import LinkedInClient


def linkedin_deliverer(client: LinkedInClient) -> Deliver:
    """Makes the outbox's LinkedIn calls through `client`."""

    def deliver(message: Outbound, now: datetime) -> str:
        operation, target, text = message.operation, message.target, message.text or ""
        try:
            if operation is Operation.PUBLIC_REPLY:
                return client.reply(target, text)
            if operation is Operation.PUBLIC_POST:
                return client.comment(target, text)
            if operation is Operation.DELETE_COMMENT:
                return client.delete(target)
        except ValueError as error:  # a target that is no comment's URN
            raise PlatformError(str(error), transient=False) from None
        raise PlatformError(f"{operation.value} is not a LinkedIn call", transient=False)

    return deliver
