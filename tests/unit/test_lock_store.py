"""The atomic Redis lock store when Redis cannot be reached: a clear LockError, which
the intake answers by keeping the message waiting (tests/server/test_set_aside.py).
Its behaviour against a real Redis is in tests/cluster/test_lock_store.py."""

import asyncio
import socket
import threading
import time
from contextlib import contextmanager

import pytest
from rasa.core.lock_store import LockError
from rasa.utils.endpoints import EndpointConfig

from bot.channels.lock_store import AtomicRedisLockStore


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unreachable():
    config = EndpointConfig(
        url="127.0.0.1",
        type="bot.channels.lock_store.AtomicRedisLockStore",
        port=closed_port(),
        db=0,
    )
    return AtomicRedisLockStore(endpoint_config=config)


def test_it_is_built_from_endpoints_settings_as_rasa_builds_a_named_lock_store(unreachable):
    kwargs = unreachable.red.connection_pool.connection_kwargs
    assert kwargs["host"] == "127.0.0.1" and kwargs["db"] == 0


@pytest.mark.parametrize(
    "change",
    [
        lambda store: store.issue_ticket("c1"),
        lambda store: store.update_lock("c1"),
        lambda store: store.finish_serving("c1", 1),
        lambda store: store.cleanup("c1", 1),
        lambda store: store.get_lock("c1"),
    ],
)
def test_every_change_says_clearly_that_the_lock_store_failed(unreachable, change):
    with pytest.raises(LockError, match="lock store"):
        change(unreachable)


async def test_taking_a_conversation_fails_with_a_lock_error(unreachable):
    with pytest.raises(LockError):
        async with unreachable.lock("c1"):
            pass


@contextmanager
def black_hole():
    """A port that takes connections and never answers: a Redis that hangs."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(16)
        yield listening.getsockname()[1]


async def test_a_redis_that_does_not_answer_holds_up_its_conversation_not_the_event_loop():
    with black_hole() as port:
        config = EndpointConfig(
            url="127.0.0.1",
            type="bot.channels.lock_store.AtomicRedisLockStore",
            port=port,
            db=0,
            socket_timeout=2,
        )
        store = AtomicRedisLockStore(endpoint_config=config)
        ticks = 0

        async def other_conversations() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        ticker = asyncio.create_task(other_conversations())
        with pytest.raises(LockError, match="lock store"):
            async with store.lock("c1"):
                pass
        ticker.cancel()
    # Redis kept the lock waiting for its 2 s timeout; the loop went on meanwhile.
    assert ticks >= 20


async def test_conversations_waiting_on_a_silent_redis_leave_the_worker_threads_free():
    """Webhooks are recorded, and the store read, in the loop's worker threads: locks
    waiting on Redis use the lock store's own threads, however many wait."""
    with black_hole() as port:
        config = EndpointConfig(url="127.0.0.1", port=port, db=0, socket_timeout=2)
        store = AtomicRedisLockStore(endpoint_config=config)

        async def take(conversation: str) -> None:
            async with store.lock(conversation):
                pass

        waiting = [asyncio.create_task(take(f"c{n}")) for n in range(12)]
        await asyncio.sleep(0.2)
        # A store call of another conversation, in a worker thread, is not held up.
        assert await asyncio.wait_for(asyncio.to_thread(lambda: "recorded"), 1) == "recorded"
        results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(result, LockError) for result in results), results


async def test_a_ticket_issued_for_a_task_cancelled_meanwhile_is_given_back(unreachable):
    given_back, issued = [], threading.Event()

    def slow_issue(conversation_id, lock_lifetime):
        time.sleep(0.3)  # Redis answering slowly
        issued.set()
        return 7

    unreachable.issue_ticket = slow_issue
    unreachable.cleanup = lambda conversation_id, ticket: given_back.append(
        (conversation_id, ticket)
    )

    async def take() -> None:
        async with unreachable.lock("c1"):
            pass

    task = asyncio.create_task(take())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(issued.wait, 2)
    await asyncio.sleep(0.2)
    assert given_back == [("c1", 7)]
