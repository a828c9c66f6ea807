"""X: direct messages and mentions, from the Account Activity webhook.

Registered in credentials.yml as `bot.channels.twitter.TwitterInput`; the webhook is
`/webhooks/twitter/webhook`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, List, Mapping

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import DurableInput
from bot.events import InboundEvent, Platform
from bot.platforms.signatures import (
    crc_token_acceptable,
    twitter_crc_response,
    twitter_signature_valid,
)
from bot.platforms.x.payloads import parse_twitter


class TwitterInput(DurableInput):
    """The X account's webhook."""

    @classmethod
    def name(cls) -> str:
        return Platform.TWITTER.value

    def missing_settings(self) -> List[str]:
        return self.settings.twitter.missing()

    def signature_valid(self, body: bytes, headers: Mapping[str, str]) -> bool:
        header = headers.get("x-twitter-webhooks-signature")
        return twitter_signature_valid(body, header, self.settings.twitter.consumer_secret)

    def parse(self, payload: Any, now: datetime) -> List[InboundEvent]:
        events = parse_twitter(payload, now)
        if str(payload.get("for_user_id")) != str(self.settings.twitter.user_id):
            return []  # another account's activity: not ours to answer
        return events

    def challenge(self, request: Request) -> HTTPResponse:
        """X's challenge-response check."""
        tokens = request.args.getlist("crc_token") or []
        if len(tokens) != 1 or not crc_token_acceptable(tokens[0]):
            # A token of any other shape could be a body to sign: see signatures.py.
            return response.json({"error": "a crc_token of X's shape is required"}, status=400)
        return response.json(twitter_crc_response(tokens[0], self.settings.twitter.consumer_secret))
