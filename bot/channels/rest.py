"""The REST channel, for local chat only: off unless REST_CHANNEL=on (`make run` sets it).

Registered in credentials.yml as `bot.channels.rest.LocalRestInput`; it serves
`/webhooks/rest/webhook` as Rasa's REST channel does, with three differences, so that
no one can pass for a platform account through it (P4):

- every conversation is `rest-<sender>`: platform conversations are named
  `<platform>-<surface>-<author>` (bot.events), so the two never meet;
- the input channel is always `rest`, whatever the body says;
- metadata from the body is dropped: only a connector names a platform, a surface
  or an author.

Off, it answers 404, as if it were not there.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    UserMessage,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import MAX_BODY_BYTES
from bot.settings import Settings

logger = logging.getLogger(__name__)
SENDER_PREFIX = "rest-"
# Rasa's SQL tracker store keeps a conversation id in 255 characters.
SENDER_SHAPE = re.compile(r"[!-~]{1,200}")


def rest_conversation_id(sender: str) -> str:
    """The conversation a REST message from `sender` belongs to."""
    return f"{SENDER_PREFIX}{sender}"


class LocalRestInput(InputChannel):
    """Rasa's REST channel for local chat, which can never carry a platform identity."""

    def __init__(self, on: bool) -> None:
        self.on = on
        if not on:
            logger.info("The REST channel is off: set REST_CHANNEL=on for local chat")

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Any) -> InputChannel:
        # Whether it is on is a setting (README, "Settings"), not a credential.
        return cls(Settings.from_env().rest_channel)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("local_rest_webhook", __name__)
        channel = self

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if not channel.on:
                return channel.off_response()
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not channel.on:
                return channel.off_response()
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.json({"error": "body too large"}, status=413)
            try:
                body = json.loads(request.body or b"")
            except (ValueError, RecursionError):
                body = None
            if not isinstance(body, dict):
                return response.json({"error": "the body must be a JSON object"}, status=400)
            sender, text = body.get("sender", "default"), body.get("message")
            if not isinstance(text, str) or not (
                isinstance(sender, str) and SENDER_SHAPE.fullmatch(sender)
            ):
                return response.json(
                    {
                        "error": "'message' must be a string, and 'sender', if given, up to "
                        "200 printable ASCII characters with no spaces"
                    },
                    status=400,
                )
            collector = CollectingOutputChannel()
            # No input_channel or metadata from the body: see the module docstring.
            message = UserMessage(
                text, collector, rest_conversation_id(sender), input_channel=channel.name()
            )
            try:
                await on_new_message(message)
            except Exception:  # as Rasa's REST channel: the replies so far, and a log
                logger.exception("A REST message could not be handled")
            return response.json(collector.messages)

        return hook

    def off_response(self) -> HTTPResponse:
        """404: the channel is off, as if it were not there."""
        return response.json({"error": "not found"}, status=404)
