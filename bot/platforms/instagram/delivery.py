"""How the outbox's Instagram calls are made, within Meta's windows (P3, P12).

Direct messages keep Messenger's windows (bot.platforms.meta): the assistant's inside
24 hours of the tenant's last message, a person's for 7 days with the HUMAN_AGENT tag.
A private reply to a comment may be sent within 7 days of the comment, and once: the
outbox sends each call once, and screening asks for one per comment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.events import Operation
from bot.outbox import Outbound, PlatformError
from bot.outbox_worker import Deliver
from bot.platforms.instagram.api import InstagramClient
from bot.platforms.meta import OutsideWindow, messenger_tag

PRIVATE_REPLY_WINDOW = timedelta(days=7)


def instagram_deliverer(client: InstagramClient) -> Deliver:
    """Makes the outbox's Instagram calls through `client`."""

    def deliver(message: Outbound, now: datetime) -> str:
        operation, target, text = message.operation, message.target, message.text or ""
        if operation is Operation.MESSENGER_SEND:
            tag = messenger_tag(message.author, message.user_message_at, now)
            return client.send_message(target, text, tag)
        if operation is Operation.PRIVATE_REPLY:
            written = message.user_message_at
            if written is not None and now - written > PRIVATE_REPLY_WINDOW:
                raise OutsideWindow("Instagram allows a private reply within 7 days of a comment")
            return client.private_reply(target, text)
        if operation is Operation.PUBLIC_REPLY:
            return client.public_reply(target, text)
        calls = {
            Operation.HIDE_COMMENT: client.hide_comment,
            Operation.UNHIDE_COMMENT: client.unhide_comment,
            Operation.DELETE_COMMENT: client.delete_comment,
        }
        if operation in calls:
            return calls[operation](target)
        raise PlatformError(f"{operation.value} is not an Instagram call", transient=False)

    return deliver
