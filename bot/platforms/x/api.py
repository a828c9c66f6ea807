"""X's API v2: the calls the outbox makes for the account (OAuth 1.0a user context)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Tuple

import requests
from requests_oauthlib import OAuth1

from bot.outbox import PlatformError
from bot.platforms.http import TIMEOUT, request_json
from bot.secret_masking import hide_in_logs

# X error types that mean "not now" rather than "never".
TRANSIENT_X_ERRORS = ("service-unavailable", "operation-timeout", "usage-capped")


class XClient:
    """The account's direct messages and replies."""

    def __init__(
        self,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = TIMEOUT,
        user_id: str = "",
    ) -> None:
        self._base = base_url.rstrip("/")
        self._me = user_id
        self._auth = OAuth1(consumer_key, consumer_secret, access_token, access_token_secret)
        hide_in_logs(consumer_key, consumer_secret, access_token, access_token_secret)
        self._session = session or requests.Session()
        self._timeout = timeout

    def send_dm(self, user_id: str, text: str) -> str:
        """A direct message to the user."""
        path = f"2/dm_conversations/with/{user_id}/messages"
        return self._call("POST", path, {"text": text}).get("dm_event_id", "")

    def sent_dms(self, user_id: str) -> List[Tuple[str, str, datetime | None]]:
        """The account's latest direct messages to the user, newest first, as (event id,
        text, when); none without the account's own user id, which tells them apart.

        Raises:
            PlatformError: the conversation could not be read.
        """
        if not self._me:
            return []
        where = f"{self._base}/2/dm_conversations/with/{user_id}/dm_events"
        params = {
            "dm_event.fields": "id,text,sender_id,created_at",
            "event_types": "MessageCreate",
            "max_results": 25,
        }
        answer = request_json(
            self._session, "GET", where, self._timeout, auth=self._auth, params=params
        )
        events = answer.get("data") if isinstance(answer.get("data"), list) else []
        return [
            (str(event.get("id") or ""), str(event.get("text") or ""), _x_time(event))
            for event in events
            if isinstance(event, dict) and str(event.get("sender_id") or "") == self._me
        ]

    def reply(self, tweet_id: str, text: str) -> str:
        """A public reply to the tweet."""
        body = {"text": text, "reply": {"in_reply_to_tweet_id": tweet_id}}
        return self._call("POST", "2/tweets", body).get("id", "")

    def post(self, text: str) -> str:
        """A post of the account's own (a service alert)."""
        return self._call("POST", "2/tweets", {"text": text}).get("id", "")

    def hide_reply(self, tweet_id: str) -> str:
        """Hide a reply to one of the account's conversations."""
        self._call("PUT", f"2/tweets/{tweet_id}/hidden", {"hidden": True})
        return tweet_id

    def unhide_reply(self, tweet_id: str) -> str:
        """Show a hidden reply again (staff undid a hide)."""
        self._call("PUT", f"2/tweets/{tweet_id}/hidden", {"hidden": False})
        return tweet_id

    def block(self, user_id: str) -> str:
        """Block the user from the account."""
        self._call("POST", f"2/users/{self._me}/blocking", {"target_user_id": user_id})
        return user_id

    def unblock(self, user_id: str) -> str:
        """Lift a block (staff undid it)."""
        self._call("DELETE", f"2/users/{self._me}/blocking/{user_id}")
        return user_id

    def follow(self, user_id: str) -> str:
        """Follow the user, so that they can send the account a direct message (P8)."""
        self._call("POST", f"2/users/{self._me}/following", {"target_user_id": user_id})
        return user_id

    def unfollow(self, user_id: str) -> str:
        """Stop following the user."""
        self._call("DELETE", f"2/users/{self._me}/following/{user_id}")
        return user_id

    def report_spam(self, user_id: str) -> str:
        """Report the user to X as abusive or spam (API v1.1: v2 has no report call)."""
        request_json(
            self._session,
            "POST",
            f"{self._base}/1.1/users/report_spam.json",
            self._timeout,
            auth=self._auth,
            params={"user_id": user_id, "perform_block": "false"},
        )
        return user_id

    def _call(self, method: str, path: str, body: Dict[str, Any] | None = None) -> Dict[str, Any]:
        where = f"{self._base}/{path}"
        answer = request_json(
            self._session, method, where, self._timeout, auth=self._auth, json=body
        )
        data = answer.get("data")
        if not data and answer.get("errors"):
            # X answers 200 with only `errors` when it did not do what was asked.
            errors = answer["errors"] if isinstance(answer["errors"], list) else []
            types = " ".join(str(e.get("type", "")) for e in errors if isinstance(e, dict))
            raise PlatformError(
                f"{method} {where}: {str(answer['errors'])[:500]}",
                transient=any(kind in types for kind in TRANSIENT_X_ERRORS),
            )
        return data if isinstance(data, dict) else {}


def _x_time(event: Dict[str, Any]) -> datetime | None:
    """When X says an event was written ("2024-01-15T10:30:00.000Z")."""
    try:
        return datetime.fromisoformat(str(event.get("created_at")).replace("Z", "+00:00"))
    except ValueError:
        return None
