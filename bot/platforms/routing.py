"""Where a reply to an inbound message goes: the outbox call and its target.

No Rasa here: the connectors' output channel and screening ask `reply_route` where
to send a reply; the outbox worker then calls the platform through its deliverer
(bot/platforms/<name>/delivery.py).
"""

from __future__ import annotations

from bot.events import InboundEvent, Operation, Platform, Surface


def reply_route(event: InboundEvent) -> tuple[Operation, str] | None:
    """The call that answers `event`, and its target; None when no reply may be sent.

    A message in standby belongs to another app (a person has the thread): the
    assistant keeps it in the conversation and does not answer.
    """
    if event.kind == "standby":
        return None
    if event.platform is Platform.FACEBOOK:
        if event.surface is Surface.PUBLIC:
            return Operation.PUBLIC_REPLY, str(event.comment_id)
        return Operation.MESSENGER_SEND, event.author_id
    if event.surface is Surface.PUBLIC:
        return Operation.X_REPLY, str(event.tweet_id)
    return Operation.X_DM, event.author_id
