"""Facebook's Graph API: the calls the outbox makes for the page."""

from __future__ import annotations

from typing import Any, Dict

import requests

from bot.channels.platform_http import TIMEOUT, request_json


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

    def private_reply(self, comment_id: str, text: str) -> str:
        """A private message to the author of a comment on the page."""
        body = {"recipient": {"comment_id": comment_id}, "message": {"text": text}}
        return self._post(f"{self._page_id}/messages", body).get("message_id", "")

    def public_reply(self, comment_id: str, text: str) -> str:
        """A reply under the comment, seen by everyone."""
        return self._post(f"{comment_id}/comments", {"message": text}).get("id", "")

    def hide_comment(self, comment_id: str) -> str:
        """Hide the comment from everyone but its author and their friends."""
        self._post(comment_id, {"is_hidden": True})
        return comment_id

    def unhide_comment(self, comment_id: str) -> str:
        """Show a hidden comment again (staff undid a hide)."""
        self._post(comment_id, {"is_hidden": False})
        return comment_id

    def block_user(self, user_id: str) -> str:
        """Block a person from the page: they can no longer comment or message it."""
        self._post(f"{self._page_id}/blocked", {"user": [user_id]})
        return user_id

    def unblock_user(self, user_id: str) -> str:
        """Lift a block (staff undid it)."""
        request_json(
            self._session,
            "DELETE",
            self._url(f"{self._page_id}/blocked"),
            self._timeout,
            params=self._auth(),
            json={"user": user_id},
        )
        return user_id

    def delete_comment(self, comment_id: str) -> str:
        """Delete the comment."""
        request_json(
            self._session, "DELETE", self._url(comment_id), self._timeout, params=self._auth()
        )
        return comment_id

    def _post(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        return request_json(
            self._session, "POST", self._url(path), self._timeout, params=self._auth(), json=body
        )

    def _url(self, path: str) -> str:
        return f"{self._base}/{path}"

    def _auth(self) -> Dict[str, str]:
        return {"access_token": self._token}
