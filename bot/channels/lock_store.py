"""A Redis lock store whose every change of a lock is one atomic step, for two or more
Rasa servers sharing conversations (the cluster profile, P12).

Rasa's own `RedisLockStore` changes a conversation's ticket lock by reading it, changing
it in the server's memory and writing it back. Two servers issuing tickets for the same
conversation at once can both read the same lock: both get the same ticket number, or
one's ticket is overwritten by the other's write, and both then take the conversation
at once. Each saves its turn into a tracker it read before the other saved, and one
turn's events are lost (tests/cluster found it: a message and its replies missing).

Here each change (issue a ticket, drop expired ones, finish serving, clean up) runs in a
Redis transaction on the lock's key (WATCH, then MULTI/EXEC): when another server
changed the lock in between, the step is done again on what is there now. The lock's
format and key are Rasa's, so servers can move to it one at a time.

Every Redis call runs in a thread of the lock store's own (REDIS_THREADS): a Redis that
is slow or does not answer holds up the conversations waiting for their locks (until
the socket times out), not the event loop, nor the worker threads that record webhooks
and read and write the store.

endpoints.yml:
    lock_store:
      type: bot.channels.lock_store.AtomicRedisLockStore
      url: <redis host>
      port: 6379
      db: 0
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, AsyncGenerator, Callable, Tuple

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

# The lock store's own threads for its Redis calls.
REDIS_THREADS = 4
# What a step does with the lock's key: write the lock, delete it, or leave it.
SET, DELETE, KEEP = "set", "delete", "keep"
Step = Callable[[TicketLock | None], Tuple[str, TicketLock | None, Any]]


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store, with each change of a lock made atomically."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        """From endpoints.yml's `lock_store` (as Rasa builds a lock store named by its
        module path), or from RedisLockStore's own arguments."""
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)
        self._threads = ThreadPoolExecutor(REDIS_THREADS, thread_name_prefix="redis-lock")

    async def _in_thread(self, function: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, partial(function, *args))

    async def _issue_ticket(self, conversation_id: str, lock_lifetime: float) -> int:
        """`issue_ticket` in a thread; a ticket issued for a task cancelled meanwhile
        is given back, so that it does not hold the conversation until it expires."""
        loop = asyncio.get_running_loop()
        issuing = loop.run_in_executor(
            self._threads, partial(self.issue_ticket, conversation_id, lock_lifetime)
        )
        try:
            return await asyncio.shield(issuing)
        except asyncio.CancelledError:

            def give_back(issued: asyncio.Future) -> None:
                if not issued.cancelled() and issued.exception() is None:
                    self._threads.submit(self.cleanup, conversation_id, issued.result())

            issuing.add_done_callback(give_back)
            raise

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's `LockStore.lock`, with each call to Redis made in a worker thread.

        Raises:
            LockError: Redis failed, or the lock expired while waiting for it.
        """
        ticket = await self._issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            await self._in_thread(self.cleanup, conversation_id, ticket)

    async def _acquire_lock(
        self, conversation_id: str, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        while True:
            # Read again each time: the lock may have expired meanwhile.
            lock = await self._in_thread(self.get_lock, conversation_id)
            if not lock:
                break
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)
            await self._in_thread(self.update_lock, conversation_id)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The conversation's lock, if it has one.

        Raises:
            LockError: Redis could not be reached.
        """
        try:
            return super().get_lock(conversation_id)
        except redis.RedisError as error:
            raise LockError(f"The lock store (Redis) failed: {error}") from error

    def _atomically(self, conversation_id: str, step: Step) -> Any:
        """Run `step` on the conversation's lock as one change; its result.

        Raises:
            LockError: Redis could not be reached (the intake then keeps the message
                waiting until it can, bot/channels/runtime.py).
        """
        key = self.key_prefix + conversation_id
        try:
            with self.red.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch(key)
                        raw = pipe.get(key)
                        lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                        action, changed, result = step(lock)
                        pipe.multi()
                        if action == SET:
                            pipe.set(key, changed.dumps())
                        elif action == DELETE:
                            pipe.delete(key)
                        pipe.execute()
                        return result
                    except redis.WatchError:
                        continue  # another server changed the lock meanwhile: again
        except redis.RedisError as error:
            raise LockError(f"The lock store (Redis) failed: {error}") from error

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket for the conversation, never one another server also holds."""

        def step(lock: TicketLock | None) -> Tuple[str, TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return SET, lock, lock.issue_ticket(lock_lifetime)

        return self._atomically(conversation_id, step)

    def _change(self, conversation_id: str, change: Callable[[TicketLock], str]) -> None:
        """Apply `change` to the conversation's lock, where it has one; `change` says
        whether the lock is then kept (SET) or deleted (DELETE)."""

        def step(lock: TicketLock | None) -> Tuple[str, TicketLock | None, None]:
            if lock is None:
                return KEEP, None, None
            action = change(lock)
            return action, lock if action == SET else None, None

        self._atomically(conversation_id, step)

    def update_lock(self, conversation_id: str) -> None:
        """Drop the conversation's expired tickets."""

        def drop_expired(lock: TicketLock) -> str:
            lock.remove_expired_tickets()
            return SET

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket `ticket_number` from the conversation's lock."""

        def remove_ticket(lock: TicketLock) -> str:
            lock.remove_ticket_for(ticket_number)
            return SET

        self._change(conversation_id, remove_ticket)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket, and the lock with it when no other ticket waits."""

        def remove_ticket_and_idle_lock(lock: TicketLock) -> str:
            lock.remove_ticket_for(ticket_number)
            return SET if lock.is_someone_waiting() else DELETE

        self._change(conversation_id, remove_ticket_and_idle_lock)
