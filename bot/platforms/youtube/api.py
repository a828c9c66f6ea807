"""The YouTube Data API (v3) calls the assistant makes for the channel, and their cost.

Every call is authorised by an OAuth access token, got from the refresh token the
channel's owner granted (scope `youtube.force-ssl`) and renewed a minute before it
expires. Each call costs quota units from the project's daily allowance (10,000 by
default; the day ends at midnight Pacific time):

| call | what for | units |
| --- | --- | --- |
| `GET commentThreads` | a page of 100 threads on the channel's videos, newest first | 1 |
| `GET comments` (`parentId`) | a page of 100 replies in a thread | 1 |
| `POST comments` (`snippet.parentId`) | a reply in a comment's thread | 50 |
| `POST commentThreads` (`snippet.videoId`) | a new comment on a video | 50 |
| `POST comments/setModerationStatus` | hold, publish, or reject (and ban) | 50 |

Threads are listed with `allThreadsRelatedToChannelId`, `order=time` and
`textFormat=plainText`.

A rejected comment cannot be published again, and rejecting a comment hides the
replies under it. `comments.delete` deletes only the caller's own comments: another's
are rejected instead. The API answers a spent quota with 403 `quotaExceeded`: that is
worth trying again once the day is over, so it is transient here, with the wait.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Tuple
from zoneinfo import ZoneInfo

import requests

from bot.outbox import PlatformError
from bot.platforms.http import TIMEOUT, request_json
from bot.secret_masking import hide_in_logs

# The quota day's time zone.
PACIFIC = ZoneInfo("America/Los_Angeles")
READ_UNITS = 1
WRITE_UNITS = 50
PAGE_SIZE = 100
# An access token is renewed this long before Google says it expires.
RENEW_EARLY = 60.0
# What YouTube answers when the quota is spent, or calls come too fast.
QUOTA_SPENT = ("quotaExceeded", "dailyLimitExceeded")
TOO_FAST = ("rateLimitExceeded", "userRateLimitExceeded")


def quota_day(now: datetime) -> str:
    """The quota day `now` falls in (its date, Pacific time)."""
    return now.astimezone(PACIFIC).date().isoformat()


def until_quota_resets(now: datetime) -> float:
    """Seconds from `now` to the next midnight, Pacific time, when the quota is renewed."""
    local = now.astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), PACIFIC)
    return max(1.0, (midnight - local).total_seconds())


class YouTubeClient:
    """The channel's comments, as its owner authorised."""

    def __init__(
        self,
        api_url: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        session: requests.Session | None = None,
        timeout: Tuple[float, float] = TIMEOUT,
        monotonic=time.monotonic,
    ) -> None:
        self._api = api_url.rstrip("/")
        self._token_url = token_url
        self._client = (client_id, client_secret, refresh_token)
        hide_in_logs(client_secret)
        hide_in_logs(refresh_token)
        self._session = session or requests.Session()
        self._timeout = timeout
        self._monotonic = monotonic
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def comment_threads(self, channel_id: str, page_token: str | None = None) -> Dict[str, Any]:
        """A page of the comment threads on the channel's videos, newest first, with up
        to five replies each (1 unit)."""
        params = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": channel_id,
            "order": "time",
            "maxResults": str(PAGE_SIZE),
            "textFormat": "plainText",
        }
        if page_token:
            params["pageToken"] = page_token
        return self._call("GET", "commentThreads", params)

    def replies(self, parent_id: str, page_token: str | None = None) -> Dict[str, Any]:
        """A page of the replies in the thread of `parent_id`, beyond the five a thread
        lists (1 unit)."""
        params = {
            "part": "snippet",
            "parentId": parent_id,
            "maxResults": str(PAGE_SIZE),
            "textFormat": "plainText",
        }
        if page_token:
            params["pageToken"] = page_token
        return self._call("GET", "comments", params)

    def reply(self, parent_id: str, text: str) -> str:
        """A reply in the thread of the top-level comment `parent_id` (50 units)."""
        body = {"snippet": {"parentId": parent_id, "textOriginal": text}}
        return str(self._call("POST", "comments", {"part": "snippet"}, body).get("id", ""))

    def comment(self, video_id: str, text: str) -> str:
        """A new top-level comment on the video `video_id` (50 units)."""
        body = {
            "snippet": {"videoId": video_id, "topLevelComment": {"snippet": {"textOriginal": text}}}
        }
        return str(self._call("POST", "commentThreads", {"part": "snippet"}, body).get("id", ""))

    def moderate(self, comment_id: str, status: str, ban_author: bool = False) -> str:
        """Set a comment's moderation status: "heldForReview", "published" or "rejected"
        (with `ban_author`, the author's later comments are rejected too) (50 units)."""
        params = {"id": comment_id, "moderationStatus": status}
        if ban_author:
            params["banAuthor"] = "true"
        self._call("POST", "comments/setModerationStatus", params)
        return comment_id

    def _call(
        self, method: str, path: str, params: Dict[str, str], body: Any = None
    ) -> Dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._access_token()}"}
        url = f"{self._api}/{path}"
        try:
            return request_json(
                self._session,
                method,
                url,
                self._timeout,
                params=params,
                json=body,
                headers=headers,
            )
        except PlatformError as error:
            raise self._sorted(error) from None

    def _sorted(self, error: PlatformError) -> PlatformError:
        """YouTube's own ways of saying "later" among its 4xx answers."""
        said = str(error)
        if "HTTP 401" in said:
            # The token was revoked or expired early: a new one is fetched next time.
            with self._lock:
                self._token = None
            return PlatformError(said, transient=True)
        if any(reason in said for reason in QUOTA_SPENT):
            wait = until_quota_resets(datetime.now(timezone.utc))
            return PlatformError(said, transient=True, retry_after=wait)
        if any(reason in said for reason in TOO_FAST):
            return PlatformError(said, transient=True, retry_after=error.retry_after or 60.0)
        return error

    def _access_token(self) -> str:
        with self._lock:
            if self._token is not None and self._monotonic() < self._expires:
                return self._token
            client_id, client_secret, refresh_token = self._client
            answer = request_json(
                self._session,
                "POST",
                self._token_url,
                self._timeout,
                data={
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "refresh_token": refresh_token,
                    "grant_type": "refresh_token",
                },
            )
            token = answer.get("access_token")
            if not isinstance(token, str) or not token:
                raise PlatformError(f"POST {self._token_url}: no access token", transient=True)
            hide_in_logs(token)
            lifetime = float(answer.get("expires_in") or 3600)
            self._token = token
            self._expires = self._monotonic() + max(0.0, lifetime - RENEW_EARLY)
            return token
