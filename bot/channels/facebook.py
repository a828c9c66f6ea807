"""Facebook: Messenger messages and postbacks, standby, and comments on the page's posts.

Registered in credentials.yml as `bot.channels.facebook.FacebookInput`; the webhook is
`/webhooks/facebook/webhook`.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any, List, Mapping

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import DurableInput
from bot.events import InboundEvent, Platform
from bot.platforms.facebook.payloads import parse_facebook
from bot.platforms.signatures import facebook_signature_valid


class FacebookInput(DurableInput):
    """The page's webhook (Messenger and the page feed)."""

    @classmethod
    def name(cls) -> str:
        return Platform.FACEBOOK.value

    def missing_settings(self) -> List[str]:
        return self.settings.facebook.missing()

    def signature_valid(self, body: bytes, headers: Mapping[str, str]) -> bool:
        header = headers.get("X-Hub-Signature-256")
        return facebook_signature_valid(body, header, self.settings.facebook.app_secret)

    def parse(self, payload: Any, now: datetime) -> List[InboundEvent]:
        page_id = str(self.settings.facebook.page_id)
        entries = payload.get("entry") if isinstance(payload, dict) else None
        if isinstance(entries, list):
            # An app can be subscribed to several pages, all signed with its one secret:
            # another page's entries are not this page's to answer (as X's for_user_id).
            payload = {**payload, "entry": [e for e in entries if _for_page(e, page_id)]}
        return parse_facebook(payload, page_id, now)

    def challenge(self, request: Request) -> HTTPResponse:
        """Meta's subscription check: echo `hub.challenge` if the verify token matches."""
        token = request.args.get("hub.verify_token") or ""
        expected = self.settings.facebook.verify_token or ""
        if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), expected.encode()
        ):
            return response.text(request.args.get("hub.challenge") or "")
        return response.json({"error": "verify token mismatch"}, status=403)


def _for_page(entry: Any, page_id: str) -> bool:
    """Whether a webhook entry is this page's; entries of an odd shape are left for
    the parser to judge."""
    return not isinstance(entry, dict) or str(entry.get("id")) == page_id
