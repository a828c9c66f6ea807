"""Rasa's SQL tracker store, encrypted at rest, with security answers masked (P4, P9).

An adapter to Rasa, like the channel connectors: endpoints.yml names it as the
tracker store type (`bot.channels.tracker_store.EncryptedSQLTrackerStore`), with the
same settings as Rasa's own `SQL` type, on SQLite or PostgreSQL. Each event's `data` is
stored as `DataKeys.encrypt` of its JSON, under the keys of the process's settings
(ENCRYPTION_KEYS); `intent_name` and `action_name` are left empty, but for the mark of
a sealed security answer; the other columns are Rasa's (bot/protection/conversations.py
reads and removes them as plain SQL). Rows written before encryption are still read. Without
keys the Rasa server refuses to start: it never falls back to a store in memory.

The masking itself is `bot.tenancy.masking`. Once an identity check is over, the sealed
answers it kept in the conversation's history are rewritten to the masked marker: the
shared key that sealed them would otherwise open them for as long as the history is kept.

Rasa's own SQL store runs its queries inside its async methods, on the event loop:
one slow query there delays every conversation the server holds. Here each query
runs in a worker thread, so the loop goes on answering other tenants meanwhile.

A conversation erased (bot/protection) while the server holds it in memory for a turn
is not written back when the turn ends: Rasa would write it whole again.

Decrypting every event of a conversation at every turn cost more than anything else
the store did (a turn of a 100-message conversation decrypts about 900 events): the
rows a server read or wrote lately are kept decrypted, by their stored text, in
`RecentPlaintexts`, and only rows it has not seen are decrypted. A row erased or
rewritten is never served from there (P9): see the class.

SQLite lets one connection write at a time, and a connection that finds the file
locked waits in SQLite's busy handler, which sleeps longer at every try (up to 100 ms)
and does not wake when the lock is freed. With eight conversations at once the server's
worker threads met there at nearly every save, and a save waited up to 800 ms: on
SQLite the store's writes queue on a lock of the process's own instead, where each
starts as soon as the one before it ends (`bench/tracker_writes.py`).

Reading a conversation also marks the turn it serves: when that conversation waits
for the answer to a security question, every log line of the turn is withheld (P5).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import threading
import time
from collections import OrderedDict
from contextvars import ContextVar
from typing import Any, Callable, Iterable, Mapping

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker

from bot.channels import action_responses, event_classes, past_states, slot_copies
from bot.channels.dialogue import TrackerStoreMissing
from bot.keys import DataKeys
from bot.privacy.logs import protect_logs
from bot.protection.conversations import (
    ends_identity_check,
    erase_deleted_content,
    hide_sealed_answers,
    sealed_answer_mark,
)
from bot.settings import Settings, SettingsError
from bot.store import KeyHolder, connect, pool_options
from bot.tenancy.masking import (
    awaits_security_answer,
    mark_turn,
    mask_security_answers,
    withhold_answers_from_logs,
)

logger = logging.getLogger(__name__)


# How many events of each conversation this task's turn read from the store (its latest
# session): an erasure during the turn is seen at the save by there being fewer now.
_read_in_turn: ContextVar[Mapping[str, int] | None] = ContextVar(
    "tracker_events_read", default=None
)


class RecentPlaintexts:
    """The rows of the conversations read or written lately, decrypted, by stored text.

    What a read returns is always exactly the rows the database returned, decrypted:
    a conversation's entries are replaced at each read by the rows of that read, so a
    row erased is dropped, and a row rewritten (a sealed answer hidden, a key rotated)
    is new text, decrypted afresh. The plaintext stays in the server's memory about as
    long as Rasa holds it for a turn, plus `idle_seconds`: a conversation not read or
    written for that long is dropped whole (P9), by a thread that runs while anything
    is kept; past `max_entries` rows in all, the least recent conversations go. Safe to
    share between the store's worker threads.
    """

    def __init__(self, idle_seconds: float = 120.0, max_entries: int = 20_000) -> None:
        self._idle_seconds = idle_seconds
        self._max_entries = max_entries
        self._lock = threading.Lock()
        # Least recent first: conversation id -> (last used, stored text -> plaintext).
        self._conversations: OrderedDict[str, tuple[float, dict[str, str]]] = OrderedDict()
        self._entries = 0
        self._sweeper: threading.Thread | None = None

    def read(
        self, sender_id: str, stored: Iterable[str], decrypt: Callable[[str], str]
    ) -> list[str]:
        """Each of `stored` (one conversation's rows) decrypted, `decrypt` only for the
        rows not seen lately."""
        known = self._take(sender_id)
        seen: dict[str, str] = {}
        plaintexts = []
        for data in stored:
            plaintext = known.get(data) or seen.get(data)
            if plaintext is None:
                plaintext = decrypt(data)
            seen[data] = plaintext
            plaintexts.append(plaintext)
        self._keep(sender_id, seen)
        return plaintexts

    def written(self, sender_id: str, rows: Mapping[str, str]) -> None:
        """Rows just written to the conversation: their stored text, and plaintext."""
        self._keep(sender_id, {**self._take(sender_id), **rows})

    def holds(self, sender_id: str) -> bool:
        """Whether any of the conversation's plaintext is kept."""
        with self._lock:
            return sender_id in self._conversations

    def _take(self, sender_id: str) -> dict[str, str]:
        with self._lock:
            _, entries = self._conversations.pop(sender_id, (0.0, {}))
            self._entries -= len(entries)
            return entries

    def _keep(self, sender_id: str, entries: dict[str, str]) -> None:
        with self._lock:
            self._entries -= len(self._conversations.pop(sender_id, (0.0, {}))[1])
            if not entries:
                return
            self._conversations[sender_id] = (time.monotonic(), entries)
            self._entries += len(entries)
            while self._entries > self._max_entries and self._conversations:
                _, (_, dropped) = self._conversations.popitem(last=False)
                self._entries -= len(dropped)
            if self._sweeper is None:
                self._sweeper = threading.Thread(
                    target=self._sweep_while_kept, name="plaintexts-sweeper", daemon=True
                )
                self._sweeper.start()

    def _sweep_while_kept(self) -> None:
        while True:
            time.sleep(self._idle_seconds / 4)
            with self._lock:
                now = time.monotonic()
                while self._conversations:
                    oldest, (used, entries) = next(iter(self._conversations.items()))
                    if now - used < self._idle_seconds:
                        break
                    del self._conversations[oldest]
                    self._entries -= len(entries)
                if not self._conversations:
                    self._sweeper = None
                    return


class TrackerStoreKeysMissing(TrackerStoreMissing):
    """The tracker store has no keys to encrypt conversations with: the server must not
    start (Rasa would carry on with conversations in memory)."""


def keys_from_settings() -> DataKeys:
    """The process's data keys, as its settings give them.

    Raises:
        TrackerStoreKeysMissing: they are missing or malformed; the message says the fix.
    """
    try:
        return Settings.from_env().data_keys()
    except SettingsError as error:
        raise TrackerStoreKeysMissing(
            "Refusing to start: the tracker store keeps conversations encrypted and has "
            f"no keys. {error}"
        ) from error


class EncryptedSQLTrackerStore(SQLTrackerStore):
    """Stores (and streams to any event broker) conversations encrypted, answers masked.

    The tracker in memory keeps the answers for the rest of its turn; what is
    written, and so what every later turn and every reader sees, is masked.
    """

    def __init__(self, *args: Any, data_keys: DataKeys | None = None, **kwargs: Any) -> None:
        """Rasa's SQL store, made when the Rasa server starts: logs are guarded then.

        `data_keys` by default from the process's settings.

        Raises:
            TrackerStoreKeysMissing: no `data_keys` given, and none in the settings.
        """
        # P9: made from the settings, this is a Rasa server's (every one makes its tracker
        # store as it starts, whatever channels are on): it records the keys it holds
        # while it runs, so that a key rotation waits for it; its record goes at exit.
        self.key_holder: KeyHolder | None = None
        if data_keys is None:
            data_keys = keys_from_settings()
            store = connect(Settings.from_env().database_url, data_keys)
            self.key_holder = KeyHolder(store, "Rasa server").start()
        self.data_keys = data_keys
        withhold_answers_from_logs()
        protect_logs()
        # Every Rasa server makes its tracker store as it starts: from here on its action
        # answers are checked with one validator, event classes found in a table,
        # histories read for the policies without Rasa's repeated walks, and slots
        # copied directly.
        action_responses.check_once()
        event_classes.use_table()
        past_states.use_faster()
        slot_copies.use_direct_copy()
        super().__init__(*args, **kwargs)
        # Rasa's engine puts the row it failed to write, a tenant's message with it, in
        # its errors, which are logged whole: the same engine, with the values hidden.
        url = self.engine.url
        self.engine.dispose()
        # And a connection the database dropped (PostgreSQL restarted) is replaced
        # before use, rather than failing the message that drew it from the pool; a
        # SQLite file keeps its connections open between uses (`pool_options`).
        self.engine = sa.create_engine(
            url, hide_parameters=True, **create_engine_kwargs(url), **pool_options(url)
        )
        erase_deleted_content(self.engine)
        self.sessionmaker = sessionmaker(bind=self.engine)
        self._statements = _Statements(self.SQLEvent.__table__)
        self.plaintexts = RecentPlaintexts()
        # One write at a time on SQLite (the module's docstring says why); a database
        # server takes writes to different conversations at once.
        self.writing: contextlib.AbstractContextManager = (
            threading.Lock() if self.engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    def stop_recording_keys(self) -> None:
        """The server stops: its record of the keys it holds goes (also done at exit)."""
        if self.key_holder is not None:
            self.key_holder.leave()

    async def keys(self) -> Iterable[str]:
        """Every conversation id, read in a worker thread."""
        return await asyncio.to_thread(self._keys)

    def _keys(self) -> list[str]:
        with self.session_scope() as session:
            return [sender for (sender,) in session.query(self.SQLEvent.sender_id).distinct()]

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        events = await asyncio.to_thread(self._events, sender_id, fetch_events_from_all_sessions)
        # Set here, in the task handling the message, not in the worker thread: the
        # mark must hold for the rest of this task's turn.
        mark_turn(awaits_security_answer(events))
        if not fetch_events_from_all_sessions:
            _read_in_turn.set({**(_read_in_turn.get() or {}), sender_id: len(events)})
        if self.domain and events:
            return DialogueStateTracker.from_events(
                sender_id, deserialise_events(events), self.domain.slots
            )
        return None

    def _events(self, sender_id: str, fetch_events_from_all_sessions: bool) -> list[dict]:
        statements = self._statements
        read = (
            statements.every_session
            if fetch_events_from_all_sessions
            else statements.latest_session
        )
        with self.session_scope() as session:
            stored = session.execute(read, {"sender": sender_id}).scalars()
            plaintexts = self.plaintexts.read(sender_id, stored, self.data_keys.decrypt)
        return [json.loads(plaintext) for plaintext in plaintexts]

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Save the masked conversation, writing in a worker thread.

        Only the events past those stored are written, from their masked dicts: the
        conversation is not built again from them, but to stream it to an event broker.
        """
        events = mask_security_answers([event.as_dict() for event in tracker.events])
        if self.event_broker is not None:
            masked = DialogueStateTracker.from_events(
                tracker.sender_id, deserialise_events(events), slots=list(tracker.slots.values())
            )
            await self.stream_events(masked)
        read = (_read_in_turn.get() or {}).get(tracker.sender_id)
        await asyncio.to_thread(self._write, tracker.sender_id, events, read)

    def _write(self, sender_id: str, events: list[dict], read: int | None = None) -> None:
        """Rasa's SQLTrackerStore.save, less the streaming, as a plain function, each
        event's data encrypted. A turn that ends an identity check also hides, in the
        same transaction, the sealed answers the conversation's history kept for it.

        `events`: the whole conversation's, masked, as dicts (`Event.as_dict`).

        `read`: how many events the turn read from the store. Rasa writes the events
        past those stored now: had the conversation been erased since it was read, the
        whole of it, still in memory, would be written back. Fewer stored than were
        read means just that, and nothing is written (P9).

        On SQLite, one write at a time in the process (`writing`).
        """
        with self.writing, self.session_scope() as session:
            stored = session.execute(
                self._statements.count_latest_session, {"sender": sender_id}
            ).scalar_one()
            if read is not None and stored < read:
                logger.warning("A conversation erased during its turn was not written back")
                return
            added = list(itertools.islice(events, stored, None))
            plaintexts = [json.dumps(data) for data in added]
            # Intent and action names would say, in clear beside the conversation id,
            # what the tenant came about: Rasa never queries them, so only the mark of
            # a sealed answer still to hide is written (P9).
            rows = [
                {
                    "sender_id": sender_id,
                    "type_name": data["event"],
                    "timestamp": data.get("timestamp"),
                    "intent_name": None,
                    "action_name": sealed_answer_mark(data),
                    "data": self.data_keys.encrypt(plaintext),
                }
                for data, plaintext in zip(added, plaintexts, strict=True)
            ]
            if rows:
                session.execute(self._statements.insert, rows)
            if ends_identity_check(added):
                hide_sealed_answers(session.connection(), sender_id, self.data_keys)
            session.commit()
        self.plaintexts.written(
            sender_id,
            {row["data"]: plaintext for row, plaintext in zip(rows, plaintexts, strict=True)},
        )
        logger.debug("Tracker %s stored", sender_id)


class _Statements:
    """The queries of every turn, built once for the events table (bot/store.py says
    why).

    They read and count as Rasa's `SQLTrackerStore._event_query` does: a conversation's
    events in the order stored, of its latest session (from its last `session_started`,
    or all where it has none) or of every session.
    """

    def __init__(self, table: sa.Table) -> None:
        sender = table.c.sender_id == sa.bindparam("sender")
        session_start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(sender, table.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        latest = sa.or_(table.c.timestamp >= session_start, session_start.is_(None))
        self.every_session = sa.select(table.c.data).where(sender).order_by(table.c.id)
        self.latest_session = self.every_session.where(latest)
        self.count_latest_session = (
            sa.select(sa.func.count()).select_from(table).where(sender, latest)
        )
        self.insert = table.insert()


# The name deployed endpoints files use (the store masked answers before it encrypted).
MaskedSQLTrackerStore = EncryptedSQLTrackerStore
