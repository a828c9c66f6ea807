"""Conversations are never kept only in memory (P12): Rasa's fallbacks are refused."""

from types import SimpleNamespace

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.dialogue import TrackerStoreMissing, insist_on_the_tracker_store


class Unreachable(TrackerStore):
    """A store whose database has gone away."""

    async def save(self, tracker):
        raise ConnectionError("the database went away")

    async def retrieve(self, sender_id):
        raise ConnectionError("the database went away")

    async def keys(self):
        raise ConnectionError("the database went away")


def test_an_in_memory_store_stops_the_server_and_says_why():
    agent = SimpleNamespace(
        tracker_store=FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty()))
    )
    with pytest.raises(TrackerStoreMissing, match="bot.missing.Store"):
        insist_on_the_tracker_store(agent, "bot.missing.Store")


async def test_a_failing_store_raises_instead_of_keeping_the_conversation_in_memory():
    store = FailSafeTrackerStore(Unreachable(Domain.empty()))
    insist_on_the_tracker_store(SimpleNamespace(tracker_store=store), "x")
    with pytest.raises(ConnectionError):
        await store.save(DialogueStateTracker("tenant-1", []))
    with pytest.raises(ConnectionError):
        await store.retrieve("tenant-1")
