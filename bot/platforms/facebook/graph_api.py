"""Facebook's Graph API: the calls the outbox makes for the page."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterator, List, Tuple

import requests

from bot.outbox import PlatformError
from bot.platforms.http import TIMEOUT, request_json
from bot.platforms.meta import GRAPH_TIME, graph_listing
from bot.platforms.payloads import SeenComment
from bot.secret_masking import hide_in_logs


class GraphClient:
    """The page's side of Messenger and of comments on its posts."""

    def __init__(
        self,
        base_url: str,
        page_id: str,
        page_access_token: str,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = TIMEOUT,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._page_id = page_id
        self._token = page_access_token
        hide_in_logs(page_access_token)
        self._session = session or requests.Session()
        self._timeout = timeout

    def send_message(self, psid: str, text: str, tag: str | None = None) -> str:
        """Messenger Send API: RESPONSE inside 24 hours, or a message tag (HUMAN_AGENT)."""
        body: Dict[str, Any] = {
            "recipient": {"id": psid},
            "messaging_type": "MESSAGE_TAG" if tag else "RESPONSE",
            "message": {"text": text},
        }
        if tag:
            body["tag"] = tag
        return self._post(f"{self._page_id}/messages", body).get("message_id", "")

    def sent_in_messenger(self, psid: str) -> List[Tuple[str, str, datetime | None]]:
        """The page's latest messages in its Messenger conversation with `psid`, newest
        first, as (message id, text, when): the Conversations API, which lists a
        conversation's messages newest first (the 20 newest are asked for: a message in
        doubt is the newest the page sent, or nearly).

        Raises:
            PlatformError: the conversation could not be read.
        """
        query = {
            "platform": "messenger",
            "user_id": psid,
            "fields": "messages.limit(20){id,message,from,created_time}",
            **self._auth(),
        }
        where = self._url(f"{self._page_id}/conversations")
        answer = request_json(self._session, "GET", where, self._timeout, params=query)
        sent = []
        for conversation in _dicts(answer.get("data")):
            for item in _dicts((conversation.get("messages") or {}).get("data")):
                author = item.get("from") if isinstance(item.get("from"), dict) else {}
                if str(author.get("id") or "") != self._page_id:
                    continue
                written = _graph_time(item.get("created_time"))
                sent.append((str(item.get("id") or ""), str(item.get("message") or ""), written))
        return sent

    def private_reply(self, comment_id: str, text: str) -> str:
        """A private message to the author of a comment on the page, or of a visitor's
        post on it when `comment_id` is "post:<post id>".

        Returns "psid:<id>", the page-scoped id the author has in Messenger, which links
        their comments to their Messenger conversation; the message id if none is given.
        """
        if comment_id.startswith("post:"):
            recipient = {"post_id": comment_id.removeprefix("post:")}
        else:
            recipient = {"comment_id": comment_id}
        body = {"recipient": recipient, "message": {"text": text}}
        answer = self._post(f"{self._page_id}/messages", body)
        if answer.get("recipient_id"):
            return f"psid:{answer['recipient_id']}"
        return answer.get("message_id", "")

    def public_reply(self, comment_id: str, text: str) -> str:
        """A reply under the comment, seen by everyone."""
        return self._post(f"{comment_id}/comments", {"message": text}).get("id", "")

    def post_to_page(self, page_id: str, text: str) -> str:
        """A post of the page's own, on its feed (a service alert)."""
        return self._post(f"{page_id}/feed", {"message": text}).get("id", "")

    def hide_comment(self, comment_id: str) -> str:
        """Hide the comment from everyone but its author and their friends."""
        self._post(comment_id, {"is_hidden": True})
        return comment_id

    def unhide_comment(self, comment_id: str) -> str:
        """Show a hidden comment again (staff undid a hide)."""
        self._post(comment_id, {"is_hidden": False})
        return comment_id

    def block_user(self, account: str) -> str:
        """Block a person from the page: they can no longer comment or message it.

        `account` is a comment author's user id, or "psid:<id>" for a Messenger sender.
        """
        self._post(f"{self._page_id}/blocked", _blocked_body(account))
        return account

    def unblock_user(self, account: str) -> str:
        """Lift a block (staff undid it); `account` as for `block_user`."""
        self._post(f"{self._page_id}/blocked", _blocked_body(account), method="DELETE")
        return account

    def page_comments(self) -> Iterator[SeenComment]:
        """Every comment on the page's feed, replies included, and every visitor's post
        on it (as a comment on itself), as the Graph API lists them; the page's own posts
        are not public comments.

        Follows each listing's `paging.next` (bot.platforms.meta.graph_listing).
        """
        feed = {"fields": "id,created_time,from", "limit": 100}
        for post in self._listing(f"{self._page_id}/feed", feed):
            poster = str((post.get("from") or {}).get("id") or "")
            if poster and poster != self._page_id and post.get("created_time"):
                yield SeenComment(
                    comment_id=str(post["id"]),
                    post_id=str(post["id"]),
                    author_id=poster,
                    created_at=datetime.strptime(post["created_time"], GRAPH_TIME),
                    by_page=False,
                )
            fields = {"fields": "id,created_time,from", "filter": "stream", "limit": 100}
            for comment in self._listing(f"{post['id']}/comments", fields):
                author = str((comment.get("from") or {}).get("id") or "") or None
                yield SeenComment(
                    comment_id=str(comment["id"]),
                    post_id=str(post["id"]),
                    author_id=author,
                    created_at=datetime.strptime(comment["created_time"], GRAPH_TIME),
                    by_page=author == self._page_id,
                )

    def _listing(self, path: str, params: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
        query = {**params, **self._auth()}
        return graph_listing(self._session, self._url(path), query, self._timeout)

    def delete_comment(self, comment_id: str) -> str:
        """Delete the comment."""
        self._post(comment_id, None, method="DELETE")
        return comment_id

    def _post(self, path: str, body: Dict[str, Any] | None, method: str = "POST") -> Dict[str, Any]:
        answer = request_json(
            self._session, method, self._url(path), self._timeout, params=self._auth(), json=body
        )
        if answer.get("success") is False:  # the Graph API's way of saying "not done"
            raise PlatformError(f"{method} {self._url(path)}: success false", transient=False)
        return answer

    def _url(self, path: str) -> str:
        return f"{self._base}/{path}"

    def _auth(self) -> Dict[str, str]:
        return {"access_token": self._token}


def _blocked_body(account: str) -> Dict[str, Any]:
    # The /blocked edge takes page-scoped ids as `psid` and user ids as `user`, in lists.
    if account.startswith("psid:"):
        return {"psid": [account.removeprefix("psid:")]}
    return {"user": [account]}


def _dicts(items: Any) -> List[Dict[str, Any]]:
    """The objects of a listing's `data`, whatever else it holds."""
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _graph_time(value: Any) -> datetime | None:
    try:
        return datetime.strptime(str(value), GRAPH_TIME)
    except ValueError:
        return None
