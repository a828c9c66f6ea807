"""A client for Rasa's HTTP API: staff's side of a handoff reads and writes conversations.

Rasa's API is token protected and bound to localhost. Handing back (bot.handoff.desk)
appends Rasa's own `resume` event (ConversationResumed), after which the assistant
answers again.
"""

from __future__ import annotations

from typing import Any, Dict, List
from urllib.parse import quote

import requests


class RasaError(RuntimeError):
    """The Rasa server refused a request or could not be reached."""


class RasaConversations:
    """A client for the conversation endpoints of Rasa's HTTP API."""

    def __init__(
        self,
        base_url: str,
        token: str,
        session: requests.Session | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._session = session or requests.Session()
        self._timeout = timeout

    def tracker(self, conversation_id: str) -> Dict[str, Any]:
        """The conversation as Rasa keeps it: every event, the paused flag, the slots."""
        return self._call("GET", f"/conversations/{quote(conversation_id, safe='')}/tracker")

    def resume(self, conversation_id: str) -> Dict[str, Any]:
        """Append ConversationResumed: the assistant answers the tenant again."""
        return self.append(conversation_id, [{"event": "resume"}])

    def append(self, conversation_id: str, events: List[Dict[str, Any]]) -> Dict[str, Any]:
        """Append events (as Rasa serialises them) to the conversation."""
        return self._call(
            "POST",
            f"/conversations/{quote(conversation_id, safe='')}/tracker/events",
            json=events,
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Dict[str, Any]:
        try:
            response = self._session.request(
                method,
                self._base_url + path,
                params={"token": self._token},
                timeout=self._timeout,
                **kwargs,
            )
        except requests.RequestException as error:
            raise RasaError(f"{method} {path}: {error}") from error
        if not response.ok:
            raise RasaError(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}")
        return response.json()
