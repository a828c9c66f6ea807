"""The atomic Redis lock store against a real Redis: servers that share conversations
never hold one conversation's lock at the same time (bot/channels/lock_store.py).

Each "server" is a lock store of its own (its own connection), in a thread with its
own event loop, as two Rasa servers are. Run through `make cluster-test`.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import make_url

from bot.channels.lock_store import AtomicRedisLockStore
from tests.helpers import in_threads

REDIS = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS, reason="needs TEST_REDIS_URL: run `make cluster-test`")


def server_store() -> AtomicRedisLockStore:
    """One server's lock store, built from endpoints.yml's settings as Rasa builds it."""
    url = make_url(REDIS)
    config = EndpointConfig(
        url=url.host,
        type="bot.channels.lock_store.AtomicRedisLockStore",
        port=url.port,
        db=int(url.database or 0),
    )
    return AtomicRedisLockStore(endpoint_config=config)


def test_two_servers_issuing_tickets_at_once_never_get_the_same_one():
    conversation = f"tickets-{uuid.uuid4().hex}"
    issued = {0: [], 1: []}
    stores = [server_store(), server_store()]

    def issue(store):
        mine = issued[stores.index(store)]
        for _ in range(150):
            mine.append(store.issue_ticket(conversation, lock_lifetime=600))

    in_threads(issue, stores)
    every = issued[0] + issued[1]
    assert len(set(every)) == len(every) == 300
    # And every one is still in the lock: none was overwritten by the other server.
    lock = stores[0].get_lock(conversation)
    assert sorted(t.number for t in lock.tickets) == sorted(every)


def test_two_servers_never_hold_one_conversations_lock_at_the_same_time():
    conversation = f"exclusive-{uuid.uuid4().hex}"
    holders, overlaps, turns = [], [], {"count": 0}
    stores = [server_store(), server_store()]

    def serve(store):
        async def turns_of_this_server():
            for _ in range(15):
                async with store.lock(conversation, wait_time_in_seconds=0.01):
                    holders.append(store)
                    if len(holders) > 1:
                        overlaps.append(len(holders))
                    seen = turns["count"]
                    await asyncio.sleep(0.005)  # a turn's work, between read and save
                    turns["count"] = seen + 1
                    holders.remove(store)

        asyncio.run(turns_of_this_server())

    started = time.monotonic()
    in_threads(serve, stores)
    assert not overlaps
    assert turns["count"] == 30, "a turn was lost: both held the lock at once"
    # The lock is gone once nobody waits, as with Rasa's own store.
    assert stores[0].get_lock(conversation) is None
    assert time.monotonic() - started < 60
