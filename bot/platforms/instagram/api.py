"""Instagram's side of the Graph API (Instagram API with Facebook Login): the calls the
outbox makes for the professional account.

- A direct message, and a private reply to a comment: `POST /me/messages` with the
  linked page's token; `recipient` is `{"id": <Instagram-scoped id>}` or
  `{"comment_id": <comment>}`. Text is UTF-8, 1,000 bytes at most. A private reply
  may be sent once per comment, within 7 days of it.
- A public reply: `POST /{comment-id}/replies` with `message`. Instagram takes replies
  to top-level comments only (a reply to a reply joins its top-level comment) and
  none to a hidden comment.
- Hide or show a comment: `POST /{comment-id}` with `hide` true or false.
- Delete a comment: `DELETE /{comment-id}`.
- For the retention sweep (P10): the account's posts, `GET /{ig-user-id}/media`, and
  each one's comments with their replies, `GET /{media-id}/comments?fields=id,
  timestamp,from,replies{id,timestamp,from}`; listings page by `paging.next`, and a
  comment's `timestamp` is written "2026-08-01T09:30:00+0000".

Instagram's API has no call to block or report an account: moderation leaves that to
staff (bot.platforms.instagram.kit).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Dict, Iterator

import requests

from bot.outbox import PlatformError
from bot.platforms.http import TIMEOUT, request_json
from bot.platforms.meta import GRAPH_TIME, graph_listing
from bot.platforms.payloads import SeenComment
from bot.secret_masking import hide_in_logs

logger = logging.getLogger(__name__)


class InstagramClient:
    """The professional account's direct messages and comments."""

    def __init__(
        self,
        base_url: str,
        access_token: str,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = TIMEOUT,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._token = access_token
        hide_in_logs(access_token)
        self._session = session or requests.Session()
        self._timeout = timeout

    def send_message(self, igsid: str, text: str, tag: str | None = None) -> str:
        """A direct message: RESPONSE inside 24 hours, or a message tag (HUMAN_AGENT)."""
        body: Dict[str, Any] = {"recipient": {"id": igsid}, "message": {"text": text}}
        if tag:
            body["messaging_type"] = "MESSAGE_TAG"
            body["tag"] = tag
        return self._call("POST", "me/messages", body).get("message_id", "")

    def private_reply(self, comment_id: str, text: str) -> str:
        """The one private message Instagram allows to the author of `comment_id`."""
        body = {"recipient": {"comment_id": comment_id}, "message": {"text": text}}
        return self._call("POST", "me/messages", body).get("message_id", "")

    def public_reply(self, comment_id: str, text: str) -> str:
        """A reply under the comment, seen by everyone."""
        return self._call("POST", f"{comment_id}/replies", {"message": text}).get("id", "")

    def hide_comment(self, comment_id: str) -> str:
        """Hide the comment from everyone but its author."""
        self._call("POST", comment_id, {"hide": True})
        return comment_id

    def unhide_comment(self, comment_id: str) -> str:
        """Show a hidden comment again (staff undid a hide)."""
        self._call("POST", comment_id, {"hide": False})
        return comment_id

    def delete_comment(self, comment_id: str) -> str:
        """Delete the comment."""
        self._call("DELETE", comment_id, None)
        return comment_id

    def account_comments(self, account_id: str) -> Iterator[SeenComment]:
        """Every comment and reply on the account's posts, as Instagram lists them (the
        account's own replies marked `by_page`), for the retention sweep (P10).

        Raises:
            PlatformError: a listing could not be read.
        """
        media = {"fields": "id,timestamp", "limit": 100}
        for post in self._listing(f"{account_id}/media", media):
            if not isinstance(post, dict) or not post.get("id"):
                continue
            post_id = str(post["id"])
            try:
                yield from self._post_comments(post_id, account_id)
            except PlatformError as error:
                if error.transient:
                    raise  # the platform is struggling: the sweep runs again later
                # One post refused (deleted meanwhile, say): the others are still read.
                logger.warning(
                    "Could not list the comments on Instagram post %s: %s", post_id, error
                )

    def _post_comments(self, post_id: str, account_id: str) -> Iterator[SeenComment]:
        fields = {"fields": "id,timestamp,from,replies{id,timestamp,from}", "limit": 100}
        for comment in self._listing(f"{post_id}/comments", fields):
            yield from _seen(comment, post_id, account_id)
            replies = (comment.get("replies") if isinstance(comment, dict) else None) or {}
            for reply in replies.get("data") or []:
                yield from _seen(reply, post_id, account_id)
            more = (replies.get("paging") or {}).get("next")
            if more:
                for reply in graph_listing(self._session, more, None, self._timeout):
                    yield from _seen(reply, post_id, account_id)

    def _listing(self, path: str, params: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
        query = {**params, "access_token": self._token}
        return graph_listing(self._session, f"{self._base}/{path}", query, self._timeout)

    def _call(self, method: str, path: str, body: Dict[str, Any] | None) -> Dict[str, Any]:
        url = f"{self._base}/{path}"
        answer = request_json(
            self._session,
            method,
            url,
            self._timeout,
            params={"access_token": self._token},
            json=body,
        )
        if answer.get("success") is False:  # the Graph API's way of saying "not done"
            raise PlatformError(f"{method} {url}: success false", transient=False)
        return answer


def _seen(comment: Any, post_id: str, account_id: str) -> Iterator[SeenComment]:
    """The comment as the sweep notes it; nothing for one without an id or a time."""
    try:
        created = datetime.strptime(comment["timestamp"], GRAPH_TIME)
        comment_id = str(comment["id"])
    except (KeyError, TypeError, ValueError):
        logger.warning("Skipped an Instagram comment without an id or a time")
        return
    author = str((comment.get("from") or {}).get("id") or "") or None
    yield SeenComment(
        comment_id=comment_id,
        post_id=post_id,
        author_id=author,
        created_at=created,
        by_page=author == account_id,
    )
