"""The intake loop in one Rasa server: nothing accepted is lost, and no conversation
holds up another (P12).

The loop runs on a real store with the dialogue played by a small stand-in, so a
test can make one message slow or failing and watch what happens to the others.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import OperationalError

from bot.channels.wiring import build_runtime
from bot.events import InboundEvent
from bot.intake import IntakeStore
from bot.settings import Settings
from tests.helpers import ROOT, settings_keys, until


def message(author, text, number):
    return InboundEvent(
        "facebook",
        "message",
        f"mid.{author}.{number}",
        "private",
        author,
        text,
        datetime.now(timezone.utc),
    )


class Trackers:
    async def retrieve(self, _conversation_id):
        return None


@dataclass
class Agent:
    """Reads every message as a greeting; the dialogue is the test's on_new_message."""

    tracker_store: Trackers = Trackers()

    def is_ready(self):
        return True

    async def parse_message(self, text):
        return {"text": text, "intent": {"name": "greet", "confidence": 0.99}, "entities": []}


class BrokenStore(IntakeStore):
    """An intake whose database fails while a failed event is being recorded."""

    def __init__(self, engine):
        super().__init__(engine)
        self.failures_recorded = 0

    def failed(self, claimed, now, error):
        self.failures_recorded += 1
        raise OperationalError("UPDATE inbound_events", {}, Exception("database is locked"))


@pytest.fixture
def runtime(tmp_path):
    settings = Settings(
        ROOT / "association.yml", database_url=f"sqlite:///{tmp_path / 's.db'}", **settings_keys()
    )
    return build_runtime(settings)


async def test_a_database_error_while_recording_a_failure_does_not_stop_the_intake(runtime):
    broken = BrokenStore(runtime.intake._engine)
    runtime.intake = broken
    answered = []

    async def dialogue(user_message):
        if user_message.text == "this one fails":
            raise RuntimeError("the dialogue failed")
        answered.append(user_message.text)

    runtime.start(SimpleNamespace(ctx=SimpleNamespace(agent=Agent())), dialogue)
    try:
        await runtime.accept([message("a", "this one fails", 1)])
        assert await until(lambda: broken.failures_recorded >= 1, 10)
        await runtime.accept([message("b", "hello", 1), message("c", "hello again", 1)])
        assert await until(lambda: len(answered) == 2, 10), "the intake stopped"
    finally:
        await runtime.stop()


async def test_one_slow_conversation_does_not_hold_up_the_others(runtime):
    release = asyncio.Event()
    answered = []

    async def dialogue(user_message):
        if user_message.text == "a very slow one":
            await release.wait()
        answered.append(user_message.sender_id)

    runtime.start(SimpleNamespace(ctx=SimpleNamespace(agent=Agent())), dialogue)
    try:
        await runtime.accept([message("slow", "a very slow one", 1)])
        await asyncio.sleep(1.5)
        await runtime.accept([message("other", "hello", 1)])
        await runtime.accept([message("other", "are you there", 2)])
        others = "facebook-private-other"
        assert await until(lambda: answered.count(others) == 2, 10)
        assert "facebook-private-slow" not in answered
    finally:
        release.set()
        await runtime.stop()


def test_a_long_backlog_in_one_conversation_leaves_the_others_claimable(tmp_path):
    settings = Settings(
        ROOT / "association.yml", database_url=f"sqlite:///{tmp_path / 's.db'}", **settings_keys()
    )
    intake = build_runtime(settings).intake
    now = datetime.now(timezone.utc)
    intake.accept([message("busy", f"message {n}", n) for n in range(600)], now)
    intake.accept([message("emergency", "i can smell gas", 1)], now)
    claimed = [c.event.author_id for c in intake.claim(now)]
    assert sorted(claimed) == ["busy", "emergency"]
