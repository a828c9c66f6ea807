"""X Account Activity webhooks read into the messages the assistant answers (P5, P7).

Dropped here: the account's own messages and tweets, and retweets.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial
from typing import Any, Dict, List

from bot.events import InboundEvent, Platform, Surface
from bot.platforms.payloads import (
    MalformedPayload,
    attachment_text,
    from_millis,
    tolerating_odd_events,
)

X_MEDIA = {"photo": "photo", "video": "video", "animated_gif": "video"}


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
    return tolerating_odd_events([readers], "X")


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
        platform=Platform.TWITTER,
        kind="direct_message",
        event_id=str(item["id"]),
        surface=Surface.PRIVATE,
        author_id=sender,
        text=text,
        sent_at=from_millis(item.get("created_timestamp"), received_at),
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
        platform=Platform.TWITTER,
        kind="mention",
        event_id=tweet_id,
        surface=Surface.PUBLIC,
        author_id=author,
        text=LEADING_MENTIONS.sub("", text).strip() or text,
        sent_at=from_millis(tweet.get("timestamp_ms"), received_at),
        tweet_id=tweet_id,
        reply_to_account=str(tweet.get("in_reply_to_user_id_str") or "") == account,
    )
