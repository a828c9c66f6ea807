"""What Meta's Graph API is alike in for Facebook and Instagram: the messaging windows
(P3, P12) and the listings.

Meta takes the assistant's replies for 24 hours after the user's last message, and a
person's for 7 days with the HUMAN_AGENT tag; past that a message is refused for good
and goes to the dead letters. The outbox knows nothing of this: it stores who wrote a
message and when the user last wrote, and each platform's deliverer decides.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, Iterator

import requests

from bot.outbox import Author, PlatformError
from bot.platforms.http import request_json

# How the Graph API writes a time: "2026-08-01T09:30:00+0000".
GRAPH_TIME = "%Y-%m-%dT%H:%M:%S%z"
# A listing is read this many pages at most: a bound on one sweep's work.
MAX_PAGES = 50
MESSENGER_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)


class OutsideWindow(PlatformError):
    """Meta no longer allows this message: too long since the user wrote."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)


def messenger_tag(author: Author, user_message_at: datetime | None, now: datetime) -> str | None:
    """The Send API's terms for a message now: None for RESPONSE, or the message tag.

    The assistant answers inside 24 hours of the user's message; a person may answer
    for 7 days with the HUMAN_AGENT tag.

    Raises:
        OutsideWindow: Meta would refuse the message.
    """
    age = now - user_message_at if user_message_at else timedelta(0)
    if age <= MESSENGER_WINDOW:
        return None
    if author is Author.STAFF and age <= HUMAN_AGENT_WINDOW:
        return "HUMAN_AGENT"
    limit = "7 days (HUMAN_AGENT)" if author is Author.STAFF else "24 hours"
    raise OutsideWindow(f"Meta allows replies for {limit} after the user's last message")


def graph_listing(
    session: requests.Session,
    url: str,
    query: Dict[str, Any] | None,
    timeout: tuple[float, float],
) -> Iterator[Dict[str, Any]]:
    """Every item of a Graph API listing (`data`), following `paging.next`, at most
    MAX_PAGES pages; a `query` of None for an address that carries its own (a next page).

    Raises:
        PlatformError: a page could not be read.
    """
    for _ in range(MAX_PAGES):
        answer = request_json(session, "GET", url, timeout, params=query)
        yield from answer.get("data") or []
        url = (answer.get("paging") or {}).get("next")
        if not url:
            return
        query = None  # the next page's address carries its own query
