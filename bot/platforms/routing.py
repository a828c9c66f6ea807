"""Where a reply to an inbound message goes: the outbox call and its target.

No Rasa here: the connectors' output channel and screening ask `reply_route` where
to send a reply; the outbox worker then calls the platform through its deliverer
(bot/platforms/<name>/delivery.py). Each platform's kit says where (bot.platforms.kit).
"""

from __future__ import annotations

from bot.events import InboundEvent, Operation
from bot.platforms.registry import kit_for


def reply_route(event: InboundEvent) -> tuple[Operation, str] | None:
    """The call that answers `event`, and its target; None when no reply may be sent.

    A message in standby belongs to another app (a person has the thread): the
    assistant keeps it in the conversation and does not answer.
    """
    kit = kit_for(event.platform)
    if event.kind == "standby" or kit is None:
        return None
    return kit.reply_route(event)
