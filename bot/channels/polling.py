"""A platform that sends no webhook (YouTube): read by polling, then handled as any other.

Each Rasa server polls; the store's claim (bot.platforms.places) lets one of them read
each time. What a poll reads goes into the intake like a webhook's events (the same
checks of shape, each kept once), and only then is the place kept: a crash between
the two reads the same comments again, and the intake keeps each once. A platform
that cannot be read now (down, quota spent) is read again at the next turn.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import PlatformInput, readable
from bot.channels.runtime import ChannelRuntime, in_thread, server_started, utc_now
from bot.channels.wiring import built_runtime, shared_runtime
from bot.outbox import PlatformError
from bot.platforms.places import Poller, PollPlaces
from bot.platforms.registry import kit_for
from bot.settings import Settings

logger = logging.getLogger(__name__)
# The longest a poller sleeps between looking whether its turn has come.
LONGEST_NAP = 30.0


async def poll_once(
    runtime: ChannelRuntime, poller: Poller, places: PollPlaces, now: datetime
) -> Dict[str, Any] | None:
    """One turn: read what is new if it is this server's turn, and hand it to the intake.

    Returns what happened (for the channel's health page), or None if it was not this
    server's turn.
    """
    place = await in_thread(places.claim, poller.name, now, poller.every)
    if place is None:
        return None
    try:
        read = await in_thread(poller.read, place, now)
    except PlatformError as error:
        logger.warning("Could not read %s: %s; trying again at the next turn", poller.name, error)
        return {"at": now.isoformat(), "error": str(error)}
    events = [event for event in read.events if readable(event)]
    if len(events) < len(read.events):
        logger.warning(
            "Skipped %d unreadable %s comment(s)", len(read.events) - len(events), poller.name
        )
    accepted = await runtime.accept(events) if events else []
    await in_thread(places.save, poller.name, read.place, now)
    return {
        "at": now.isoformat(),
        "pages": read.pages,
        "read": len(events),
        "new": len(accepted),
        "stopped_early": read.stopped_early,
    }


class Polling:
    """A platform's poller inside one Rasa server: started with it, stopped with it."""

    def __init__(self, name: str, settings: Settings, clock: Callable[[], datetime]) -> None:
        self._kit = kit_for(name)
        self._name = name
        self._settings = settings
        self._clock = clock
        self._task: asyncio.Task | None = None
        # How the last turn went, for the channel's health page.
        self.last: Dict[str, Any] | None = None

    async def start(self, app, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Start polling, if the platform is on and polled."""
        poller = self._kit.poller(self._settings)
        if poller is None or self._task is not None:
            return
        runtime = await shared_runtime(app, self._settings)
        runtime.start(app, on_new_message)
        self._task = asyncio.ensure_future(self.poll_forever(runtime, poller))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def poll_forever(self, runtime: ChannelRuntime, poller: Poller) -> None:
        """Take a turn whenever one is due, until the server stops."""
        places = PollPlaces(runtime.intake.engine)
        nap = max(0.2, min(poller.every.total_seconds() / 4, LONGEST_NAP))
        while True:
            try:
                done = await poll_once(runtime, poller, places, self._clock())
                if done is not None:
                    self.last = done
            except Exception:  # the store down for a moment: the next turn tries again
                logger.exception("Polling %s failed; trying again", self._name)
            await asyncio.sleep(nap)


class PollingInput(PlatformInput):
    """A platform the assistant only polls: on with its settings, its poller started
    with the server and stopped with it. Subclasses name the platform."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(settings, clock)
        self.polling = Polling(self.name(), settings, clock)

    def missing_settings(self) -> List[str]:
        return kit_for(self.name()).missing(self.settings)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"{self.name()}_polling", __name__)
        channel = self

        @hook.listener("after_server_start")
        async def start(app, _loop) -> None:
            await server_started(app)
            await channel.polling.start(app, on_new_message)

        @hook.listener("before_server_stop")
        async def stop(app, _loop) -> None:
            await channel.polling.stop()
            runtime = built_runtime(app)
            if runtime is not None:
                await runtime.stop()

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            last = channel.polling.last
            return response.json({"status": "on" if channel.on else "off", "last": last})

        return hook
