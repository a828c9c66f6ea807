"""Instagram: direct messages and comments on the account's posts.

Registered in credentials.yml as `bot.channels.instagram.InstagramInput`; the webhook is
`/webhooks/instagram/webhook`, signed with the Meta app's secret as Facebook's is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, List, Mapping

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import DurableInput, entries_of, meta_challenge
from bot.events import InboundEvent, Platform
from bot.platforms.instagram.payloads import parse_instagram
from bot.platforms.signatures import facebook_signature_valid


class InstagramInput(DurableInput):
    """The Instagram professional account's webhook (messages and comments)."""

    @classmethod
    def name(cls) -> str:
        return Platform.INSTAGRAM.value

    def missing_settings(self) -> List[str]:
        return self.settings.instagram.missing()

    def signature_valid(self, body: bytes, headers: Mapping[str, str]) -> bool:
        header = headers.get("X-Hub-Signature-256")
        return facebook_signature_valid(body, header, self.settings.instagram.app_secret)

    def parse(self, payload: Any, now: datetime) -> List[InboundEvent]:
        account_id = str(self.settings.instagram.account_id)
        return parse_instagram(entries_of(payload, account_id), account_id, now)

    def challenge(self, request: Request) -> HTTPResponse:
        return meta_challenge(request, self.settings.instagram.verify_token)
