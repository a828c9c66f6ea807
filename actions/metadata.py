"""What the latest message's metadata says about where it came from.

The connectors mark every message with its platform, surface (`public` or `private`),
post or comment id and author id; the REST channel sends none and is a private chat.
Actions read these through `message_context` only.
"""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.handoff import Conversation
from bot.identity import Account


def message_context(tracker: Tracker) -> Conversation:
    """The conversation and its author, as the latest message's metadata describes them."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    surface = metadata.get("surface")
    # The channel the message came in through names the platform: a message posted to
    # the REST channel cannot pass itself off as a Facebook or X account's.
    channel = tracker.get_latest_input_channel()
    return Conversation(
        conversation_id=tracker.sender_id,
        platform=str(channel or metadata.get("platform") or "rest"),
        surface="public" if surface == "public" else "private",
        platform_user_id=metadata.get("author_id"),
    )


def sender_account(conversation: Conversation) -> Account:
    """The platform account that sent the message.

    The REST channel names no author: its conversation id stands for the sender.
    """
    return Account(
        platform=conversation.platform,
        user_id=conversation.platform_user_id or conversation.conversation_id,
    )
