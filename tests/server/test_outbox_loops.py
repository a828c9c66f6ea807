"""The Rasa server's outbox loops: a reply queued wakes one of them, not all, and a burst
still goes out side by side (P12).

Every loop woken by one reply used to read the outbox for it; all but one lost the race
for it and read again. Each of those reads costs the server's CPU at every message.
"""

import asyncio
import time
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from bot.channels import runtime as runtime_module
from bot.channels.wiring import build_runtime
from bot.events import InboundEvent
from bot.settings import Settings
from scripts.fake_platforms import FakePlatforms
from tests.helpers import facebook_environ, until


@pytest.fixture
def platforms():
    with FakePlatforms() as fake:
        yield fake


@pytest.fixture
def runtime(platforms, tmp_path, monkeypatch):
    # No loop wakes by itself within a test: only a queued reply wakes one.
    monkeypatch.setattr(runtime_module, "IDLE_WAIT", 60.0)
    environ = facebook_environ(tmp_path, platforms.graph_url)
    settings = Settings.from_env(environ=environ, dotenv_path=tmp_path / "none")
    return build_runtime(settings)


def counting_claims(runtime):
    claims = []
    claim = runtime.outbox.claim

    def counted(*args, **kwargs):
        message = claim(*args, **kwargs)
        claims.append(message)
        return message

    runtime.outbox.claim = counted
    return claims


def message(psid, number):
    return InboundEvent(
        "facebook",
        "message",
        f"mid.{psid}.{number}",
        "private",
        psid,
        "hello",
        datetime.now(timezone.utc),
    )


async def started(runtime):
    """The runtime, once every outbox loop has looked once, found nothing, and waits;
    returns the outbox's reads from then on."""
    claims = counting_claims(runtime)
    runtime.start(SimpleNamespace(ctx=SimpleNamespace(agent=None)), None)
    assert await until(lambda: len(claims) >= runtime_module.OUTBOX_SENDERS, 10)
    await asyncio.sleep(0.2)
    assert claims == [None] * runtime_module.OUTBOX_SENDERS
    claims.clear()
    return claims


async def test_a_reply_wakes_one_outbox_loop(runtime, platforms):
    claims = await started(runtime)
    try:
        await runtime.enqueue_reply(message("p1", 1), "Hello from the assistant", 0)
        assert await until(lambda: platforms.texts() == ["Hello from the assistant"], 10)
        await asyncio.sleep(0.3)
    finally:
        await runtime.stop()
    # One read took the reply, one found nothing more: no loop read for it in vain.
    assert len([m for m in claims if m is not None]) == 1
    assert len(claims) == 2, f"{len(claims)} reads of the outbox for one reply"


async def test_replies_queued_together_go_out_side_by_side(runtime, platforms):
    assert runtime_module.OUTBOX_SENDERS >= 3
    await started(runtime)
    try:
        platforms.hang(0.5)  # each call takes half a second
        began = time.monotonic()
        for number in range(3):
            await runtime.enqueue_reply(message(f"p{number}", number), f"Reply {number}", 0)
        assert await until(lambda: len(platforms.texts()) == 3, 10)
        took = time.monotonic() - began
    finally:
        await runtime.stop()
    assert sorted(platforms.texts()) == ["Reply 0", "Reply 1", "Reply 2"]
    # One after another they would take 1.5 s.
    assert took < 1.2, f"three slow calls took {took:.2f} s"
