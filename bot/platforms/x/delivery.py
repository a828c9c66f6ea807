"""How the outbox's X calls are made (P7, P12)."""

from __future__ import annotations

from datetime import datetime

from bot.events import Operation
from bot.outbox import Outbound, PlatformError
from bot.outbox_worker import Deliver, Lately
from bot.platforms.x.api import XClient


def twitter_deliverer(client: XClient) -> Deliver:
    """Makes the outbox's X calls through `client`."""

    def deliver(message: Outbound, now: datetime) -> str:
        operation, target, text = message.operation, message.target, message.text or ""
        if operation is Operation.X_DM:
            return client.send_dm(target, text)
        if operation is Operation.X_REPLY:
            return client.reply(target, text)
        if operation is Operation.PUBLIC_POST:
            return client.post(text)
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


def twitter_lately(client: XClient) -> Lately:
    """What the account sent lately where a message in doubt goes: direct messages can
    be read back; a public reply cannot be told apart, and is sent again."""

    def lately(message: Outbound) -> list:
        if message.operation is Operation.X_DM:
            return client.sent_dms(message.target)
        return []

    return lately
