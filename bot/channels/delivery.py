"""Where a reply goes, and how the outbox makes each platform call.

No Rasa here: the connectors' output channel asks `reply_route` where to send a
reply, and the outbox worker calls the platform through `facebook_deliverer` or
`twitter_deliverer`.
"""

from __future__ import annotations

from datetime import datetime

from bot.channels.graph_api import GraphClient
from bot.channels.platform_http import PlatformError
from bot.channels.x_api import XClient
from bot.events import InboundEvent
from bot.outbox import Deliver, Operation, Outbound, messenger_tag


def reply_route(event: InboundEvent) -> tuple[Operation, str] | None:
    """The call that answers `event`, and its target; None when no reply may be sent.

    A message in standby belongs to another app (a person has the thread): the
    assistant keeps it in the conversation and does not answer.
    """
    if event.kind == "standby":
        return None
    if event.platform == "facebook":
        if event.surface == "public":
            return Operation.PUBLIC_REPLY, str(event.comment_id)
        return Operation.MESSENGER_SEND, event.author_id
    if event.surface == "public":
        return Operation.X_REPLY, str(event.tweet_id)
    return Operation.X_DM, event.author_id


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


def twitter_deliverer(client: XClient) -> Deliver:
    """Makes the outbox's X calls through `client`."""

    def deliver(message: Outbound, now: datetime) -> str:
        operation, target, text = message.operation, message.target, message.text or ""
        if operation is Operation.X_DM:
            return client.send_dm(target, text)
        if operation is Operation.X_REPLY:
            return client.reply(target, text)
        calls = {
            Operation.X_HIDE_REPLY: client.hide_reply,
            Operation.X_UNHIDE_REPLY: client.unhide_reply,
            Operation.X_BLOCK: client.block,
            Operation.X_UNBLOCK: client.unblock,
            Operation.X_FOLLOW: client.follow,
            Operation.X_UNFOLLOW: client.unfollow,
            Operation.X_REPORT_SPAM: client.report_spam,
        }
        if operation in calls:
            return calls[operation](target)
        raise PlatformError(f"{operation.value} is not an X call", transient=False)

    return deliver
