"""The types every layer shares: one inbound message, the platforms and surfaces, and
the platform calls (`Operation`) the outbox stores and each platform's delivery makes.

An `InboundEvent` is what a platform connector reads from a webhook (bot/platforms/)
and what intake stores, screening judges and the dialogue answers. Conversations: a
private conversation per platform account; a public one per account per platform,
whose messages carry the comment or tweet they answer (P4, P5, P6).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Dict


class Platform(str, Enum):
    """A platform the association's accounts are on, as named in conversations."""

    FACEBOOK = "facebook"
    TWITTER = "twitter"
    INSTAGRAM = "instagram"
    YOUTUBE = "youtube"
    LINKEDIN = "linkedin"
    # The local REST channel (make chat, the tests): it carries no platform account.
    REST = "rest"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def named(cls, name: object) -> Platform | None:
        """The platform called `name` (a Rasa input channel's name), or None."""
        try:
            return cls(name)
        except ValueError:
            return None


class Surface(str, Enum):
    """Where a message was written: in public (a comment, a mention) or in private."""

    PUBLIC = "public"
    PRIVATE = "private"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def read(cls, name: object) -> Surface:
        """The surface a message's metadata names: public only when it says so."""
        return cls.PUBLIC if name == cls.PUBLIC.value else cls.PRIVATE


class Operation(str, Enum):
    """The platform calls the assistant and staff make."""

    MESSENGER_SEND = "messenger_send"
    PRIVATE_REPLY = "private_reply"
    PUBLIC_REPLY = "public_reply"
    # A new public post or comment of the account's own: a comment where the post
    # cannot carry a reply (YouTube: a reply under a comment taken down is taken down
    # with it), a post on the Facebook page's feed or a tweet (a service alert).
    PUBLIC_POST = "public_post"
    HIDE_COMMENT = "hide_comment"
    UNHIDE_COMMENT = "unhide_comment"
    DELETE_COMMENT = "delete_comment"
    BLOCK_USER = "block_user"
    UNBLOCK_USER = "unblock_user"
    X_DM = "x_dm"
    X_REPLY = "x_reply"
    X_HIDE_REPLY = "x_hide_reply"
    X_UNHIDE_REPLY = "x_unhide_reply"
    X_BLOCK = "x_block"
    X_UNBLOCK = "x_unblock"
    X_FOLLOW = "x_follow"
    X_UNFOLLOW = "x_unfollow"
    X_REPORT_SPAM = "x_report_spam"
    # Staff alerts (bot/alerts/): an email, and a post to a chat webhook.
    ALERT_EMAIL = "alert_email"
    ALERT_WEBHOOK = "alert_webhook"


@dataclass(frozen=True)
class InboundEvent:
    """One message to the assistant, from any platform and surface."""

    platform: Platform
    # "message", "postback", "standby", "comment", "post" (a visitor's, on the page),
    # "edited_comment", "edited_post", "direct_message", "mention"
    kind: str
    event_id: str  # the platform's id: de-duplicates redeliveries
    surface: Surface
    author_id: str
    text: str
    sent_at: datetime
    post_id: str | None = None
    comment_id: str | None = None
    tweet_id: str | None = None
    # X: a reply to one of the account's own posts, which the account may hide.
    reply_to_account: bool = False
    # What a message with no words carried: "photo", "video", "voice note", "sticker",
    # "file" or "attachment"; its text then says so, for staff reading the conversation.
    attachment: str | None = None
    # The name the author shows in public, where a reply must name them to reach them
    # (YouTube's "@handle"); None where the platform's replies reach them anyway.
    author_name: str | None = None
    # The comment a reply is under, where its own id does not say (LinkedIn): an answer
    # goes under that comment, as the platform nests replies one level deep.
    parent_id: str | None = None

    def __post_init__(self) -> None:
        # Stored events and tests give plain strings; the enums are what code compares.
        object.__setattr__(self, "platform", Platform(self.platform))
        object.__setattr__(self, "surface", Surface(self.surface))

    @property
    def conversation_id(self) -> str:
        """The Rasa conversation the message belongs to."""
        return f"{self.platform.value}-{self.surface.value}-{self.author_id}"

    def metadata(self) -> Dict[str, Any]:
        """What travels with the message to Rasa and the actions."""
        return {
            "platform": self.platform.value,
            "surface": self.surface.value,
            "author_id": self.author_id,
            "event_id": self.event_id,
            "kind": self.kind,
            "post_id": self.post_id,
            "comment_id": self.comment_id,
            "parent_id": self.parent_id,
            "tweet_id": self.tweet_id,
            "attachment": self.attachment,
        }

    def as_dict(self) -> Dict[str, Any]:
        """The event as JSON can hold it."""
        return {
            **asdict(self),
            "platform": self.platform.value,
            "surface": self.surface.value,
            "sent_at": self.sent_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> InboundEvent:
        """The event `as_dict` wrote."""
        return cls(**{**data, "sent_at": datetime.fromisoformat(data["sent_at"])})
