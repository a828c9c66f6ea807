"""LinkedIn: comments on the organization's posts.

Registered in credentials.yml as `bot.channels.linkedin.LinkedInInput`. Where the
association has a LinkedIn webhook (LINKEDIN_WEBHOOK=on), its organization social
action notifications come to `/webhooks/linkedin/webhook`, signed with the app's
client secret; otherwise the page's newest posts are polled for new comments. Off
without its LINKEDIN_ settings. `GET /webhooks/linkedin/polling` says how it reads and
how its last poll went.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Awaitable, Callable, List, Mapping

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import DurableInput
from bot.channels.polling import Polling
from bot.channels.runtime import utc_now
from bot.events import InboundEvent, Platform
from bot.platforms.linkedin.payloads import parse_notifications
from bot.platforms.linkedin.signature import challenge_response, linkedin_signature_valid
from bot.settings import Settings


class LinkedInInput(DurableInput):
    """The organization's page: its webhook, or its poller."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(settings, clock)
        self.polling = Polling(self.name(), settings, clock)

    @classmethod
    def name(cls) -> str:
        return Platform.LINKEDIN.value

    def missing_settings(self) -> List[str]:
        return self.settings.linkedin.missing()

    def signature_valid(self, body: bytes, headers: Mapping[str, str]) -> bool:
        secret = self.settings.linkedin.client_secret
        return linkedin_signature_valid(body, headers.get("X-LI-Signature"), secret)

    def parse(self, payload: Any, now: datetime) -> List[InboundEvent]:
        organization = f"urn:li:organization:{self.settings.linkedin.organization_id}"
        return parse_notifications(payload, organization, now)

    def challenge(self, request: Request) -> HTTPResponse:
        code = request.args.get("challengeCode") or ""
        secret = self.settings.linkedin.client_secret
        if not code or not secret:
            return response.json({"error": "no challengeCode, or no client secret"}, status=400)
        return response.json(
            {"challengeCode": code, "challengeResponse": challenge_response(code, secret)}
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = super().blueprint(on_new_message)
        polling, channel = self.polling, self

        @hook.listener("after_server_start")
        async def start_polling(app, _loop) -> None:
            await polling.start(app, on_new_message)

        @hook.listener("before_server_stop")
        async def stop_polling(app, _loop) -> None:
            await polling.stop()

        @hook.route("/polling", methods=["GET"])
        async def polled(request: Request) -> HTTPResponse:
            mode = "webhook" if channel.settings.linkedin.webhook else "polling"
            on = "on" if channel.on else "off"
            return response.json({"status": on, "mode": mode, "last": polling.last})

        return hook
