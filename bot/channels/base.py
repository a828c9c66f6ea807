"""The part every connector shares: check, record, acknowledge; then process.

A webhook's POST is checked (size, signature, then shape), its events recorded
durably, and answered within milliseconds; processing happens afterwards
(bot.channels.runtime). A body over MAX_BODY_BYTES is refused with 413 as soon as it
is known to be too big (by its Content-Length, or while it streams in), a forged or
unsigned request with 403, a malformed one with 400, and none records anything.
Without its settings a channel is off: it says so at start-up and answers 503.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import sys
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, Awaitable, Callable, List, Mapping, Sequence

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.runtime import server_started, utc_now
from bot.channels.wiring import built_runtime, shared_runtime
from bot.events import InboundEvent
from bot.platforms.payloads import MalformedPayload
from bot.privacy.logs import protect_logs
from bot.settings import Settings, SettingsError

logger = logging.getLogger(__name__)
# How soon a platform may send again a webhook refused while the store is unreachable.
STORE_DOWN_RETRY_SECONDS = 5
# Real webhook bodies are a few kilobytes (a Messenger batch, a long X thread of
# mentions); 1 MiB leaves room for the largest and stops a body sent to exhaust memory.
MAX_BODY_BYTES = 1024 * 1024
# Platform payloads nest about ten levels; deeper is no platform's and would reach
# Python's recursion limit in the code that reads it.
MAX_NESTING = 64


# Platform ids (page-scoped ids, mids, comment and tweet ids) are printable ASCII; the
# store keeps ids and conversation ids in 255 characters.
ID_SHAPE = re.compile(r"[!-~]{1,255}")


def readable(event: InboundEvent) -> bool:
    """Whether `event` is a message the assistant can read: text that is text (no lone
    UTF-16 surrogates, which no platform sends), and ids of a platform's shape."""
    ids = (
        event.event_id,
        event.author_id,
        event.post_id,
        event.comment_id,
        event.parent_id,
        event.tweet_id,
    )
    if not all(i is None or (isinstance(i, str) and ID_SHAPE.fullmatch(i)) for i in ids):
        return False
    if not isinstance(event.text, str) or len(event.conversation_id) > 255:
        return False
    try:
        event.text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class BodyTooLarge(Exception):
    """The request body is over MAX_BODY_BYTES."""


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body of a streamed request, read no further than `limit` bytes.

    Raises:
        BodyTooLarge: the Content-Length, or the bytes that arrived, are over `limit`.
    """
    length = request.headers.get("content-length")
    if length is not None and (not length.strip().isdigit() or int(length) > limit):
        raise BodyTooLarge()
    chunks, size = [], 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)


def load_json(body: bytes) -> Any:
    """The JSON in a webhook body.

    Raises:
        MalformedPayload: not UTF-8 JSON, or nested deeper than any platform nests.
    """
    try:
        payload = json.loads(body)
    except RecursionError:
        raise MalformedPayload("nested too deep") from None
    except (ValueError, TypeError) as error:
        raise MalformedPayload(f"not JSON: {error}") from None
    # Checked without recursion: what is read next (the parsers, json.dumps) recurses.
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_NESTING:
            raise MalformedPayload("nested too deep")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return payload


class SecretsMissing(SystemExit):
    """A secret the Rasa server needs is not set: the server must not start (P9)."""


def refuse_without_secrets(settings: Settings, argv: Sequence[str] | None = None) -> None:
    """Stop the Rasa server at start-up without the store's keys, and outside development
    without RASA_API_TOKEN or unless it was started with that token (`--auth-token` in
    `argv`, by default its own command line), naming what is missing (never a value).

    Raises:
        SecretsMissing: the message says which and how to set them.
    """
    names = ("ENCRYPTION_KEYS", "LOOKUP_KEY")
    if settings.production:
        names += ("RASA_API_TOKEN",)
    try:
        settings.require(*names)
    except SettingsError as error:
        raise SecretsMissing(f"Refusing to start the Rasa server: {error}") from error
    if not settings.production:
        return
    given = _auth_token(sys.argv if argv is None else argv)
    if given is None:
        # Without it Rasa's HTTP API (every conversation) would answer anyone.
        raise SecretsMissing(
            "Refusing to start the Rasa server: ASSISTANT_ENV=production and it was not "
            "started with --auth-token: start it with --enable-api "
            '--auth-token="$RASA_API_TOKEN" (make run does)'
        )
    if not hmac.compare_digest(given, settings.rasa_api_token or ""):
        raise SecretsMissing(
            "Refusing to start the Rasa server: its --auth-token is not RASA_API_TOKEN, "
            "so the staff app could not reach its HTTP API: give it the same token"
        )


def _auth_token(argv: Sequence[str]) -> str | None:
    """The value of `--auth-token` in a command line (`--auth-token=x` or `--auth-token x`)."""
    for position, argument in enumerate(argv):
        if argument.startswith("--auth-token="):
            return argument.split("=", 1)[1] or None
        if argument == "--auth-token" and position + 1 < len(argv):
            return argv[position + 1] or None
    return None


class PlatformInput(InputChannel, ABC):
    """A platform's channel: on with its settings, and saying at start-up what it lacks."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        protect_logs()  # made as the Rasa server starts: its logs are guarded from here (P9)
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
        # Rasa makes its channels from credentials.yml as it starts: a missing secret
        # stops it here, before it serves anything (P9).
        settings = Settings.from_env()
        refuse_without_secrets(settings)
        return cls(settings)

    @property
    def on(self) -> bool:
        """Whether every setting the channel needs is there."""
        return not self.missing_settings()

    @abstractmethod
    def missing_settings(self) -> List[str]:
        """The settings this channel still needs."""


class DurableInput(PlatformInput):
    """A platform's webhook, with durable intake and replies through the outbox.

    Subclasses name the platform and implement `missing_settings`, `signature_valid`,
    `parse` and `challenge` (the GET handshake).
    """

    @abstractmethod
    def signature_valid(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Whether `body` is signed with the app's secret, as `headers` say."""

    @abstractmethod
    def parse(self, payload: Any, now: datetime) -> List[InboundEvent]:
        """The messages in a webhook body; raises MalformedPayload."""

    @abstractmethod
    def challenge(self, request: Request) -> HTTPResponse:
        """The answer to the platform's GET handshake."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The webhook's routes, and the server's channel runtime: built by the factory
        (`wiring.build_runtime`, through `shared_runtime`) when the server starts, its
        workers started then and stopped with the server."""
        hook = Blueprint(f"{self.name()}_webhook", __name__)
        channel = self

        @hook.listener("after_server_start")
        async def start(app, _loop) -> None:
            await server_started(app)
            if channel.on:
                runtime = await shared_runtime(app, channel.settings)
                runtime.start(app, on_new_message)

        @hook.listener("before_server_stop")
        async def stop(app, _loop) -> None:
            runtime = built_runtime(app)
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

        # Streamed, so that a body too big is refused before it is read whole.
        @hook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            if not channel.on:
                return channel.off_response()
            try:
                body = await read_body(request)
            except BodyTooLarge:
                logger.warning(
                    "Refused a %s webhook: body over %d bytes", channel.name(), MAX_BODY_BYTES
                )
                return response.json({"error": "body too large"}, status=413)
            if not channel.signature_valid(body, request.headers):
                logger.warning("Refused a %s webhook: bad or missing signature", channel.name())
                return response.json({"error": "invalid signature"}, status=403)
            try:
                events = channel.parse(load_json(body), channel._clock())
            except (ValueError, RecursionError) as error:  # MalformedPayload is a ValueError
                return response.json({"error": f"malformed payload: {error}"}, status=400)
            # As with an event of an odd shape, one unreadable event does not cost the
            # others in its batch; a batch of nothing else is malformed.
            readable_events = [event for event in events if readable(event)]
            if len(readable_events) < len(events):
                logger.warning(
                    "Skipped %d unreadable %s event(s)",
                    len(events) - len(readable_events),
                    channel.name(),
                )
                if not readable_events:
                    return response.json(
                        {"error": "malformed payload: no readable event"}, status=400
                    )
            events = readable_events
            try:
                runtime = await shared_runtime(request.app, channel.settings)
                accepted = await runtime.accept(events)
            except SQLAlchemyError as error:
                # The store (PostgreSQL restarting) cannot keep them, so they are not
                # acknowledged: the platform delivers them again (P12).
                logger.error(
                    "Could not keep %d %s event(s): the store is unreachable (%s); answered "
                    "503 so that the platform sends them again",
                    len(events),
                    channel.name(),
                    type(error).__name__,
                )
                return response.json(
                    {"error": "the store is unavailable; send it again"},
                    status=503,
                    headers={"Retry-After": str(STORE_DOWN_RETRY_SECONDS)},
                )
            return response.json({"received": len(events), "new": len(accepted)})

        return hook

    def off_response(self) -> HTTPResponse:
        """503: the channel has no settings."""
        return response.json(
            {"error": f"the {self.name()} channel is off", "missing": self.missing_settings()},
            status=503,
        )


def meta_challenge(request: Request, verify_token: str | None) -> HTTPResponse:
    """Meta's subscription check (Facebook, Instagram): echo `hub.challenge` if the
    verify token matches."""
    token = request.args.get("hub.verify_token") or ""
    expected = verify_token or ""
    if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
        token.encode(), expected.encode()
    ):
        return response.text(request.args.get("hub.challenge") or "")
    return response.json({"error": "verify token mismatch"}, status=403)


def entries_of(payload: Any, account_id: str) -> Any:
    """A Meta webhook with only the entries of `account_id`.

    An app can be subscribed to several pages or accounts, all signed with its one
    secret: another's entries are not this one's to answer (as X's for_user_id).
    Entries of an odd shape are left for the parser to judge.
    """
    entries = payload.get("entry") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        return payload
    kept = [e for e in entries if not isinstance(e, dict) or str(e.get("id")) == account_id]
    return {**payload, "entry": kept}
