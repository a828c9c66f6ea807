"""Instagram webhooks read into the messages the assistant answers (P5, P7).

Meta sends Instagram's events to a webhook of their own, signed as Facebook's are
(`X-Hub-Signature-256`, with the Meta app's secret): `object` is "instagram", each
entry is one professional account's, and holds

- `messaging`: direct messages, as Messenger's (sender, recipient, timestamp in
  milliseconds, `message` with `mid`, `text`, `attachments`, `is_echo`, `is_deleted`);
- `changes` with `field` "comments" (or "live_comments"): a comment on the account's
  media, its `value` holding the comment's `id`, `text`, `from` (`id`: the commenter's
  Instagram-scoped id, the same id their direct messages come from; `username`),
  `media` (`id`, `media_product_type`) and, for a reply, `parent_id`.

Dropped here: echoes of the account's own messages, deleted messages, read receipts
and reactions, the account's own comments, and other fields (mentions, story insights).
Instagram comments cannot be edited, so there are no edits to read.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any, Callable, Dict, Iterator, List

from bot.events import InboundEvent, Platform, Surface
from bot.platforms.payloads import (
    MalformedPayload,
    attachment_text,
    from_millis,
    from_seconds,
    tolerating_odd_events,
)

COMMENT_FIELDS = frozenset({"comments", "live_comments"})
# Instagram's attachment types, in the words a tenant would use.
ATTACHMENTS = {
    "image": "photo",
    "video": "video",
    "audio": "voice note",
    "file": "file",
    "ig_reel": "video",
    "reel": "video",
    "story_mention": "story mention",
    "share": "shared post",
}


def parse_instagram(payload: Any, account_id: str, received_at: datetime) -> List[InboundEvent]:
    """Every message in an Instagram webhook, in the order sent.

    `received_at` stands in for a time the payload does not give.

    Raises:
        MalformedPayload: `payload` is not an Instagram webhook.
    """
    if not isinstance(payload, dict) or payload.get("object") != "instagram":
        raise MalformedPayload("not an Instagram webhook: 'object' must be 'instagram'")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise MalformedPayload("'entry' must be a list")
    return tolerating_odd_events(
        (_events(entry, account_id, received_at) for entry in entries), "Instagram"
    )


def _events(
    entry: Dict[str, Any], account_id: str, received_at: datetime
) -> Iterator[Callable[[], InboundEvent | None]]:
    sent = _entry_time(entry.get("time"), received_at)
    for item in entry.get("messaging") or []:
        yield partial(_direct_message, item, account_id, received_at)
    for change in entry.get("changes") or []:
        yield partial(_comment, change, account_id, sent)


def _entry_time(value: Any, received_at: datetime) -> datetime:
    """When Meta sent the entry: Instagram's examples give seconds, Messenger's
    milliseconds; a number past the year 5000 in seconds is read as milliseconds."""
    if isinstance(value, (int, float)) and value > 10**11:
        return from_millis(value, received_at)
    return from_seconds(value, received_at)


def _direct_message(item: Dict[str, Any], account_id: str, received_at: datetime):
    sender = str(item["sender"]["id"])
    message = item.get("message")
    if sender == account_id or message is None:
        return None  # the account's own, receipts, reactions, postbacks
    if message.get("is_echo") or message.get("is_deleted"):
        return None
    text, attachment = message.get("text"), None
    if not text:
        # A photo, reel, voice note or story mention alone is still a message (P12).
        attachment = _attachment(message)
        if attachment is None:
            return None
        text = attachment_text(attachment)
    return InboundEvent(
        platform=Platform.INSTAGRAM,
        kind="message",
        event_id=str(message["mid"]),
        surface=Surface.PRIVATE,
        author_id=sender,
        text=text,
        sent_at=from_millis(item.get("timestamp"), received_at),
        attachment=attachment,
    )


def _attachment(message: Dict[str, Any]) -> str | None:
    attachments = message.get("attachments") or []
    for item in attachments:
        if item.get("type") in ATTACHMENTS:
            return ATTACHMENTS[item["type"]]
    return "attachment" if attachments else None


def _comment(change: Dict[str, Any], account_id: str, sent_at: datetime) -> InboundEvent | None:
    if change.get("field") not in COMMENT_FIELDS:
        return None
    value = change["value"]
    author = str(value["from"]["id"])
    text = value.get("text")
    if author == account_id or not text:
        return None  # the account's own replies come back as comments too
    return InboundEvent(
        platform=Platform.INSTAGRAM,
        kind="comment",
        event_id=str(value["id"]),
        surface=Surface.PUBLIC,
        author_id=author,
        text=text,
        sent_at=sent_at,
        post_id=str(value["media"]["id"]),
        comment_id=str(value["id"]),
    )
