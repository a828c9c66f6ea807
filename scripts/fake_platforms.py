"""Stand-ins for Facebook's Graph API, Instagram's part of it and X's API, on loopback, for
tests and the simulator.

They answer the calls the outbox makes with the documented response shapes, record
every call, refuse what the platform refuses (an X post over 280, as X counts), and
can be told to fail (any status, optionally with `Retry-After`) or to
hang. Graph calls are served under `/graph/v19.0`, Instagram's under `/instagram/v19.0`
(refusing a direct message over 1,000 bytes, a second private reply to a comment and a
reply to a hidden comment, as Instagram does), X calls under `/x`, and YouTube's Data API
under `/youtube/v3` with its OAuth token endpoint at `/youtube/token` (a Bearer token it
issued is required; comment threads listed newest first, a page at a time; held and
rejected comments left out of listings and refused replies; a rejected comment never
published again; each call's quota units counted, and refused with `quotaExceeded`
past `youtube_quota`), and LinkedIn's Community Management API under `/linkedin/rest`
(the version headers required; the organization's posts and their comments listed;
comments made and deleted; a deletion refused with 403 for the comments in
`linkedin_undeletable`).
"""

from __future__ import annotations

import json
import re
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List
from urllib.parse import parse_qs, unquote, urlparse

from bot.platforms.limits import X_POST

# The webhook bodies live with the sandbox; the tests and the simulator import them here too.
from bot.sandbox.webhooks import (  # noqa: F401
    facebook_webhook,
    instagram_comment,
    instagram_message,
    instagram_webhook,
    messenger_message,
    page_comment,
    page_post,
    x_direct_message,
    x_mention,
)

GRAPH_PREFIX = "/graph/v19.0"
INSTAGRAM_PREFIX = "/instagram/v19.0"
YOUTUBE_PREFIX = "/youtube"
LINKEDIN_PREFIX = "/linkedin/rest"
# An Instagram comment listed with its replies shows this many; `paging.next` the rest.
INLINE_REPLIES = 25
# What each YouTube call costs in quota units.
YOUTUBE_COST = {"GET": 1, "POST": 50}
X_PREFIX = "/x"
TOO_LONG = (
    "Your Tweet text is too long. For more information on how Twitter determines text "
    "length see https://github.com/twitter/twitter-text."
)


@dataclass
class Call:
    """One call a fake platform received."""

    platform: str
    method: str
    path: str
    query: Dict[str, List[str]]
    body: Any
    authorization: str | None
    at: float = field(default_factory=time.monotonic)

    def describe(self) -> str:
        """The call on one line, as the simulator prints it."""
        return f"{self.platform:8} {self.method:6} {self.path}  {json.dumps(self.body)}"


class FakePlatforms:
    """Both fake APIs on one loopback port."""

    def __init__(self, port: int = 0) -> None:
        self.calls: List[Call] = []
        # X users who accept no direct messages from the account.
        self.closed_dms: set[str] = set()
        # X posts the account may not hide (a conversation it did not start).
        self.unhideable: set[str] = set()
        # The page's posts and their comments, as the Graph API lists them.
        self.posts: Dict[str, List[dict]] = {}
        # The page-scoped Messenger id of a comment's author, which a private reply to the
        # comment answers with, by comment id.
        self.psids: Dict[str, str] = {}
        # Who wrote each post and when, where a test said (`add_post`).
        self.post_details: Dict[str, dict] = {}
        # Instagram comments hidden, and those a private reply has answered.
        self.instagram_hidden: set[str] = set()
        self.instagram_replied_privately: set[str] = set()
        # Instagram: the account's posts (media), and the comments on each with their
        # replies, as its listings give them (`add_instagram_comment`).
        self.instagram_media: List[dict] = []
        self.instagram_comments: Dict[str, List[dict]] = {}
        # YouTube: comment threads on the channel's videos, newest last; each comment's
        # moderation status; the access tokens issued; quota units spent and allowed.
        self.youtube_threads: List[dict] = []
        self.youtube_status: Dict[str, str] = {}
        self.youtube_banned: set[str] = set()
        self.youtube_tokens: set[str] = set()
        self.youtube_units = 0
        self.youtube_reads = 0
        self.youtube_quota = 10_000
        self.youtube_channel = ""
        # LinkedIn: the organization's posts (newest last) and the comments on each.
        self.linkedin_organization = ""
        self.linkedin_posts: List[str] = []
        self.linkedin_comments: Dict[str, List[dict]] = {}
        self.linkedin_undeletable: set[str] = set()
        self.linkedin_reads = 0
        # The page's Messenger messages to each page-scoped id, and the X account's
        # direct messages to each user, newest first, as their conversations list them.
        self.messenger: Dict[str, List[dict]] = {}
        self.x_dms: Dict[str, List[dict]] = {}
        # The X account's own user id, which its direct messages are listed under.
        self.x_account = "me"
        self._lock = threading.Lock()
        self._failure: tuple[int, Dict[str, str]] | None = None
        self._hang = 0.0
        self._hang_acts = True
        # Calls lost on the way (`hang(..., acts=False)`) whose caller had given up.
        self.abandoned = 0
        self._ids = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The servers' base address."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def graph_url(self) -> str:
        """What FACEBOOK_GRAPH_URL should be."""
        return self.url + GRAPH_PREFIX

    @property
    def instagram_url(self) -> str:
        """What INSTAGRAM_GRAPH_URL should be."""
        return self.url + INSTAGRAM_PREFIX

    def add_instagram_comment(
        self,
        media_id: str,
        comment_id: str,
        timestamp: str,
        author_id: str,
        parent: str | None = None,
    ) -> None:
        """A comment on the account's post `media_id` (a reply to `parent`), for the
        listings ("2026-08-01T09:30:00+0000"); the post is added if new."""
        comment = {"id": comment_id, "timestamp": timestamp, "from": {"id": author_id}}
        with self._lock:
            if not any(m["id"] == media_id for m in self.instagram_media):
                self.instagram_media.append({"id": media_id, "timestamp": timestamp})
            comments = self.instagram_comments.setdefault(media_id, [])
            if parent is None:
                comments.append({**comment, "replies": []})
                return
            [top] = [c for c in comments if c["id"] == parent]
            top["replies"].append(comment)

    @property
    def youtube_url(self) -> str:
        """What YOUTUBE_API_URL should be."""
        return self.url + YOUTUBE_PREFIX + "/v3"

    @property
    def youtube_token_url(self) -> str:
        """What YOUTUBE_TOKEN_URL should be."""
        return self.url + YOUTUBE_PREFIX + "/token"

    def add_youtube_comment(
        self,
        video_id: str,
        comment_id: str,
        author_channel: str,
        text: str,
        published: str,
        author_name: str = "@tenant",
        parent: str | None = None,
    ) -> None:
        """A comment on one of the channel's videos ("2026-08-01T09:30:00Z"); with
        `parent`, a reply in that comment's thread (its id is `<parent>.<comment_id>`)."""
        comment = {
            "kind": "youtube#comment",
            "id": f"{parent}.{comment_id}" if parent else comment_id,
            "snippet": {
                "channelId": self.youtube_channel,
                "videoId": video_id,
                "textDisplay": text,
                "textOriginal": text,
                "authorDisplayName": author_name,
                "authorChannelId": {"value": author_channel},
                "canRate": True,
                "likeCount": 0,
                "publishedAt": published,
                "updatedAt": published,
                **({"parentId": parent} if parent else {}),
            },
        }
        with self._lock:
            self._add_youtube(video_id, comment, parent)

    def _add_youtube(self, video_id: str, comment: dict, parent: str | None) -> None:
        if parent is None:
            self.youtube_threads.append(
                {
                    "kind": "youtube#commentThread",
                    "id": comment["id"],
                    "snippet": {
                        "channelId": self.youtube_channel,
                        "videoId": video_id,
                        "topLevelComment": comment,
                        "canReply": True,
                        "totalReplyCount": 0,
                        "isPublic": True,
                    },
                    "replies": {"comments": []},
                }
            )
            return
        for thread in self.youtube_threads:
            if thread["id"] == parent:
                thread["replies"]["comments"].insert(0, comment)  # newest first
                thread["snippet"]["totalReplyCount"] += 1

    @property
    def linkedin_url(self) -> str:
        """What LINKEDIN_API_URL should be."""
        return self.url + LINKEDIN_PREFIX

    def add_linkedin_post(self, post: str) -> None:
        """A post of the organization's (`urn:li:share:...`)."""
        with self._lock:
            self.linkedin_posts.append(post)
            self.linkedin_comments.setdefault(post, [])

    def add_linkedin_comment(
        self,
        post: str,
        comment_id: str,
        actor: str,
        text: str,
        millis: int | None = None,
        parent: str | None = None,
    ) -> str:
        """A member's comment on `post` (a reply to the comment URN `parent`), written
        now or at `millis`; returns its URN."""
        with self._lock:
            return self._linkedin_comment(post, comment_id, actor, text, millis, parent)

    def _linkedin_comment(
        self,
        post: str,
        comment_id: str,
        actor: str,
        text: str,
        millis: int | None = None,
        parent: str | None = None,
    ) -> str:
        urn = f"urn:li:comment:({post},{comment_id})"
        millis = int(time.time() * 1000) if millis is None else millis
        # A comment's replies are listed under it, not with the post's comments.
        extra = {"parentComment": parent} if parent else {}
        self.linkedin_comments.setdefault(parent or post, []).append(
            {
                **extra,
                "$URN": urn,
                "id": comment_id,
                "actor": actor,
                "object": post,
                "message": {"text": text, "attributes": []},
                "created": {"actor": actor, "time": millis},
                "lastModified": {"actor": actor, "time": millis},
            }
        )
        return urn

    @property
    def x_url(self) -> str:
        """What TWITTER_API_URL should be."""
        return self.url + X_PREFIX

    def start(self) -> FakePlatforms:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakePlatforms:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def fail(self, status: int = 503, retry_after: int | None = None) -> None:
        """Answer every call with `status` until `recover()`."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self._failure = (status, headers)

    def hang(self, seconds: float, acts: bool = True) -> None:
        """Wait `seconds` before answering each call, until `recover()`.

        `acts`: the platform acts on each call when it answers at last, as one that is
        slow does (a caller that gave up meanwhile then sends it twice). Without it,
        the calls are lost on the way (answered 504, nothing done), as in a network
        fault before the platform.
        """
        self._hang, self._hang_acts = seconds, acts

    def recover(self) -> None:
        """Answer normally again."""
        self._failure, self._hang = None, 0.0

    def received(self, platform: str | None = None) -> List[Call]:
        """The calls answered so far (those refused while failing are not counted)."""
        with self._lock:
            return [c for c in self.calls if platform in (None, c.platform)]

    def texts(self) -> List[str]:
        """The text of every message or reply sent, in order."""
        found = []
        for call in self.received():
            body = call.body if isinstance(call.body, dict) else {}
            text = (body.get("message") or {}) if "recipient" in body else body.get("message")
            if isinstance(text, dict):
                text = text.get("text")
            found.append(text or body.get("text"))
        return [t for t in found if t]

    def add_comment(self, post_id: str, comment_id: str, created_time: str, author_id: str) -> None:
        """A comment on a post of the page's, for its listings ("2026-08-01T09:30:00+0000")."""
        comment = {"id": comment_id, "created_time": created_time, "from": {"id": author_id}}
        with self._lock:
            self.posts.setdefault(post_id, []).append(comment)

    def add_post(self, post_id: str, created_time: str, author_id: str) -> None:
        """A post on the page's feed, the page's own or a visitor's, for its listings."""
        with self._lock:
            self.posts.setdefault(post_id, [])
            self.post_details[post_id] = {"created_time": created_time, "from": {"id": author_id}}

    def _listing(self, items: List[dict], query, path: str, base: str = "") -> tuple[int, dict]:
        """One page of a Graph listing, with `paging.next` while more remain."""
        limit = int((query.get("limit") or ["25"])[0])
        start = int((query.get("after") or ["0"])[0])
        answer: Dict[str, Any] = {"data": items[start : start + limit]}
        if start + limit < len(items):
            token = query["access_token"][0]
            answer["paging"] = {
                "next": f"{base or self.graph_url}/{path}?access_token={token}&limit={limit}"
                f"&after={start + limit}"
            }
        return 200, answer

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    def _answer(self, method: str, path: str, query, body, authorization, headers=None):
        if path.startswith(LINKEDIN_PREFIX + "/"):
            path = unquote(path[len(LINKEDIN_PREFIX) + 1 :])
            return self._linkedin(method, path, query, body, authorization, headers or {})
        if path.startswith(GRAPH_PREFIX + "/"):
            return self._graph(method, path[len(GRAPH_PREFIX) + 1 :], query, body, authorization)
        if path.startswith(INSTAGRAM_PREFIX + "/"):
            path = path[len(INSTAGRAM_PREFIX) + 1 :]
            return self._instagram(method, path, query, body, authorization)
        if path.startswith(X_PREFIX + "/"):
            return self._x(method, path[len(X_PREFIX) :], query, body, authorization)
        if path.startswith(YOUTUBE_PREFIX + "/"):
            path = path[len(YOUTUBE_PREFIX) + 1 :]
            return self._youtube(method, path, query, body, authorization)
        return 404, {"error": "no such endpoint"}

    def _youtube(self, method, path, query, body, authorization):
        if method == "POST" and path == "token":
            form = body if isinstance(body, dict) else {}
            needed = ("client_id", "client_secret", "refresh_token")
            if form.get("grant_type") != "refresh_token" or not all(form.get(k) for k in needed):
                return 400, {"error": "invalid_grant"}
            token = f"ya29.fake-{self._next_id()}"
            with self._lock:
                self.youtube_tokens.add(token)
            return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        token = (authorization or "").removeprefix("Bearer ")
        if token not in self.youtube_tokens:
            return 401, _youtube_error(401, "authError", "Invalid Credentials")
        with self._lock:
            cost = YOUTUBE_COST.get(method, 1)
            if self.youtube_units + cost > self.youtube_quota:
                return 403, _youtube_error(403, "quotaExceeded", "The request cannot be completed")
            self.youtube_units += cost
        one = {k: v[0] for k, v in query.items()}
        body = body or {}
        if method == "GET" and path == "v3/commentThreads":
            with self._lock:
                self.youtube_reads += 1
            return self._youtube_threads(one)
        if method == "GET" and path == "v3/comments":
            with self._lock:
                self.youtube_reads += 1
                thread = next(
                    (t for t in self.youtube_threads if t["id"] == one.get("parentId")), None
                )
                replies = [
                    c
                    for c in (thread["replies"]["comments"] if thread else [])
                    if self.youtube_status.get(c["id"], "published") == "published"
                ]
                replies = json.loads(json.dumps(replies))
            if thread is None:
                return 404, _youtube_error(404, "commentNotFound", "No such comment")
            limit, start = int(one.get("maxResults") or 20), int(one.get("pageToken") or 0)
            answer = {
                "kind": "youtube#commentListResponse",
                "items": replies[start : start + limit],
            }
            if start + limit < len(replies):
                answer["nextPageToken"] = str(start + limit)
            return 200, answer
        if method == "POST" and path == "v3/comments":
            snippet = body.get("snippet") or {}
            parent, text = snippet.get("parentId"), snippet.get("textOriginal") or ""
            with self._lock:
                known = any(t["id"] == parent for t in self.youtube_threads)
                shown = self.youtube_status.get(parent or "", "published") == "published"
            if not text or len(text) > 10000 or not known:
                return 400, _youtube_error(400, "invalidCommentMetadata", "Invalid comment")
            if not shown:
                return 403, _youtube_error(403, "forbidden", "The comment cannot be replied to")
            self._record("youtube", method, path, query, body, authorization)
            reply_id = f"{parent}.own{self._next_id()}"
            self._youtube_own(reply_id, text, parent)
            return 200, {"kind": "youtube#comment", "id": reply_id, "snippet": snippet}
        if method == "POST" and path == "v3/commentThreads":
            snippet = body.get("snippet") or {}
            top = ((snippet.get("topLevelComment") or {}).get("snippet") or {}).get("textOriginal")
            if not snippet.get("videoId") or not top or len(top) > 10000:
                return 400, _youtube_error(400, "invalidCommentMetadata", "Invalid comment")
            self._record("youtube", method, path, query, body, authorization)
            thread_id = f"Ugown{self._next_id()}"
            self._youtube_own(thread_id, top, None, snippet["videoId"])
            return 200, {"kind": "youtube#commentThread", "id": thread_id, "snippet": snippet}
        if method == "POST" and path == "v3/comments/setModerationStatus":
            status, comment = one.get("moderationStatus"), one.get("id", "")
            if status not in ("heldForReview", "published", "rejected") or not comment:
                return 400, _youtube_error(400, "invalidModerationStatus", "Invalid status")
            if one.get("banAuthor") == "true" and status != "rejected":
                return 400, _youtube_error(400, "banWithoutReject", "Ban needs rejected")
            with self._lock:
                if self.youtube_status.get(comment) == "rejected" and status == "published":
                    return 400, _youtube_error(400, "operationNotSupported", "Rejected")
                self.youtube_status[comment] = status
                if one.get("banAuthor") == "true":
                    self.youtube_banned.add(comment)
            self._record("youtube", method, path, query, body or None, authorization)
            return 204, None
        return 404, _youtube_error(404, "notFound", "Not Found")

    def _linkedin(self, method, path, query, body, authorization, headers):
        version = headers.get("LinkedIn-Version") or ""
        if not (authorization or "").startswith("Bearer ") or len(authorization) < 8:
            return 401, {
                "message": "Empty oauth2_access_token",
                "serviceErrorCode": 65604,
                "status": 401,
            }
        if (
            not (len(version) == 6 and version.isdigit())
            or headers.get("X-Restli-Protocol-Version") != "2.0.0"
        ):
            return 400, {"message": "A version header is missing", "status": 400}
        one = {k: v[0] for k, v in query.items()}
        body = body or {}
        if method == "GET" and path == "posts":
            if one.get("q") != "author" or one.get("author") != self.linkedin_organization:
                return 403, {"message": "Not enough permissions", "status": 403}
            start, count = int(one.get("start") or 0), int(one.get("count") or 10)
            with self._lock:
                posts = list(reversed(self.linkedin_posts))[start : start + count]
            return 200, {
                "paging": {"start": start, "count": count, "links": []},
                "elements": [{"id": p, "author": self.linkedin_organization} for p in posts],
            }
        found = re.fullmatch(r"socialActions/(.+)/comments(?:/([^/]+))?", path)
        if found is None:
            return 404, {"message": "Not found", "status": 404}
        target, comment_id = found.group(1), found.group(2)
        if method == "GET" and comment_id is None:
            start, count = int(one.get("start") or 0), int(one.get("count") or 10)
            with self._lock:
                self.linkedin_reads += 1
                comments = json.loads(json.dumps(self.linkedin_comments.get(target, [])))
                for comment in comments:  # each says how many replies it has
                    replies = len(self.linkedin_comments.get(comment["$URN"], []))
                    comment["commentsSummary"] = {
                        "selectedComments": [],
                        "aggregatedTotalComments": replies,
                    }
            return 200, {
                "paging": {"start": start, "count": count, "total": len(comments), "links": []},
                "elements": comments[start : start + count],
            }
        if method == "POST" and comment_id is None:
            text = (body.get("message") or {}).get("text") or ""
            if body.get("actor") != self.linkedin_organization or not text or len(text) > 1250:
                return 422, {"message": "Invalid comment", "status": 422}
            post = target
            if target.startswith("urn:li:comment:"):
                post = target[len("urn:li:comment:(") :].rsplit(",", 1)[0]
                if body.get("parentComment") != target:
                    return 422, {"message": "parentComment must be the target", "status": 422}
            number = self._next_id()
            with self._lock:
                known = post in self.linkedin_comments
                alive = target == post or any(
                    c["$URN"] == target for c in self.linkedin_comments.get(post, [])
                )
                if not known or not alive:
                    return 404, {"message": "Not found", "status": 404}
                urn = self._linkedin_comment(post, f"own{number}", self.linkedin_organization, text)
            self._record("linkedin", method, path, query, body, authorization)
            return 201, {"$URN": urn, "actor": self.linkedin_organization, "object": post}
        if method == "DELETE" and comment_id is not None:
            if one.get("actor") != self.linkedin_organization:
                return 403, {"message": "Not enough permissions", "status": 403}
            urn = f"urn:li:comment:({target},{comment_id})"
            if urn in self.linkedin_undeletable:
                return 403, {"message": "Not enough permissions to delete", "status": 403}
            with self._lock:
                if not any(c["$URN"] == urn for cs in self.linkedin_comments.values() for c in cs):
                    return 404, {"message": "Not found", "status": 404}
                for on, comments in self.linkedin_comments.items():
                    self.linkedin_comments[on] = [c for c in comments if c["$URN"] != urn]
                self.linkedin_comments.pop(urn, None)  # its replies go with it
            self._record("linkedin", method, path, query, None, authorization)
            return 204, None
        return 405, {"message": "Method not allowed", "status": 405}

    def _youtube_threads(self, query) -> tuple[int, dict]:
        limit = int(query.get("maxResults") or 20)
        start = int(query.get("pageToken") or 0)
        with self._lock:
            shown = [
                t
                for t in reversed(self.youtube_threads)
                if self.youtube_status.get(t["id"], "published") == "published"
            ]
            items = [
                {
                    **t,
                    "replies": {
                        "comments": [
                            c
                            for c in t["replies"]["comments"][:5]
                            if self.youtube_status.get(c["id"], "published") == "published"
                        ]
                    },
                }
                for t in shown[start : start + limit]
            ]
            items = json.loads(json.dumps(items))  # a copy, as sent, whatever changes next
        answer: Dict[str, Any] = {
            "kind": "youtube#commentThreadListResponse",
            "pageInfo": {"totalResults": len(items), "resultsPerPage": limit},
            "items": items,
        }
        if start + limit < len(shown):
            answer["nextPageToken"] = str(start + limit)
        return 200, answer

    def _youtube_own(
        self, comment_id: str, text: str, parent: str | None, video: str | None = None
    ) -> None:
        """The channel's own comment, listed as YouTube lists it."""
        with self._lock:
            if video is None:
                thread = next(t for t in self.youtube_threads if t["id"] == parent)
                video = thread["snippet"]["videoId"]
            comment = {
                "kind": "youtube#comment",
                "id": comment_id,
                "snippet": {
                    "videoId": video,
                    "textDisplay": text,
                    "textOriginal": text,
                    "authorDisplayName": "@association",
                    "authorChannelId": {"value": self.youtube_channel},
                    "publishedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    **({"parentId": parent} if parent else {}),
                },
            }
            self._add_youtube(video, comment, parent)

    def _instagram(self, method, path, query, body, authorization):
        if not query.get("access_token"):
            return 400, {"error": {"message": "An access token is required", "code": 190}}
        sent, body = body, body or {}
        parts = path.split("/")
        invalid = {"error": {"message": "Invalid parameter", "code": 100}}
        if method == "POST" and path == "me/messages":
            recipient, text = body.get("recipient") or {}, (body.get("message") or {}).get("text")
            if not recipient or not text or len(text.encode("utf-8")) > 1000:
                return 400, invalid
            comment = recipient.get("comment_id")
            with self._lock:
                if comment and comment in self.instagram_replied_privately:
                    return 400, {"error": {"message": "Already replied", "code": 10}}
                if comment:
                    self.instagram_replied_privately.add(comment)
            self._record("instagram", method, path, query, body, authorization)
            return 200, {
                "recipient_id": recipient.get("id", ""),
                "message_id": f"m_{self._next_id()}",
            }
        if method == "POST" and len(parts) == 2 and parts[1] == "replies":
            text = body.get("message") or ""
            if not text or len(text) > 2200 or parts[0] in self.instagram_hidden:
                return 400, invalid
            self._record("instagram", method, path, query, body, authorization)
            return 200, {"id": str(10**17 + self._next_id())}
        if method == "POST" and len(parts) == 1 and isinstance(body.get("hide"), bool):
            with self._lock:
                (self.instagram_hidden.add if body["hide"] else self.instagram_hidden.discard)(
                    parts[0]
                )
            self._record("instagram", method, path, query, body, authorization)
            return 200, {"success": True}
        if method == "DELETE" and len(parts) == 1:
            self._record("instagram", method, path, query, sent, authorization)
            with self._lock:
                for media, comments in self.instagram_comments.items():
                    kept = [c for c in comments if c["id"] != parts[0]]
                    for comment in kept:
                        comment["replies"] = [r for r in comment["replies"] if r["id"] != parts[0]]
                    self.instagram_comments[media] = kept
            return 200, {"success": True}
        if method == "GET":
            return self._instagram_listing(path, query)
        return 404, {"error": {"message": "Unknown path", "code": 803}}

    def _instagram_listing(self, path: str, query) -> tuple[int, dict]:
        """The account's posts, a post's comments (each with its first INLINE_REPLIES
        replies and `paging.next` to the rest, as field expansion gives them), or a
        comment's replies."""
        parts = path.split("/")
        with self._lock:
            media = json.loads(json.dumps(self.instagram_media))
            comments = json.loads(json.dumps(self.instagram_comments))
        if len(parts) == 2 and parts[1] == "media":
            return self._listing(media, query, path, self.instagram_url)
        if len(parts) == 2 and parts[1] == "comments" and parts[0] in comments:
            token = query["access_token"][0]
            listed = []
            for comment in comments[parts[0]]:
                replies = comment.pop("replies")
                if replies:
                    comment["replies"] = {"data": replies[:INLINE_REPLIES]}
                if len(replies) > INLINE_REPLIES:
                    comment["replies"]["paging"] = {
                        "next": f"{self.instagram_url}/{comment['id']}/replies?access_token="
                        f"{token}&limit={INLINE_REPLIES}&after={INLINE_REPLIES}"
                    }
                listed.append(comment)
            return self._listing(listed, query, path, self.instagram_url)
        if len(parts) == 2 and parts[1] == "replies":
            for listed in comments.values():
                for comment in listed:
                    if comment["id"] == parts[0]:
                        return self._listing(comment["replies"], query, path, self.instagram_url)
        return 404, {"error": {"message": "Unknown path", "code": 803}}

    def _graph(self, method, path, query, body, authorization):
        if not query.get("access_token"):
            return 400, {"error": {"message": "An access token is required", "code": 190}}
        parts = path.split("/")
        if method == "GET" and len(parts) == 2 and parts[1] == "feed":
            with self._lock:
                posts = [{"id": post, **self.post_details.get(post, {})} for post in self.posts]
            return self._listing(posts, query, path)
        if method == "GET" and len(parts) == 2 and parts[1] == "comments":
            with self._lock:
                comments = list(self.posts.get(parts[0], []))
            return self._listing(comments, query, path)
        if method == "POST" and len(parts) == 2 and parts[1] == "messages":
            recipient = (body or {}).get("recipient") or {}
            if not (body or {}).get("message") or not recipient:
                return 400, {"error": {"message": "Invalid parameter", "code": 100}}
            self._record("facebook", method, path, query, body, authorization)
            # A private reply answers with the commenter's page-scoped id, where known.
            replied_to = recipient.get("comment_id") or recipient.get("post_id") or ""
            psid = str(recipient.get("id") or self.psids.get(str(replied_to), ""))
            message_id = f"m_{self._next_id()}"
            if psid:
                text = str(body["message"].get("text") or "")
                said = {
                    "id": message_id,
                    "message": text,
                    "from": {"id": parts[0]},
                    "created_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime()),
                }
                with self._lock:
                    self.messenger.setdefault(psid, []).insert(0, said)
            return 200, {"recipient_id": psid, "message_id": message_id}
        if method == "GET" and len(parts) == 2 and parts[1] == "conversations":
            # The Conversations API for one person: their conversation, messages newest first.
            psid = (query.get("user_id") or [""])[0]
            with self._lock:
                said = list(self.messenger.get(psid, []))
            found = [{"id": f"t_{psid}", "messages": {"data": said[:20]}}] if said else []
            return 200, {"data": found}
        if method == "POST" and len(parts) == 2 and parts[1] in ("comments", "feed"):
            if not (body or {}).get("message"):
                return 400, {"error": {"message": "Invalid parameter", "code": 100}}
            self._record("facebook", method, path, query, body, authorization)
            return 200, {"id": f"{parts[0]}_{self._next_id()}"}
        if method in ("POST", "DELETE") and len(parts) == 2 and parts[1] == "blocked":
            if not any(isinstance((body or {}).get(k), list) for k in ("user", "psid")):
                return 400, {"error": {"message": "Invalid parameter", "code": 100}}
            self._record("facebook", method, path, query, body, authorization)
            return 200, {"success": True}
        if method in ("POST", "DELETE") and len(parts) == 1:
            self._record("facebook", method, path, query, body, authorization)
            return 200, {"success": True}
        return 404, {"error": {"message": "Unknown path", "code": 803}}

    def _x(self, method, path, query, body, authorization):
        if not (authorization or "").startswith("OAuth "):
            return 401, {"title": "Unauthorized", "status": 401}
        if method == "POST" and re.fullmatch(r"/2/dm_conversations/with/\w+/messages", path):
            recipient = path.split("/")[4]
            if recipient in self.closed_dms:
                return 403, {
                    "title": "Forbidden",
                    "status": 403,
                    "detail": "You are not permitted to send a DM to this user.",
                }
            self._record("twitter", method, path, query, body, authorization)
            number = self._next_id()
            event = {
                "id": f"e{number}",
                "event_type": "MessageCreate",
                "text": str((body or {}).get("text") or ""),
                "sender_id": self.x_account,
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            }
            with self._lock:
                self.x_dms.setdefault(recipient, []).insert(0, event)
            return 201, {"data": {"dm_conversation_id": f"c{number}", "dm_event_id": f"e{number}"}}
        if method == "GET" and re.fullmatch(r"/2/dm_conversations/with/\w+/dm_events", path):
            with self._lock:
                events = list(self.x_dms.get(path.split("/")[4], []))
            return 200, {"data": events[:25], "meta": {"result_count": len(events[:25])}}
        if method == "POST" and path == "/2/tweets":
            if not X_POST.fits(str((body or {}).get("text") or "")):
                # X's answer to a post over 280 (weighted): refused, never posted.
                return 403, {
                    "detail": TOO_LONG,
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                }
            self._record("twitter", method, path, query, body, authorization)
            return 201, {"data": {"id": str(self._next_id()), "text": (body or {}).get("text")}}
        if method == "PUT" and re.fullmatch(r"/2/tweets/\w+/hidden", path):
            if path.split("/")[3] in self.unhideable:
                return 403, {
                    "title": "Forbidden",
                    "status": 403,
                    "detail": "You can only hide replies to conversations you started.",
                }
            self._record("twitter", method, path, query, body, authorization)
            return 200, {"data": {"hidden": bool((body or {}).get("hidden"))}}
        if method == "POST" and re.fullmatch(r"/2/users/\w+/(blocking|following)", path):
            if not (body or {}).get("target_user_id"):
                return 400, {"title": "Invalid Request", "status": 400}
            self._record("twitter", method, path, query, body, authorization)
            key = "blocking" if path.endswith("blocking") else "following"
            return 200, {"data": {key: True}}
        if method == "DELETE" and re.fullmatch(r"/2/users/\w+/(blocking|following)/\w+", path):
            self._record("twitter", method, path, query, body, authorization)
            key = "blocking" if "/blocking/" in path else "following"
            return 200, {"data": {key: False}}
        if method == "POST" and path == "/1.1/users/report_spam.json" and query.get("user_id"):
            self._record("twitter", method, path, query, body, authorization)
            return 200, {"id_str": query["user_id"][0]}
        return 404, {"title": "Not Found Error", "status": 404}

    def youtube_replies(self) -> List[str]:
        """The texts of the comments and replies the channel posted, in order."""
        texts = []
        for call in self.received("youtube"):
            snippet = (call.body or {}).get("snippet") or {}
            top = (snippet.get("topLevelComment") or {}).get("snippet") or {}
            text = snippet.get("textOriginal") or top.get("textOriginal")
            if text:
                texts.append(text)
        return texts

    def _record(self, platform, method, path, query, body, authorization):
        with self._lock:
            self.calls.append(Call(platform, method, path, query, body, authorization))

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if fake._hang:
                    acts = fake._hang_acts
                    time.sleep(fake._hang)
                    if not acts:
                        if self._caller_gone():
                            with fake._lock:
                                fake.abandoned += 1
                        return self._send(504, {"error": "the call was lost on the way"})
                if fake._failure is not None:
                    status, headers = fake._failure
                    return self._send(status, {"error": "the fake platform is failing"}, headers)
                parsed = urlparse(self.path)
                form = "x-www-form-urlencoded" in (self.headers.get("Content-Type") or "")
                try:
                    if form:  # an OAuth token request
                        body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                    else:
                        body = json.loads(raw) if raw else None
                except ValueError:
                    return self._send(400, {"error": "malformed JSON"})
                status, answer = fake._answer(
                    self.command,
                    parsed.path,
                    parse_qs(parsed.query),
                    body,
                    self.headers.get("Authorization"),
                    self.headers,
                )
                self._send(status, answer)

            def _caller_gone(self) -> bool:
                """Whether the caller closed the connection (gave up waiting)."""
                try:
                    readable, _, _ = select.select([self.connection], [], [], 0)
                    return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    return True

            def _send(self, status, answer, headers=None):
                data = b"" if status == 204 else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a hang)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args):
                pass

        return Handler


def _youtube_error(code: int, reason: str, message: str) -> dict:
    """An error as the YouTube Data API words it."""
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "youtube.api", "reason": reason}],
        }
    }
