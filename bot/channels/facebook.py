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
from bot.channels.events import InboundEvent, parse_facebook
from bot.channels.signatures import facebook_signature_valid


class FacebookInput(DurableInput):
    """The page's webhook (Messenger and the page feed)."""

    @classmethod
    def name(cls) -> str:
        return "facebook"

    def missing_settings(self) -> List[str]:
        return self.settings.facebook.missing()

    def signature_valid(self, body: bytes, headers: Mapping[str, str]) -> bool:
        header = headers.get("X-Hub-Signature-256")
        return facebook_signature_valid(body, header, self.settings.facebook.app_secret)

    def parse(self, payload: Any, now: datetime) -> List[InboundEvent]:
        return parse_facebook(payload, str(self.settings.facebook.page_id), now)

    def challenge(self, request: Request) -> HTTPResponse:
        """Meta's subscription check: echo `hub.challenge` if the verify token matches."""
        token = request.args.get("hub.verify_token") or ""
        expected = self.settings.facebook.verify_token or ""
        if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), expected.encode()
        ):
            return response.text(request.args.get("hub.challenge") or "")
        return response.json({"error": "verify token mismatch"}, status=403)
