"""What the latest message's metadata says about where it came from.

The connectors mark every message with its platform, surface (`public` or `private`),
post or comment id and author id. A message from any other channel (the REST channel
for local chat) is a private chat with no platform account, whatever its metadata
says. Actions read these through `message_context` only.
"""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.events import Platform, Surface
from bot.handoff.handoffs import Conversation
from bot.tenancy.identity import Account

# The channels whose messages only a platform connector writes (bot/channels/).
PLATFORM_CHANNELS = tuple(p for p in Platform if p is not Platform.REST)


def message_context(tracker: Tracker) -> Conversation:
    """The conversation and its author, as the latest message's metadata describes them."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    # The channel the message came in through names the platform: a message posted to
    # the REST channel cannot pass itself off as a Facebook or X account's, nor name
    # a surface or an author.
    platform = Platform.named(tracker.get_latest_input_channel() or metadata.get("platform"))
    if platform not in PLATFORM_CHANNELS:
        return Conversation(conversation_id=tracker.sender_id)
    return Conversation(
        conversation_id=tracker.sender_id,
        platform=platform,
        surface=Surface.read(metadata.get("surface")),
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
