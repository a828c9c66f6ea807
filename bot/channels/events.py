"""Webhook payloads of Facebook and X, read into the messages the assistant answers.

Every entry and every event of a batch is read. What no one needs answering is
dropped here: Messenger echoes, delivery and read receipts, the page's own comments
and posts, removals, the X account's own messages and tweets, and retweets. Visitors'
posts on the page and edited comments and posts are read like new comments, so that
everything public is screened (P5, P7).

Conversations: a private conversation per platform account; a public one per account
per platform, whose messages carry the comment or tweet they answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any, Callable, Dict, Iterable, Iterator, List

logger = logging.getLogger(__name__)


class MalformedPayload(ValueError):
    """A webhook body that is not what the platform sends."""


@dataclass(frozen=True)
class InboundEvent:
    """One message to the assistant, from any platform and surface."""

    platform: str  # "facebook" or "twitter"
    # "message", "postback", "standby", "comment", "post" (a visitor's, on the page),
    # "edited_comment", "edited_post", "direct_message", "mention"
    kind: str
    event_id: str  # the platform's id: de-duplicates redeliveries
    surface: str  # "private" or "public"
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

    @property
    def conversation_id(self) -> str:
        """The Rasa conversation the message belongs to."""
        return f"{self.platform}-{self.surface}-{self.author_id}"

    def metadata(self) -> Dict[str, Any]:
        """What travels with the message to Rasa and the actions."""
        return {
            "platform": self.platform,
            "surface": self.surface,
            "author_id": self.author_id,
            "event_id": self.event_id,
            "kind": self.kind,
            "post_id": self.post_id,
            "comment_id": self.comment_id,
            "tweet_id": self.tweet_id,
            "attachment": self.attachment,
        }

    def as_dict(self) -> Dict[str, Any]:
        """The event as JSON can hold it."""
        return {**asdict(self), "sent_at": self.sent_at.isoformat()}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> InboundEvent:
        """The event `as_dict` wrote."""
        return cls(**{**data, "sent_at": datetime.fromisoformat(data["sent_at"])})


def parse_facebook(payload: Any, page_id: str, received_at: datetime) -> List[InboundEvent]:
    """Every message in a Facebook page webhook, in the order sent.

    `received_at` stands in for a time the payload does not give.

    Raises:
        MalformedPayload: `payload` is not a page webhook.
    """
    if not isinstance(payload, dict) or payload.get("object") != "page":
        raise MalformedPayload("not a page webhook: 'object' must be 'page'")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise MalformedPayload("'entry' must be a list")
    return _tolerating_odd_events(
        (_facebook_events(entry, page_id, received_at) for entry in entries), "Facebook"
    )


def _tolerating_odd_events(groups: Iterable[Iterable[Callable[[], Any]]], platform: str) -> list:
    """The events that read well; one odd event does not cost the others in its batch.

    An event that will never read well is logged and skipped (a redelivery would be
    just as odd); a batch of nothing but odd events is malformed.
    """
    events, odd, error = [], 0, None
    for group in groups:
        try:
            readers = list(group)
        except (KeyError, TypeError, AttributeError) as problem:
            odd, error = odd + 1, problem
            continue
        for read in readers:
            try:
                event = read()
            except (KeyError, TypeError, AttributeError) as problem:
                odd, error = odd + 1, problem
                continue
            if event is not None:
                events.append(event)
    if odd:
        logger.warning("Skipped %d %s event(s) of an unexpected shape: %r", odd, platform, error)
        if not events:
            raise MalformedPayload(f"unexpected shape: {error!r}")
    return events


def _facebook_events(
    entry: Dict[str, Any], page_id: str, received_at: datetime
) -> Iterator[Callable[[], InboundEvent | None]]:
    for key in ("messaging", "standby"):
        for item in entry.get(key) or []:
            yield partial(_messenger_event, item, page_id, key == "standby", received_at)
    for change in entry.get("changes") or []:
        yield partial(_feed_item, change, page_id, received_at)


def _messenger_event(
    item: Dict[str, Any], page_id: str, standby: bool, received_at: datetime
) -> InboundEvent | None:
    sender = str(item["sender"]["id"])
    sent_at = _from_millis(item.get("timestamp"), received_at)
    message, postback = item.get("message"), item.get("postback")
    if sender == page_id:
        return None
    attachment = None
    if message is not None:
        if message.get("is_echo"):
            return None  # the page's own
        text, kind, event_id = message.get("text"), "message", message["mid"]
        if not text:
            # A photo, video, voice note, sticker or file alone is still a message (P12).
            attachment = _messenger_attachment(message)
            if attachment is None:
                return None
            text = attachment_text(attachment)
    elif postback is not None:
        payload = postback.get("payload") or ""
        text = payload if payload.startswith("/") else postback.get("title") or payload
        # Without a mid, the event's own content names it, the same on every redelivery.
        kind, event_id = "postback", postback.get("mid") or f"postback-{_digest(item)}"
    else:
        return None  # delivery and read receipts, reactions, handover notices
    return InboundEvent(
        platform="facebook",
        kind="standby" if standby else kind,
        event_id=str(event_id),
        surface="private",
        author_id=sender,
        text=text,
        sent_at=sent_at,
        attachment=attachment,
    )


# Messenger's attachment types, in the words a tenant would use.
MESSENGER_ATTACHMENTS = {"image": "photo", "video": "video", "audio": "voice note", "file": "file"}
X_MEDIA = {"photo": "photo", "video": "video", "animated_gif": "video"}


def attachment_text(attachment: str) -> str:
    """What a message that carried only `attachment` reads as in its conversation."""
    return f"[sent a {attachment}]"


def _messenger_attachment(message: Dict[str, Any]) -> str | None:
    """What a Messenger message without text carried, or None if nothing."""
    attachments = message.get("attachments") or []
    if message.get("sticker_id"):
        return "sticker"
    for item in attachments:
        if (item.get("payload") or {}).get("sticker_id"):
            return "sticker"
    for item in attachments:
        if item.get("type") in MESSENGER_ATTACHMENTS:
            return MESSENGER_ATTACHMENTS[item["type"]]
    return "attachment" if attachments else None


# What a visitor may put on the page's feed as a post of their own (P5, P7).
_FEED_POSTS = frozenset({"post", "status", "photo", "video", "share", "link"})
# Facebook says "edited", and for some visitor posts "edit".
_EDITED = frozenset({"edited", "edit"})


def _feed_item(change: Dict[str, Any], page_id: str, received_at: datetime) -> InboundEvent | None:
    """A comment, or a visitor's post on the page, new or edited; None for anything else.

    An edit is a new version to screen, so its id names the version (the object's id
    and a digest of its new text), the same on every redelivery of that edit.
    """
    if change.get("field") != "feed":
        return None
    value = change["value"]
    item, verb = value.get("item"), value.get("verb")
    if item != "comment" and item not in _FEED_POSTS:
        return None
    if verb != "add" and verb not in _EDITED:
        return None  # removals, hides, reactions
    author = str(value["from"]["id"])
    if author == page_id or not value.get("message"):
        return None
    post_id = str(value["post_id"])
    # A post is hidden, deleted and answered by its own id, as a comment is.
    object_id = str(value["comment_id"]) if item == "comment" else post_id
    kind = "comment" if item == "comment" else "post"
    event_id = object_id
    if verb in _EDITED:
        kind = f"edited_{kind}"
        event_id = f"{object_id}:edited:{_digest(value['message'])[:16]}"
    return InboundEvent(
        platform="facebook",
        kind=kind,
        event_id=event_id,
        surface="public",
        author_id=author,
        text=value["message"],
        sent_at=_from_seconds(value.get("created_time"), received_at),
        post_id=post_id,
        comment_id=object_id,
    )


def parse_twitter(payload: Any, received_at: datetime) -> List[InboundEvent]:
    """Every direct message and mention in an X Account Activity webhook.

    `received_at` stands in for a time the payload does not give.

    Raises:
        MalformedPayload: `payload` is not an Account Activity event.
    """
    if not isinstance(payload, dict) or "for_user_id" not in payload:
        raise MalformedPayload("not an Account Activity event: no 'for_user_id'")
    account = str(payload["for_user_id"])
    direct_messages = payload.get("direct_message_events") or []
    mentions = payload.get("tweet_create_events") or []
    if not isinstance(direct_messages, list) or not isinstance(mentions, list):
        raise MalformedPayload("the event lists must be lists")
    readers = [partial(_direct_message, item, account, received_at) for item in direct_messages]
    readers += [partial(_mention, item, account, received_at) for item in mentions]
    return _tolerating_odd_events([readers], "X")


def _direct_message(
    item: Dict[str, Any], account: str, received_at: datetime
) -> InboundEvent | None:
    if item.get("type") != "message_create":
        return None
    created = item["message_create"]
    sender = str(created["sender_id"])
    if sender == account:
        return None
    data = created["message_data"]
    text, attachment = data.get("text") or "", None
    media = (data.get("attachment") or {}).get("media")
    if media is not None:
        # X puts a t.co link to the media in the text; alone, it is no words at all.
        text = text.replace(media.get("url") or "\0", "").strip()
        if not text:
            attachment = X_MEDIA.get(media.get("type"), "attachment")
            text = attachment_text(attachment)
    if not text:
        return None
    return InboundEvent(
        platform="twitter",
        kind="direct_message",
        event_id=str(item["id"]),
        surface="private",
        author_id=sender,
        text=text,
        sent_at=_from_millis(item.get("created_timestamp"), received_at),
        attachment=attachment,
    )


LEADING_MENTIONS = re.compile(r"^(?:@\w+\s*)+")


def _mention(tweet: Dict[str, Any], account: str, received_at: datetime) -> InboundEvent | None:
    author = str(tweet["user"]["id_str"])
    if author == account or "retweeted_status" in tweet:
        return None
    extended = tweet.get("extended_tweet") or {}
    text = extended.get("full_text") or tweet.get("text") or ""
    # X shortens every link to t.co; moderation judges the address it stands for.
    entities = extended.get("entities") or tweet.get("entities") or {}
    for url in entities.get("urls") or []:
        if url.get("url") and url.get("expanded_url"):
            text = text.replace(url["url"], url["expanded_url"])
    tweet_id = str(tweet["id_str"])
    return InboundEvent(
        platform="twitter",
        kind="mention",
        event_id=tweet_id,
        surface="public",
        author_id=author,
        text=LEADING_MENTIONS.sub("", text).strip() or text,
        sent_at=_from_millis(tweet.get("timestamp_ms"), received_at),
        tweet_id=tweet_id,
        reply_to_account=str(tweet.get("in_reply_to_user_id_str") or "") == account,
    )


def _digest(item: Any) -> str:
    return hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()[:32]


def _from_millis(value: Any, fallback: datetime) -> datetime:
    # A time beyond what the clock can show (OSError) is no time: the message is kept.
    try:
        return datetime.fromtimestamp(int(value) / 1000, timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return fallback


def _from_seconds(value: Any, fallback: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return fallback
