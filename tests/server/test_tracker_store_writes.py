"""A SQLite tracker store takes its writes one at a time within a Rasa server (P12).

SQLite lets one connection write at a time. When the server's worker threads saved
several conversations at once, each waited for the file's lock in SQLite's busy
handler, which sleeps longer at every try (up to 100 ms a time) and wakes no sooner
when the lock is free: with eight conversations at once, a save waited up to 800 ms
(`bench/tracker_writes.py` measures it). The store's writes now queue on a lock of
the process's own, and each starts as soon as the one before it ends.
"""

import asyncio
import threading
import time

from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event

from tests.helpers import encrypted_tracker_store, rasa_domain

CONVERSATIONS = 8


def watching_writes(engine) -> dict:
    """How many of the store's writes are under way at once, at most: a write runs
    from its first statement (counting what is stored) to its commit."""
    seen = {"now": 0, "most": 0}
    lock = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def started(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT COUNT(*)"):
            with lock:
                seen["now"] += 1
                seen["most"] = max(seen["most"], seen["now"])
            time.sleep(0.005)  # room for another thread's write to begin meanwhile

    @event.listens_for(engine, "commit")
    def ended(conn):
        with lock:
            seen["now"] -= 1

    return seen


def turn(tracker: DialogueStateTracker, n: int) -> None:
    tracker.update(UserUttered(f"my boiler has stopped {n}", {"name": "report_repair"}))
    tracker.update(ActionExecuted("utter_ask_repair_where"))
    tracker.update(BotUttered("Which room is it in?"))
    tracker.update(ActionExecuted("action_listen"))


async def test_conversations_saved_at_once_are_written_one_after_another(tmp_path):
    store = encrypted_tracker_store(tmp_path / "tracker.db")
    seen = watching_writes(store.engine)
    domain = rasa_domain()
    trackers = [
        DialogueStateTracker.from_events(f"facebook-private-{n}", [], slots=domain.slots)
        for n in range(CONVERSATIONS)
    ]
    for n in range(3):
        for tracker in trackers:
            turn(tracker, n)
        await asyncio.gather(*(store.save(tracker) for tracker in trackers))
    assert seen["most"] == 1
    assert seen["now"] == 0
    # Nothing is lost or doubled by the queue: every conversation reads back whole.
    for tracker in trackers:
        stored = await store.retrieve(tracker.sender_id)
        assert [e.as_dict() for e in stored.events] == [e.as_dict() for e in tracker.events]


async def test_a_failed_write_lets_the_next_one_through(tmp_path, monkeypatch):
    store = encrypted_tracker_store(tmp_path / "tracker.db")
    domain = rasa_domain()
    first = DialogueStateTracker.from_events("facebook-private-1", [], slots=domain.slots)
    second = DialogueStateTracker.from_events("facebook-private-2", [], slots=domain.slots)
    turn(first, 0)
    turn(second, 0)
    encrypt = store.data_keys.encrypt
    failing = {"left": 1}

    def fails_once(plaintext):
        if failing["left"]:
            failing["left"] -= 1
            raise OSError("disk full")
        return encrypt(plaintext)

    monkeypatch.setattr(store.data_keys, "encrypt", fails_once)
    try:
        await store.save(first)
    except OSError:
        pass
    else:
        raise AssertionError("the failing write should have raised")
    await asyncio.wait_for(store.save(second), timeout=10)
    assert len((await store.retrieve("facebook-private-2")).events) == 4
    assert await store.retrieve("facebook-private-1") is None
