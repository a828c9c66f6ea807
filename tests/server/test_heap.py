"""A Rasa server, once started with its model, keeps what it holds out of Python's full
garbage collections (bot/channels/heap.py, P12: speed)."""

import asyncio
import gc
from types import SimpleNamespace

import pytest

from bot.channels import heap, runtime


class Agent:
    def __init__(self, ready: bool) -> None:
        self.ready = ready

    def is_ready(self) -> bool:
        return self.ready


@pytest.fixture(autouse=True)
def thawed(monkeypatch):
    monkeypatch.setattr(heap, "_frozen", False)
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_loaded_model_is_frozen_once_and_what_comes_after_is_collected():
    held = [object() for _ in range(1000)]
    assert heap.freeze_loaded_model(Agent(ready=True))
    assert gc.get_freeze_count() >= len(held)
    assert not heap.freeze_loaded_model(Agent(ready=True))  # once a process

    collected = []

    class Cycle:
        def __del__(self) -> None:
            collected.append(True)

    made_later = Cycle()
    made_later.me = made_later
    del made_later
    gc.collect()
    assert collected == [True]


@pytest.mark.parametrize("agent", [None, Agent(ready=False)])
def test_nothing_is_frozen_before_the_model_is_loaded(agent):
    assert not heap.freeze_loaded_model(agent)
    assert gc.get_freeze_count() == 0


def test_every_channel_server_freezes_its_model_as_it_starts(monkeypatch):
    async def configured_store(_app):
        return None

    monkeypatch.setattr(runtime, "refuse_memory_tracker_store", configured_store)
    app = SimpleNamespace(ctx=SimpleNamespace(agent=Agent(ready=True)))
    asyncio.run(runtime.server_started(app))
    assert gc.get_freeze_count() > 0
