"""Facebook page webhooks read into the messages the assistant answers (P5, P7).

Dropped here: Messenger echoes, delivery and read receipts, the page's own comments
and posts, and removals. Visitors' posts on the page and edited comments and posts are
read like new comments, so that everything public is screened.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any, Callable, Dict, Iterator, List

from bot.events import InboundEvent, Platform, Surface
from bot.platforms.payloads import (
    MalformedPayload,
    attachment_text,
    digest,
    from_millis,
    from_seconds,
    tolerating_odd_events,
)


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
    return tolerating_odd_events(
        (_facebook_events(entry, page_id, received_at) for entry in entries), "Facebook"
    )


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
    sent_at = from_millis(item.get("timestamp"), received_at)
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
        kind, event_id = "postback", postback.get("mid") or f"postback-{digest(item)}"
    else:
        return None  # delivery and read receipts, reactions, handover notices
    return InboundEvent(
        platform=Platform.FACEBOOK,
        kind="standby" if standby else kind,
        event_id=str(event_id),
        surface=Surface.PRIVATE,
        author_id=sender,
        text=text,
        sent_at=sent_at,
        attachment=attachment,
    )


# Messenger's attachment types, in the words a tenant would use.
MESSENGER_ATTACHMENTS = {"image": "photo", "video": "video", "audio": "voice note", "file": "file"}


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
        event_id = f"{object_id}:edited:{digest(value['message'])[:16]}"
    return InboundEvent(
        platform=Platform.FACEBOOK,
        kind=kind,
        event_id=event_id,
        surface=Surface.PUBLIC,
        author_id=author,
        text=value["message"],
        sent_at=from_seconds(value.get("created_time"), received_at),
        post_id=post_id,
        comment_id=object_id,
    )
