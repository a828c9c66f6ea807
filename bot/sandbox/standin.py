"""The sandbox's stand-in for the platforms' APIs: Facebook's Graph API, X's API,
Instagram's (Graph) API, the YouTube Data API and LinkedIn's Community Management API
(P12's outbox calls, and the YouTube and LinkedIn pollers' reads).

It answers every call the outbox and the pollers make (bot/platforms/*/api.py) with the
documented response shapes, as scripts/fake_platforms.py does for the tests, checks each
platform's credentials (the sandbox's own), and applies each call to the sandbox's
world. It is plain Python: bot/console/sandbox_pages.py serves it under /sandbox-api/ on
the staff app, on loopback only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Tuple
from urllib.parse import unquote

from bot.platforms.limits import X_POST
from bot.sandbox.world import AlreadyReplied, Author, Item, Pane, World

# How the Graph API writes a time: "2026-08-01T09:30:00+0000"; and YouTube.
GRAPH_TIME = "%Y-%m-%dT%H:%M:%S+0000"
YOUTUBE_TIME = "%Y-%m-%dT%H:%M:%SZ"
# The access token the sandbox's YouTube token endpoint hands out.
YOUTUBE_ACCESS = "ya29.sandbox"
# A thread lists its five newest replies; comments.list gives the rest.
YOUTUBE_LISTED_REPLIES = 5
# Instagram: a direct message is at most 1,000 bytes, a comment 2,200 characters;
# LinkedIn: a comment 1,250 characters; YouTube: 10,000.
INSTAGRAM_DM_BYTES = 1000
INSTAGRAM_COMMENT = 2200
LINKEDIN_COMMENT = 1250
YOUTUBE_COMMENT = 10000
TOO_LONG = (
    "Your Tweet text is too long. For more information on how Twitter determines text "
    "length see https://github.com/twitter/twitter-text."
)
Answer = Tuple[int, Dict[str, Any]]
Query = Mapping[str, List[str]]
# Who wrote a message the outbox is sending: (platform, target, text) -> Author.
AuthorOf = Callable[[str, str, str], Author]


@dataclass(frozen=True)
class Credentials:
    """What the stand-in accepts: the sandbox's own tokens and keys."""

    page_access_token: str
    consumer_key: str
    access_token: str
    account_id: str
    instagram_token: str = ""
    # The Instagram professional account's id (its posts are listed under it).
    instagram_account: str = ""
    # The OAuth client and refresh token YouTube's token endpoint accepts.
    youtube_client: Tuple[str, str, str] = ("", "", "")
    youtube_channel: str = ""
    linkedin_token: str = ""
    # urn:li:organization:<id>
    linkedin_organization: str = ""


def _assistant(_platform: str, _target: str, _text: str) -> Author:
    return Author.ASSISTANT


class StandIn:
    """Both platforms' APIs over one world."""

    def __init__(
        self,
        world: World,
        credentials: Credentials,
        graph_url: str,
        author_of: AuthorOf = _assistant,
    ) -> None:
        """`graph_url`: the stand-in's own Graph address, for the listings' next pages;
        `author_of`: who wrote a message being sent (the outbox knows; default: the
        assistant)."""
        self._world = world
        self._credentials = credentials
        self._graph_url = graph_url.rstrip("/")
        self._author_of = author_of

    # -- Facebook --------------------------------------------------------------------

    def graph(self, method: str, path: str, query: Query, body: Any) -> Answer:
        """Answer a Graph API call to `path` (after the version, e.g. "123/messages")."""
        if (query.get("access_token") or [""])[0] != self._credentials.page_access_token:
            return 400, _graph_error("Invalid OAuth access token.", 190)
        body = body if isinstance(body, dict) else {}
        parts = path.strip("/").split("/")
        page = self._world.page_id
        if method == "GET" and parts == [page, "feed"]:
            posts = [
                {"id": post_id, "created_time": at.strftime(GRAPH_TIME), "from": {"id": page}}
                for post_id, at in self._world.post_ids()
            ]
            return 200, self._listing(posts, query, path)
        if method == "GET" and len(parts) == 2 and parts[1] == "comments":
            comments = [
                {
                    "id": item.id,
                    "created_time": item.at.strftime(GRAPH_TIME),
                    "from": {"id": self._world.commenter_id(item)},
                }
                for post, item in self._world.page_comments()
                if post == parts[0]
            ]
            return 200, self._listing(comments, query, path)
        if method == "POST" and parts == [page, "messages"]:
            return self._message(body)
        if method == "POST" and parts == [page, "feed"]:
            text = str(body.get("message") or "")
            if not text:
                return 400, _graph_error("Invalid parameter", 100)
            return 200, {"id": self._world.page_post(text, self._author_of("facebook", page, text))}
        if method == "POST" and len(parts) == 2 and parts[1] == "comments":
            text = str(body.get("message") or "")
            if not text:
                return 400, _graph_error("Invalid parameter", 100)
            author = self._author_of("facebook", parts[0], text)
            reply = self._world.public_reply(parts[0], text, author)
            if reply is None:
                return 400, _graph_error("Unsupported post request", 100)
            return 200, {"id": reply}
        if method in ("POST", "DELETE") and parts == [page, "blocked"]:
            accounts = body.get("user") or body.get("psid")
            if not isinstance(accounts, list) or not accounts:
                return 400, _graph_error("Invalid parameter", 100)
            what = "blocked" if method == "POST" else "unblocked"
            for account in accounts:
                self._world.notice(Pane.FACEBOOK, what, str(account))
            return 200, {"success": True}
        if method == "POST" and len(parts) == 1 and isinstance(body.get("is_hidden"), bool):
            self._world.set_comment(parts[0], hidden=body["is_hidden"])
            return 200, {"success": True}
        if method == "DELETE" and len(parts) == 1:
            self._world.set_comment(parts[0], deleted=True)
            return 200, {"success": True}
        return 404, _graph_error("Unknown path components", 803)

    def _message(self, body: Dict[str, Any]) -> Answer:
        recipient = body.get("recipient") or {}
        text = str((body.get("message") or {}).get("text") or "")
        if not text or not isinstance(recipient, dict) or not recipient:
            return 400, _graph_error("Invalid parameter", 100)
        if recipient.get("id"):
            psid = str(recipient["id"])
            author = self._author_of("facebook", psid, text)
            message_id = self._world.send_message(psid, text, author)
            return 200, {"recipient_id": psid, "message_id": message_id}
        target = str(recipient.get("comment_id") or recipient.get("post_id") or "")
        author = self._author_of("facebook", target, text)
        psid = self._world.private_reply(target, text, author)
        # The Send API names the commenter's page-scoped id: their threads then link.
        answer = {"message_id": f"m_private_{target}"}
        return 200, {**answer, "recipient_id": psid} if psid else answer

    def _listing(
        self, items: List[dict], query: Query, path: str, api: str = "graph"
    ) -> Dict[str, Any]:
        """One page of a Graph listing (Facebook's, or "instagram"), with `paging.next`
        while more remain."""
        limit = max(1, int((query.get("limit") or ["25"])[0]))
        start = int((query.get("after") or ["0"])[0])
        answer: Dict[str, Any] = {"data": items[start : start + limit]}
        if start + limit < len(items):
            token = query["access_token"][0]
            base = self._graph_url.replace("/graph/", f"/{api}/")
            answer["paging"] = {
                "next": f"{base}/{path.strip('/')}?access_token={token}"
                f"&limit={limit}&after={start + limit}"
            }
        return answer

    # -- X ---------------------------------------------------------------------------

    def x(
        self, method: str, path: str, query: Query, body: Any, authorization: str | None
    ) -> Answer:
        """Answer an X API call to `path` (e.g. "/2/tweets")."""
        if not self._signed(authorization):
            return 401, {"title": "Unauthorized", "type": "about:blank", "status": 401}
        body = body if isinstance(body, dict) else {}
        me = self._credentials.account_id
        if method == "POST" and (
            dm := re.fullmatch(r"/2/dm_conversations/with/(\w+)/messages", path)
        ):
            text = str(body.get("text") or "")
            if not text:
                return 400, {"title": "Invalid Request", "status": 400}
            user = dm.group(1)
            event = self._world.send_dm(user, text, self._author_of("twitter", user, text))
            return 201, {"data": {"dm_conversation_id": f"{me}-{user}", "dm_event_id": event}}
        if method == "POST" and path == "/2/tweets":
            text = str(body.get("text") or "")
            if not X_POST.fits(text):
                return 403, {
                    "detail": TOO_LONG,
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                }
            reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
            author = self._author_of("twitter", str(reply_to or ""), text)
            tweet_id = self._world.tweet(text, str(reply_to) if reply_to else None, author)
            return 201, {"data": {"id": tweet_id, "text": text}}
        if method == "PUT" and (hide := re.fullmatch(r"/2/tweets/(\w+)/hidden", path)):
            hidden = bool(body.get("hidden"))
            self._world.set_tweet(hide.group(1), hidden)
            return 200, {"data": {"hidden": hidden}}
        if method == "POST" and (
            edge := re.fullmatch(rf"/2/users/{me}/(blocking|following)", path)
        ):
            target = body.get("target_user_id")
            if not target:
                return 400, {"title": "Invalid Request", "status": 400}
            what = "blocked" if edge.group(1) == "blocking" else "followed"
            self._world.notice(Pane.X_TIMELINE, what, str(target))
            return 200, {"data": {edge.group(1): True}}
        if method == "DELETE" and (
            edge := re.fullmatch(rf"/2/users/{me}/(blocking|following)/(\w+)", path)
        ):
            what = "unblocked" if edge.group(1) == "blocking" else "unfollowed"
            self._world.notice(Pane.X_TIMELINE, what, edge.group(2))
            return 200, {"data": {edge.group(1): False}}
        if method == "POST" and path == "/1.1/users/report_spam.json" and query.get("user_id"):
            user = query["user_id"][0]
            self._world.notice(Pane.X_TIMELINE, "reported to X", user)
            return 200, {"id_str": user}
        return 404, {"title": "Not Found Error", "type": "about:blank", "status": 404}

    def _signed(self, authorization: str | None) -> bool:
        """An OAuth 1.0a header with the sandbox's consumer key and access token."""
        if not (authorization or "").startswith("OAuth "):
            return False
        fields = {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', authorization or "")}
        return (
            fields.get("oauth_consumer_key") == self._credentials.consumer_key
            and fields.get("oauth_token") == self._credentials.access_token
            and bool(fields.get("oauth_signature"))
        )

    # -- Instagram -----------------------------------------------------------------

    def instagram(self, method: str, path: str, query: Query, body: Any) -> Answer:
        """Answer an Instagram API call to `path` (after the version, e.g. "me/messages")."""
        token = self._credentials.instagram_token
        if not token or (query.get("access_token") or [""])[0] != token:
            return 400, _graph_error("Invalid OAuth access token.", 190)
        body = body if isinstance(body, dict) else {}
        parts = path.strip("/").split("/")
        invalid = _graph_error("Invalid parameter", 100)
        if method == "POST" and parts == ["me", "messages"]:
            recipient = body.get("recipient") or {}
            text = str((body.get("message") or {}).get("text") or "")
            size = len(text.encode("utf-8"))
            if not isinstance(recipient, dict) or not text or size > INSTAGRAM_DM_BYTES:
                return 400, invalid
            if recipient.get("comment_id"):
                comment = str(recipient["comment_id"])
                author = self._author_of("instagram", comment, text)
                try:
                    igsid = self._world.instagram_private_reply(comment, text, author)
                except AlreadyReplied:
                    return 400, _graph_error("A private reply was already sent.", 10)
                if igsid is None:
                    return 400, invalid
                return 200, {"recipient_id": igsid, "message_id": f"m_private_{comment}"}
            if not recipient.get("id"):
                return 400, invalid
            igsid = str(recipient["id"])
            author = self._author_of("instagram", igsid, text)
            message_id = self._world.send_instagram(igsid, text, author)
            return 200, {"recipient_id": igsid, "message_id": message_id}
        if method == "POST" and len(parts) == 2 and parts[1] == "replies":
            text = str(body.get("message") or "")
            parent = self._on(parts[0], Pane.INSTAGRAM)
            if not text or len(text) > INSTAGRAM_COMMENT or parent is None or parent.hidden:
                return 400, invalid
            author = self._author_of("instagram", parts[0], text)
            return 200, {"id": self._world.public_reply(parts[0], text, author)}
        if method == "POST" and len(parts) == 1 and isinstance(body.get("hide"), bool):
            if self._on(parts[0], Pane.INSTAGRAM) is None:
                return 400, invalid
            self._world.set_comment(parts[0], hidden=body["hide"])
            return 200, {"success": True}
        if method == "DELETE" and len(parts) == 1:
            if self._on(parts[0], Pane.INSTAGRAM) is None:
                return 400, invalid
            self._world.set_comment(parts[0], deleted=True)
            return 200, {"success": True}
        if method == "GET" and parts == [self._credentials.instagram_account, "media"]:
            media = [
                {"id": post, "timestamp": at.strftime(GRAPH_TIME)}
                for post, at in self._world.post_ids(Pane.INSTAGRAM)
            ]
            return 200, self._listing(media, query, path, "instagram")
        if method == "GET" and len(parts) == 2 and parts[1] == "comments":
            return 200, self._listing(self._instagram_comments(parts[0]), query, path, "instagram")
        return 404, _graph_error("Unknown path components", 803)

    def _instagram_comments(self, post: str) -> List[dict]:
        """The comments on `post`, each with its replies (as field expansion gives them)."""
        listed = self._world.page_comments(Pane.INSTAGRAM)
        account = self._credentials.instagram_account

        def shown(item: Item) -> dict:
            author = self._world.author_id(item, "instagram_id", account)
            return {
                "id": item.id,
                "timestamp": item.at.strftime(GRAPH_TIME),
                "from": {"id": author},
            }

        comments = []
        for on, item in listed:
            if on != post or item.target != post:
                continue
            replies = [shown(reply) for _, reply in listed if reply.target == item.id]
            comments.append({**shown(item), **({"replies": {"data": replies}} if replies else {})})
        return comments

    # -- YouTube -------------------------------------------------------------------

    def youtube(
        self, method: str, path: str, query: Query, body: Any, authorization: str | None
    ) -> Answer:
        """Answer a YouTube Data API call to `path` ("v3/commentThreads"), or its OAuth
        token endpoint ("token", with the form's fields as `body`)."""
        body = body if isinstance(body, dict) else {}
        if method == "POST" and path == "token":
            client = self._credentials.youtube_client
            given = (body.get("client_id"), body.get("client_secret"), body.get("refresh_token"))
            if body.get("grant_type") != "refresh_token" or not all(client) or given != client:
                return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
            return 200, {"access_token": YOUTUBE_ACCESS, "expires_in": 3599, "token_type": "Bearer"}
        if not all(self._credentials.youtube_client) or authorization != f"Bearer {YOUTUBE_ACCESS}":
            return 401, _youtube_error(401, "authError", "Invalid Credentials")
        one = {name: values[0] for name, values in query.items() if values}
        if method == "GET" and path == "v3/commentThreads":
            if one.get("allThreadsRelatedToChannelId") != self._credentials.youtube_channel:
                return 403, _youtube_error(403, "forbidden", "The channel is not yours")
            return 200, self._youtube_threads(one)
        if method == "GET" and path == "v3/comments":
            thread = self._on(one.get("parentId") or "", Pane.YOUTUBE)
            if thread is None or thread.target not in self._videos():
                return 404, _youtube_error(404, "commentNotFound", "No such comment")
            # Rejecting or holding a comment takes the replies under it out of sight.
            replies = [] if thread.hidden or thread.deleted else self._youtube_replies(thread.id)
            start, limit = int(one.get("pageToken") or 0), int(one.get("maxResults") or 20)
            answer: Dict[str, Any] = {
                "kind": "youtube#commentListResponse",
                "items": [self._youtube_comment(c) for c in replies[start : start + limit]],
            }
            if start + limit < len(replies):
                answer["nextPageToken"] = str(start + limit)
            return 200, answer
        snippet = body.get("snippet") if isinstance(body.get("snippet"), dict) else {}
        if method == "POST" and path == "v3/comments":
            parent = str(snippet.get("parentId") or "")
            text = str(snippet.get("textOriginal") or "")
            thread = self._on(parent, Pane.YOUTUBE)
            # A reply goes in a thread: its parent is a top-level comment, not a reply.
            top_level = thread is not None and thread.target in self._videos()
            if not text or len(text) > YOUTUBE_COMMENT or not top_level:
                return 400, _youtube_error(400, "invalidCommentMetadata", "Invalid comment")
            if thread.hidden or thread.deleted:
                return 403, _youtube_error(403, "forbidden", "The comment cannot be replied to")
            reply = self._world.public_reply(parent, text, self._author_of("youtube", parent, text))
            return 200, {"kind": "youtube#comment", "id": reply, "snippet": snippet}
        if method == "POST" and path == "v3/commentThreads":
            video = str(snippet.get("videoId") or "")
            top = (snippet.get("topLevelComment") or {}).get("snippet") or {}
            text = str(top.get("textOriginal") or "")
            if not text or len(text) > YOUTUBE_COMMENT or video not in self._videos():
                return 400, _youtube_error(400, "invalidCommentMetadata", "Invalid comment")
            thread = self._world.public_reply(video, text, self._author_of("youtube", video, text))
            return 200, {"kind": "youtube#commentThread", "id": thread, "snippet": snippet}
        if method == "POST" and path == "v3/comments/setModerationStatus":
            return self._moderate(one)
        return 404, _youtube_error(404, "notFound", "Not Found")

    def _moderate(self, one: Mapping[str, str]) -> Answer:
        status, comment_id = one.get("moderationStatus"), one.get("id") or ""
        ban = one.get("banAuthor") == "true"
        if status not in ("heldForReview", "published", "rejected"):
            return 400, _youtube_error(400, "invalidModerationStatus", "Invalid status")
        if ban and status != "rejected":
            return 400, _youtube_error(400, "banWithoutReject", "Ban needs rejected")
        comment = self._on(comment_id, Pane.YOUTUBE)
        if comment is None:
            return 404, _youtube_error(404, "commentNotFound", "No such comment")
        if comment.deleted and status == "published":
            return 400, _youtube_error(400, "operationNotSupported", "A rejected comment stays so")
        if status == "rejected":
            self._world.set_comment(comment_id, deleted=True)
        else:
            self._world.set_comment(comment_id, hidden=status == "heldForReview")
        if ban:
            channel = self._world.author_id(comment, "youtube_id", "")
            self._world.notice(Pane.YOUTUBE, "banned", channel or "unknown")
        return 204, {}

    def _videos(self) -> List[str]:
        return self._posts_on(Pane.YOUTUBE)

    def _youtube_threads(self, one: Mapping[str, str]) -> Dict[str, Any]:
        """A page of the channel's comment threads, newest first, each with its five
        newest replies; held and rejected ones are not listed."""
        listed = [
            (video, item)
            for video, item in self._world.page_comments(Pane.YOUTUBE)
            if not item.hidden
        ]
        threads = [(video, item) for video, item in reversed(listed) if item.target == video]
        start, limit = int(one.get("pageToken") or 0), int(one.get("maxResults") or 20)
        items = []
        for video, top in threads[start : start + limit]:
            replies = self._youtube_replies(top.id)
            items.append(
                {
                    "kind": "youtube#commentThread",
                    "id": top.id,
                    "snippet": {
                        "channelId": self._credentials.youtube_channel,
                        "videoId": video,
                        "topLevelComment": self._youtube_comment(top),
                        "canReply": True,
                        "totalReplyCount": len(replies),
                        "isPublic": True,
                    },
                    "replies": {
                        "comments": [
                            self._youtube_comment(c) for c in replies[:YOUTUBE_LISTED_REPLIES]
                        ]
                    },
                }
            )
        answer: Dict[str, Any] = {
            "kind": "youtube#commentThreadListResponse",
            "pageInfo": {"totalResults": len(items), "resultsPerPage": limit},
            "items": items,
        }
        if start + limit < len(threads):
            answer["nextPageToken"] = str(start + limit)
        return answer

    def _youtube_replies(self, thread: str) -> List[Item]:
        """The replies in `thread` YouTube shows, newest first."""
        replies = [
            item
            for _, item in self._world.page_comments(Pane.YOUTUBE)
            if item.target == thread and not item.hidden
        ]
        return list(reversed(replies))

    def _youtube_comment(self, item: Item) -> Dict[str, Any]:
        video = self._world.post_of(item.id) or ""
        channel = self._world.author_id(item, "youtube_id", self._credentials.youtube_channel)
        snippet: Dict[str, Any] = {
            "channelId": self._credentials.youtube_channel,
            "videoId": video,
            "textDisplay": item.text,
            "textOriginal": item.text,
            "authorDisplayName": item.who,
            "authorChannelId": {"value": channel},
            "canRate": True,
            "likeCount": 0,
            "publishedAt": item.at.strftime(YOUTUBE_TIME),
            "updatedAt": item.at.strftime(YOUTUBE_TIME),
        }
        if item.target not in self._videos():
            snippet["parentId"] = item.target
        return {"kind": "youtube#comment", "id": item.id, "snippet": snippet}

    # -- LinkedIn ------------------------------------------------------------------

    def linkedin(
        self,
        method: str,
        path: str,
        query: Query,
        body: Any,
        authorization: str | None,
        headers: Mapping[str, str],
    ) -> Answer:
        """Answer a LinkedIn Community Management API call to `path` ("posts",
        "socialActions/<urn>/comments"), with URNs decoded."""
        token = self._credentials.linkedin_token
        if not token or authorization != f"Bearer {token}":
            return 401, _linkedin_error(401, "Invalid access token", 65600)
        version = headers.get("linkedin-version") or ""
        if not (len(version) == 6 and version.isdigit()):
            return 400, _linkedin_error(400, "A version header is missing", 0)
        if headers.get("x-restli-protocol-version") != "2.0.0":
            return 400, _linkedin_error(400, "X-Restli-Protocol-Version 2.0.0 is needed", 0)
        body = body if isinstance(body, dict) else {}
        one = {name: values[0] for name, values in query.items() if values}
        organization = self._credentials.linkedin_organization
        if method == "GET" and path == "posts":
            if one.get("q") != "author" or one.get("author") != organization:
                return 403, _linkedin_error(403, "Not enough permissions", 100)
            posts = sorted(self._world.post_ids(Pane.LINKEDIN), key=lambda p: p[1], reverse=True)
            start, count = int(one.get("start") or 0), int(one.get("count") or 10)
            return 200, {
                "paging": {"start": start, "count": count, "links": []},
                "elements": [
                    {"id": post, "author": organization} for post, _ in posts[start : start + count]
                ],
            }
        found = re.fullmatch(r"socialActions/(.+?)/comments(?:/([^/]+))?", path)
        if found is None:
            return 404, _linkedin_error(404, "Not found", 0)
        target, comment_id = found.group(1), found.group(2)
        if method == "GET" and comment_id is None:
            return self._linkedin_comments(target, one)
        if method == "POST" and comment_id is None:
            text = str((body.get("message") or {}).get("text") or "")
            if body.get("actor") != organization or not text or len(text) > LINKEDIN_COMMENT:
                return 422, _linkedin_error(422, "Invalid comment", 0)
            on = self._on(target, Pane.LINKEDIN)
            if target.startswith("urn:li:comment:") and body.get("parentComment") != target:
                return 422, _linkedin_error(422, "parentComment must be the target", 0)
            if on is None and target not in self._posts_on(Pane.LINKEDIN):
                return 404, _linkedin_error(404, "Not found", 0)
            if on is not None and on.deleted:
                return 404, _linkedin_error(404, "Not found", 0)
            author = self._author_of("linkedin", target, text)
            urn = self._world.public_reply(target, text, author)
            return 201, {"$URN": urn, "actor": organization, "object": body.get("object")}
        if method == "DELETE" and comment_id is not None:
            if one.get("actor") != organization:
                return 403, _linkedin_error(403, "Not enough permissions", 100)
            urn = f"urn:li:comment:({target},{comment_id})"
            comment = self._on(urn, Pane.LINKEDIN)
            if comment is None or comment.deleted:
                return 404, _linkedin_error(404, "Not found", 0)
            self._world.set_comment(urn, deleted=True)
            return 204, {}
        return 405, _linkedin_error(405, "Method not allowed", 0)

    def _linkedin_comments(self, on: str, one: Mapping[str, str]) -> Answer:
        """A page of the top-level comments on the post `on`, or of the replies to the
        comment `on`, oldest first."""
        if on not in self._posts_on(Pane.LINKEDIN) and self._on(on, Pane.LINKEDIN) is None:
            return 404, _linkedin_error(404, "Not found", 0)
        post = self._world.post_of(on) or on
        organization = self._credentials.linkedin_organization
        listed = self._world.page_comments(Pane.LINKEDIN)
        comments = [item for _, item in listed if item.target == on]
        start, count = int(one.get("start") or 0), int(one.get("count") or 10)
        elements = []
        for item in comments[start : start + count]:
            actor = self._world.author_id(item, "linkedin_id", organization)
            millis = int(item.at.timestamp() * 1000)
            elements.append(
                {
                    "$URN": item.id,
                    "id": item.id.rsplit(",", 1)[1].rstrip(")"),
                    "actor": actor,
                    "object": post,
                    **({"parentComment": on} if on != post else {}),
                    "message": {"text": item.text, "attributes": []},
                    "created": {"actor": actor, "time": millis},
                    "lastModified": {"actor": actor, "time": millis},
                    "commentsSummary": {
                        "selectedComments": [],
                        "aggregatedTotalComments": sum(r.target == item.id for _, r in listed),
                    },
                }
            )
        return 200, {
            "paging": {"start": start, "count": count, "total": len(comments), "links": []},
            "elements": elements,
        }

    # -- the world's comments ----------------------------------------------------------

    def _on(self, item_id: str, pane: Pane) -> Item | None:
        """The comment `item_id` if it is on `pane`."""
        item = self._world.find(item_id)
        return item if item is not None and self._world.pane_of(item_id) is pane else None

    def _posts_on(self, pane: Pane) -> List[str]:
        return [post for post, _ in self._world.post_ids(pane)]


def _youtube_error(status: int, reason: str, message: str) -> Dict[str, Any]:
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "youtube.commentThread", "reason": reason}],
        }
    }


def _linkedin_error(status: int, message: str, code: int) -> Dict[str, Any]:
    return {"message": message, "serviceErrorCode": code, "status": status}


def _graph_error(message: str, code: int) -> Dict[str, Any]:
    return {"error": {"message": message, "type": "OAuthException", "code": code}}
