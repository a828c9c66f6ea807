"""Facebook: Messenger messages and postbacks, standby, and comments on the page's posts.

Registered in credentials.yml as `bot.channels.facebook.FacebookInput`; the webhook is
`/webhooks/facebook/webhook`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, List, Mapping

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import DurableInput, entries_of, meta_challenge
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
        return parse_facebook(entries_of(payload, page_id), page_id, now)

    def challenge(self, request: Request) -> HTTPResponse:
        return meta_challenge(request, self.settings.facebook.verify_token)
