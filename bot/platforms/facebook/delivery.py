"""How the outbox's Facebook calls are made, within Messenger's windows (P3, P12).

Messenger takes the assistant's replies for 24 hours after the user's last message,
and a person's for 7 days with the HUMAN_AGENT tag; past that a message is refused
for good and goes to the dead letters. The outbox knows nothing of this: it stores
who wrote a message and when the user last wrote, and this deliverer decides.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.events import Operation
from bot.outbox import Author, Outbound, PlatformError
from bot.outbox_worker import Deliver
from bot.platforms.facebook.graph_api import GraphClient

MESSENGER_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)


class OutsideWindow(PlatformError):
    """Messenger no longer allows this message: too long since the user wrote."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)


def messenger_tag(author: Author, user_message_at: datetime | None, now: datetime) -> str | None:
    """The Send API's terms for a message now: None for RESPONSE, or the message tag.

    The assistant answers inside 24 hours of the user's message; a person may answer
    for 7 days with the HUMAN_AGENT tag.

    Raises:
        OutsideWindow: Messenger would refuse the message.
    """
    age = now - user_message_at if user_message_at else timedelta(0)
    if age <= MESSENGER_WINDOW:
        return None
    if author is Author.STAFF and age <= HUMAN_AGENT_WINDOW:
        return "HUMAN_AGENT"
    limit = "7 days (HUMAN_AGENT)" if author is Author.STAFF else "24 hours"
    raise OutsideWindow(f"Messenger allows replies for {limit} after the user's last message")


def facebook_deliverer(client: GraphClient) -> Deliver:
    """Makes the outbox's Facebook calls through `client`."""

    def deliver(message: Outbound, now: datetime) -> str:
        operation, target, text = message.operation, message.target, message.text or ""
        if operation is Operation.MESSENGER_SEND:
            tag = messenger_tag(message.author, message.user_message_at, now)
            return client.send_message(target, text, tag)
        if operation is Operation.PRIVATE_REPLY:
            return client.private_reply(target, text)
        if operation is Operation.PUBLIC_REPLY:
            return client.public_reply(target, text)
        calls = {
            Operation.HIDE_COMMENT: client.hide_comment,
            Operation.UNHIDE_COMMENT: client.unhide_comment,
            Operation.DELETE_COMMENT: client.delete_comment,
            Operation.BLOCK_USER: client.block_user,
            Operation.UNBLOCK_USER: client.unblock_user,
        }
        if operation in calls:
            return calls[operation](target)
        raise PlatformError(f"{operation.value} is not a Facebook call", transient=False)

    return deliver
