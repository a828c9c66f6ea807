"""The tracker writes benchmark (bench/tracker_writes.py) saves conversations at once,
with the store's writes queued and with SQLite's lock alone, and loses none."""

import asyncio
import contextlib
import threading

from bench.tracker_writes import run, store_on


def test_both_ways_save_every_turn_of_every_conversation(tmp_path):
    for queued in (False, True):
        store = store_on(tmp_path / f"tracker-{queued}.db", queued)
        assert isinstance(store.writing, type(threading.Lock())) == queued
        assert isinstance(store.writing, contextlib.nullcontext) != queued
        saves, rate = asyncio.run(run(store, conversations=3, turns=2))
        assert len(saves) == 6 and rate > 0
        for n in range(3):
            stored = asyncio.run(store.retrieve(f"bench-{n}"))
            assert sum(e.type_name == "user" for e in stored.events) == 2
