"""How the outbox's Facebook calls are made, within Messenger's windows (P3, P12;
bot.platforms.meta)."""

from __future__ import annotations

from datetime import datetime

from bot.events import Operation
from bot.outbox import Outbound, PlatformError
from bot.outbox_worker import Deliver, Lately
from bot.platforms.facebook.graph_api import GraphClient
from bot.platforms.meta import OutsideWindow, messenger_tag

__all__ = ["OutsideWindow", "facebook_deliverer", "facebook_lately", "messenger_tag"]


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
        if operation is Operation.PUBLIC_POST:
            return client.post_to_page(target, text)
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


def facebook_lately(client: GraphClient) -> Lately:
    """What the page sent lately where a message in doubt goes: Messenger conversations
    can be read back; a comment reply cannot be told apart, and is sent again."""

    def lately(message: Outbound) -> list:
        if message.operation is Operation.MESSENGER_SEND:
            return client.sent_in_messenger(message.target)
        return []

    return lately
