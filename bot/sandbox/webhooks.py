"""Webhook bodies as the platforms send them: Meta's Messenger and page feed webhooks,
and X's Account Activity API.

One copy for the sandbox (bot/sandbox/sender.py signs and posts them to the Rasa
server's real webhooks), the simulator (scripts/simulate.py) and the tests.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List


def messenger_message(page_id: str, psid: str, text: str, mid: str, millis: int) -> dict:
    """One Messenger message event."""
    return {
        "sender": {"id": psid},
        "recipient": {"id": page_id},
        "timestamp": millis,
        "message": {"mid": mid, "text": text},
    }


def facebook_webhook(
    page_id: str, messaging: List[dict] = (), changes: List[dict] = (), standby: List[dict] = ()
) -> dict:
    """A page webhook with one entry."""
    entry: Dict[str, Any] = {"id": page_id, "time": int(time.time() * 1000)}
    if messaging:
        entry["messaging"] = list(messaging)
    if changes:
        entry["changes"] = list(changes)
    if standby:
        entry["standby"] = list(standby)
    return {"object": "page", "entry": [entry]}


def page_comment(
    author_id: str,
    text: str,
    comment_id: str,
    post_id: str,
    created_time: int | None = None,
    verb: str = "add",
) -> dict:
    """One `feed` change: a comment added to one of the page's posts ("edited": changed)."""
    return {
        "field": "feed",
        "value": {
            "from": {"id": author_id, "name": "A Tenant"},
            "item": "comment",
            "verb": verb,
            "comment_id": comment_id,
            "post_id": post_id,
            "parent_id": post_id,
            "message": text,
            "created_time": int(time.time()) if created_time is None else created_time,
        },
    }


def page_post(
    author_id: str, text: str, post_id: str, created_time: int | None = None, verb: str = "add"
) -> dict:
    """One `feed` change: a visitor's post on the page ("edited": changed)."""
    return {
        "field": "feed",
        "value": {
            "from": {"id": author_id, "name": "A Visitor"},
            "item": "status",
            "verb": verb,
            "post_id": post_id,
            "published": 1,
            "message": text,
            "created_time": int(time.time()) if created_time is None else created_time,
        },
    }


def x_direct_message(for_user_id: str, sender_id: str, text: str, event_id: str) -> dict:
    """An Account Activity webhook with one direct message."""
    return {
        "for_user_id": for_user_id,
        "direct_message_events": [
            {
                "type": "message_create",
                "id": event_id,
                "created_timestamp": str(int(time.time() * 1000)),
                "message_create": {
                    "target": {"recipient_id": for_user_id},
                    "sender_id": sender_id,
                    "message_data": {"text": text, "entities": {}},
                },
            }
        ],
    }


def x_mention(
    for_user_id: str, author_id: str, text: str, tweet_id: str, in_reply_to: str | None = None
) -> dict:
    """An Account Activity webhook with one tweet that mentions the account.

    `in_reply_to` makes it a reply to that user's tweet (the account's: one it may hide).
    """
    tweet: Dict[str, Any] = {
        "id_str": tweet_id,
        "text": text,
        "timestamp_ms": str(int(time.time() * 1000)),
        "user": {"id_str": author_id, "screen_name": "a_tenant"},
        "entities": {"user_mentions": [{"id_str": for_user_id}]},
    }
    if in_reply_to:
        tweet["in_reply_to_user_id_str"] = in_reply_to
        tweet["in_reply_to_status_id_str"] = "1" + tweet_id
    return {"for_user_id": for_user_id, "tweet_create_events": [tweet]}


def instagram_webhook(
    account_id: str, messaging=(), changes=(), seconds: int | None = None
) -> dict:
    """An Instagram webhook with one entry for the professional account, sent at
    `seconds` since the epoch (default: now)."""
    sent = int(time.time()) if seconds is None else seconds
    entry: dict = {"id": account_id, "time": sent}
    if messaging:
        entry["messaging"] = list(messaging)
    if changes:
        entry["changes"] = list(changes)
    return {"object": "instagram", "entry": [entry]}


def instagram_message(account_id: str, igsid: str, text: str, mid: str, millis: int) -> dict:
    """One Instagram direct message event."""
    return {
        "sender": {"id": igsid},
        "recipient": {"id": account_id},
        "timestamp": millis,
        "message": {"mid": mid, "text": text},
    }


def instagram_comment(
    igsid: str, text: str, comment_id: str, media_id: str, username: str = "tenant"
) -> dict:
    """One `comments` change: a comment on the account's media."""
    return {
        "field": "comments",
        "value": {
            "id": comment_id,
            "text": text,
            "from": {"id": igsid, "username": username},
            "media": {"id": media_id, "media_product_type": "FEED"},
        },
    }
