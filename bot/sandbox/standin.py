"""The sandbox's stand-in for Facebook's Graph API and X's API (P12's outbox calls).

It answers every call the outbox makes (bot/platforms/facebook/graph_api.py and
bot/platforms/x/api.py) with the documented response shapes, as scripts/fake_platforms.py
does for the tests, checks the page's access token and the X OAuth header, and applies
each call to the sandbox's world. It is plain Python: bot/console/sandbox_pages.py serves it
under /sandbox-api/ on the staff app, on loopback only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Tuple
from urllib.parse import unquote

from bot.platforms.limits import X_POST
from bot.sandbox.world import Author, Pane, World

# How the Graph API writes a time: "2026-08-01T09:30:00+0000".
GRAPH_TIME = "%Y-%m-%dT%H:%M:%S+0000"
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
    """What the stand-in accepts: the sandbox's own page token and X keys."""

    page_access_token: str
    consumer_key: str
    access_token: str
    account_id: str


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
        if method == "POST" and len(parts) == 2 and parts[1] == "comments":
            text = str(body.get("message") or "")
            if not text:
                return 400, _graph_error("Invalid parameter", 100)
            author = self._author_of("facebook", parts[0], text)
            return 200, {"id": self._world.public_reply(parts[0], text, author)}
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

    def _listing(self, items: List[dict], query: Query, path: str) -> Dict[str, Any]:
        """One page of a Graph listing, with `paging.next` while more remain."""
        limit = max(1, int((query.get("limit") or ["25"])[0]))
        start = int((query.get("after") or ["0"])[0])
        answer: Dict[str, Any] = {"data": items[start : start + limit]}
        if start + limit < len(items):
            token = query["access_token"][0]
            answer["paging"] = {
                "next": f"{self._graph_url}/{path.strip('/')}?access_token={token}"
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


def _graph_error(message: str, code: int) -> Dict[str, Any]:
    return {"error": {"message": message, "type": "OAuthException", "code": code}}
