"""A page of YouTube comment threads read into the messages the assistant screens.

`commentThreads.list` answers `items`, each a `youtube#commentThread`: `id`, and
`snippet` with `videoId`, `topLevelComment` and `totalReplyCount`; with
`part=replies`, `replies.comments` holds up to five of its replies. A comment
(`youtube#comment`) has `id` (a reply's is `<parent id>.<its own>`) and `snippet` with
`authorDisplayName` ("@handle"), `authorChannelId.value`, `textDisplay` (plain text
with `textFormat=plainText`), `publishedAt`, `updatedAt`, `videoId` and, for a reply,
`parentId`. Every comment is public (P5, P7): each is one message on the public
surface, answered in its thread.

Dropped here: the channel's own comments (its replies), and comments with no author
channel (a deleted account). One odd thread does not cost the others on its page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, List, Tuple

from bot.events import InboundEvent, Platform, Surface
from bot.platforms.payloads import MalformedPayload, tolerating_odd_events


@dataclass(frozen=True)
class Page:
    """One page of comment threads: its comments, newest thread first, and the next page."""

    comments: List[InboundEvent]
    # When each thread's top-level comment was written: the page's oldest tells the
    # poller whether older pages may still hold new comments.
    thread_times: List[datetime]
    next_page: str | None
    # Comments the channel itself wrote, seen but not screened.
    own: List[InboundEvent]
    # Threads with more replies than they list: (top-level comment, video).
    more_replies: List[Tuple[str, str | None]] = field(default_factory=list)


def parse_threads(answer: Any, channel_id: str) -> Page:
    """The comments in one `commentThreads.list` answer.

    Raises:
        MalformedPayload: `answer` is not a list of comment threads.
    """
    if not isinstance(answer, dict) or not isinstance(answer.get("items", []), list):
        raise MalformedPayload("not a list of YouTube comment threads")
    items = answer.get("items") or []
    times: List[datetime] = []
    more = [_more(item) for item in items if isinstance(item, dict)]
    read = (
        tolerating_odd_events((_thread(item, times) for item in items), Platform.YOUTUBE.value)
        if items
        else []
    )
    token = answer.get("nextPageToken")
    mine = [e for e in read if e.author_id == channel_id]
    theirs = [e for e in read if e.author_id != channel_id]
    more_replies = [found for found in more if found is not None]
    next_page = token if isinstance(token, str) and token else None
    return Page(theirs, times, next_page, mine, more_replies)


def _more(item: dict) -> Tuple[str, str | None] | None:
    """(thread, video) if the thread has more replies than it lists."""
    try:
        snippet = item["snippet"]
        listed = len((item.get("replies") or {}).get("comments") or [])
        if int(snippet.get("totalReplyCount") or 0) > listed:
            return str(item["id"]), snippet.get("videoId")
    except (KeyError, TypeError, ValueError):
        pass
    return None


def parse_replies(
    answer: Any, video: str | None, channel_id: str
) -> Tuple[List[InboundEvent], str | None]:
    """The members' replies in one `comments.list` answer, and the next page.

    Raises:
        MalformedPayload: `answer` is not a list of comments.
    """
    if not isinstance(answer, dict) or not isinstance(answer.get("items", []), list):
        raise MalformedPayload("not a list of YouTube comments")
    items = answer.get("items") or []
    readers = ([lambda c=c: _comment(c, video)] for c in items)
    read = tolerating_odd_events(readers, Platform.YOUTUBE.value) if items else []
    token = answer.get("nextPageToken")
    theirs = [e for e in read if e.author_id != channel_id]
    return theirs, token if isinstance(token, str) and token else None


def _thread(item: dict, times: List[datetime]) -> Iterator[Callable[[], InboundEvent | None]]:
    snippet = item["snippet"]
    top = snippet["topLevelComment"]
    times.append(published(top["snippet"]))
    video = snippet.get("videoId") or top["snippet"].get("videoId")
    yield lambda: _comment(top, video)
    for reply in (item.get("replies") or {}).get("comments") or []:
        yield lambda reply=reply: _comment(reply, video)


def _comment(comment: dict, video: str | None) -> InboundEvent | None:
    snippet = comment["snippet"]
    author = (snippet.get("authorChannelId") or {}).get("value")
    if not author:
        return None  # a deleted account: no one to answer
    text = snippet.get("textDisplay")
    if text is None:
        text = snippet["textOriginal"]
    return InboundEvent(
        platform=Platform.YOUTUBE,
        kind="comment",
        event_id=str(comment["id"]),
        surface=Surface.PUBLIC,
        author_id=str(author),
        text=str(text),
        sent_at=published(snippet),
        post_id=str(snippet.get("videoId") or video) if (snippet.get("videoId") or video) else None,
        comment_id=str(comment["id"]),
        author_name=str(snippet.get("authorDisplayName") or "") or None,
    )


def published(snippet: dict) -> datetime:
    """When a comment was written (`publishedAt`, RFC 3339).

    Raises:
        KeyError: the time is missing or is no time (the comment is odd).
    """
    raw = snippet["publishedAt"]
    try:
        when = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise KeyError("publishedAt") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def thread_of(comment_id: str) -> str:
    """The top-level comment whose thread `comment_id` is in (a reply's id starts with it)."""
    return comment_id.split(".", 1)[0]
