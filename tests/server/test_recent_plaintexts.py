"""The tracker store decrypts only the rows it has not seen lately, and what it serves is
always what the database holds now: a row erased or rewritten is never read from memory,
and a conversation left alone leaves the server's memory (P9)."""

import json
import sqlite3

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.tracker_store import RecentPlaintexts
from bot.keys import DataKeys
from bot.protection.conversations import TrackerEvents, engine_for
from tests.helpers import ROOT, encrypted_tracker_store, until

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
SENDER = "facebook-private-1"


class CountingKeys:
    """Data keys that count the rows they decrypt."""

    def __init__(self, keys: DataKeys) -> None:
        self.keys = keys
        self.decrypted = 0

    def decrypt(self, stored: str) -> str:
        self.decrypted += 1
        return self.keys.decrypt(stored)

    def __getattr__(self, name):
        return getattr(self.keys, name)


def texts(tracker):
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


async def test_a_turn_decrypts_only_the_rows_it_has_not_seen(tmp_path):
    keys = CountingKeys(DataKeys.ephemeral())
    path = tmp_path / "tracker.db"
    one, other = (
        encrypted_tracker_store(path, keys),
        encrypted_tracker_store(path, keys),
    )  # two Rasa servers
    await one.save(
        DialogueStateTracker.from_events(
            SENDER, [UserUttered("hello", {"name": "greet"})], slots=DOMAIN.slots
        )
    )
    assert texts(await one.retrieve(SENDER)) == ["hello"]
    assert keys.decrypted == 0  # it wrote them

    tracker = await other.retrieve(SENDER)
    assert keys.decrypted == 1  # the other server had not seen them
    tracker.update(UserUttered("my tap is leaking", {"name": "report_repair"}))
    await other.save(tracker)

    keys.decrypted = 0
    assert texts(await one.retrieve(SENDER)) == ["hello", "my tap is leaking"]
    assert keys.decrypted == 1  # the row the other server wrote, alone


async def test_a_row_rewritten_or_erased_is_read_as_the_database_has_it_now(tmp_path):
    keys = DataKeys.ephemeral()
    path = tmp_path / "tracker.db"
    store = encrypted_tracker_store(path, keys)
    await store.save(
        DialogueStateTracker.from_events(
            SENDER, [UserUttered("Margaret Thompson", {"name": "inform"})], slots=DOMAIN.slots
        )
    )
    assert texts(await store.retrieve(SENDER)) == ["Margaret Thompson"]

    rewritten = UserUttered("[hidden]", {"name": "inform"}).as_dict()
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE events SET data = ? WHERE type_name = 'user'",
            (keys.encrypt(json.dumps(rewritten)),),
        )
    assert texts(await store.retrieve(SENDER)) == ["[hidden]"]

    TrackerEvents(engine_for(f"sqlite:///{path}"), keys).erase(SENDER)
    assert await store.retrieve(SENDER) is None
    assert not store.plaintexts.holds(SENDER)


def upper(calls):
    def decrypt(stored):
        calls.append(stored)
        return stored.upper()

    return decrypt


async def test_a_conversation_left_alone_leaves_memory():
    plaintexts, calls = RecentPlaintexts(idle_seconds=0.2), []
    assert plaintexts.read(SENDER, ["a", "b"], upper(calls)) == ["A", "B"]
    assert plaintexts.read(SENDER, ["a", "b", "c"], upper(calls)) == ["A", "B", "C"]
    assert calls == ["a", "b", "c"]

    assert await until(lambda: not plaintexts.holds(SENDER), seconds=5)
    assert plaintexts.read(SENDER, ["a"], upper(calls)) == ["A"]
    assert calls[-1] == "a"  # decrypted again


def test_past_the_bound_the_least_recent_conversations_go():
    plaintexts, calls = RecentPlaintexts(max_entries=3), []
    plaintexts.read("first", ["a", "b"], upper(calls))
    plaintexts.read("second", ["c"], upper(calls))
    plaintexts.read("first", ["a", "b"], upper(calls))  # used again: now the most recent
    plaintexts.written("third", {"d": "D"})
    assert plaintexts.holds("first") and plaintexts.holds("third")
    assert not plaintexts.holds("second")


def test_rows_with_the_same_text_are_each_returned():
    # Rows stored before encryption are their own plaintext, and may repeat.
    plaintexts, calls = RecentPlaintexts(), []
    assert plaintexts.read(SENDER, ["a", "a"], upper(calls)) == ["A", "A"]
    assert calls == ["a"]
