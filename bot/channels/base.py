"""The part every connector shares: check, record, acknowledge; then process.

A webhook's POST is checked (signature, then shape), its events recorded durably, and
answered within milliseconds; processing happens afterwards (bot.channels.runtime).
A forged or unsigned request is refused with 403, a malformed one with 400, and
neither records anything. Without its settings a channel is off: it says so at
start-up and answers 503.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, Awaitable, Callable, List

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.events import InboundEvent, MalformedPayload
from bot.channels.runtime import ChannelRuntime, refuse_memory_tracker_store, utc_now
from bot.settings import Settings

logger = logging.getLogger(__name__)


class DurableInput(InputChannel, ABC):
    """A platform's webhook, with durable intake and replies through the outbox.

    Subclasses name the platform and implement `missing_settings`, `signature_valid`,
    `parse` and `challenge` (the GET handshake).
    """

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self._clock = clock
        missing = self.missing_settings()
        if missing:
            logger.warning(
                "The %s channel is off: set %s to turn it on", self.name(), ", ".join(missing)
            )

    @classmethod
    def from_credentials(cls, credentials: Any) -> InputChannel:
        # Secrets are environment variables (README, "Settings"), not credentials.yml.
        return cls(Settings.from_env())

    @property
    def on(self) -> bool:
        """Whether every setting the channel needs is there."""
        return not self.missing_settings()

    @abstractmethod
    def missing_settings(self) -> List[str]:
        """The settings this channel still needs."""

    @abstractmethod
    def signature_valid(self, request: Request) -> bool:
        """Whether the request is signed with the app's secret."""

    @abstractmethod
    def parse(self, payload: Any, now: datetime) -> List[InboundEvent]:
        """The messages in a webhook body; raises MalformedPayload."""

    @abstractmethod
    def challenge(self, request: Request) -> HTTPResponse:
        """The answer to the platform's GET handshake."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"{self.name()}_webhook", __name__)
        channel = self

        @hook.listener("after_server_start")
        async def start(app, _loop) -> None:
            await refuse_memory_tracker_store(app)
            if channel.on:
                runtime = await ChannelRuntime.for_app(app, channel.settings)
                runtime.start(app, on_new_message)

        @hook.listener("before_server_stop")
        async def stop(app, _loop) -> None:
            runtime = getattr(app.ctx, "channel_runtime", None)
            if runtime is not None:
                await runtime.stop()

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if channel.on else "off"})

        @hook.route("/webhook", methods=["GET"])
        async def handshake(request: Request) -> HTTPResponse:
            if not channel.on:
                return channel.off_response()
            return channel.challenge(request)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not channel.on:
                return channel.off_response()
            if not channel.signature_valid(request):
                logger.warning("Refused a %s webhook: bad or missing signature", channel.name())
                return response.json({"error": "invalid signature"}, status=403)
            try:
                events = channel.parse(json.loads(request.body or b""), channel._clock())
            except (ValueError, MalformedPayload) as error:
                return response.json({"error": f"malformed payload: {error}"}, status=400)
            runtime = await ChannelRuntime.for_app(request.app, channel.settings)
            accepted = await runtime.accept(events)
            return response.json({"received": len(events), "new": len(accepted)})

        return hook

    def off_response(self) -> HTTPResponse:
        """503: the channel has no settings."""
        return response.json(
            {"error": f"the {self.name()} channel is off", "missing": self.missing_settings()},
            status=503,
        )
