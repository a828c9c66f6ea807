"""Rasa's conversations, as its tracker store keeps them, read and removed as plain SQL (P9).

Rasa's SQL tracker store keeps one row per event in its `events` table (id, sender_id,
type_name, timestamp, intent_name, action_name, data). The project's tracker store
writes `data` encrypted (`DataKeys.encrypt` of the event's JSON); `sender_id` is the
conversation id and type_name and timestamp are Rasa's. `intent_name` is left empty,
and so is `action_name` but on a slot event holding a sealed security answer still to
hide, where it is the slot's name (`sealed_answer_mark`): names of intents and actions
would say what each tenant came about. Rows written earlier (plain JSON, names filled
in as Rasa does) are still read.

Subject rights, retention and key rotation work on conversations through this module,
never through Rasa, so that they need no Rasa server and no model.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Collection, Dict, List, Mapping, Sequence

import yaml
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url

from bot.keys import DataKeys
from bot.settings import PROJECT_ROOT
from bot.tenancy.masking import HIDDEN, SECURITY_SLOTS
from bot.tenancy.security_question import is_sealed

# The tracker store types whose `events` table this module reads: Rasa's own SQL store
# and the project's (under its current name and the one deployed endpoints files use).
TRACKER_STORE_TYPES = (
    "sql",
    "bot.channels.tracker_store.EncryptedSQLTrackerStore",
    "bot.channels.tracker_store.MaskedSQLTrackerStore",
)

# Rasa's `events` table, declared as Rasa creates it. Never created from here: the
# Rasa server creates it (with its own sequence on PostgreSQL) when it first starts.
tracker_metadata = MetaData()
tracker_events = Table(
    "events",
    tracker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


class NoTrackerStore(ValueError):
    """The endpoints file configures no SQL tracker store (or cannot be read)."""


def tracker_store_url(
    endpoints_file: Path, project: Path = PROJECT_ROOT, read_only: bool = False
) -> str | URL:
    """The address of the SQL tracker store `endpoints_file` configures.

    Read as Rasa reads it (dialect, url (the host), port, db, username, password, `${VAR}`
    replaced from the environment as Rasa does); a relative SQLite file is relative to
    `project`, where the Rasa server runs. `read_only` opens a SQLite file read-only.

    Raises:
        NoTrackerStore: the file cannot be read or names another kind of store.
    """
    try:
        raw = yaml.safe_load(Path(endpoints_file).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise NoTrackerStore(f"cannot read the endpoints file {endpoints_file}") from error
    store: Mapping[str, Any] = raw.get("tracker_store") or {}
    kind = str(store.get("type", ""))
    if kind.lower() not in {t.lower() for t in TRACKER_STORE_TYPES}:
        raise NoTrackerStore(f"{endpoints_file} configures no SQL tracker store ({kind!r})")

    def setting(name: str, default: Any = None) -> Any:
        value = store.get(name, default)
        return os.path.expandvars(value) if isinstance(value, str) else value

    dialect = setting("dialect", "sqlite")
    # Rasa takes the server from `url` (its endpoint address); `host` is read too.
    host = setting("url") or setting("host")
    if host and "://" in host:
        return host
    database = setting("db", "rasa.db")
    if dialect == "sqlite":
        path = Path(database)
        path = path if path.is_absolute() else Path(project) / path
        if read_only:
            return f"sqlite:///file:{path}?mode=ro&uri=true"
        return f"sqlite:///{path}"
    port = setting("port")
    return URL.create(
        dialect,
        username=setting("username"),
        password=setting("password"),
        host=host,
        port=int(port) if port else None,
        database=database,
    )


def engine_for(url: str | URL) -> Engine:
    """An engine on the tracker store at `url`; query values are never put in its errors,
    and what it deletes or rewrites in a SQLite file is overwritten (`erase_deleted_content`)."""
    options: Dict[str, Any] = {}
    if make_url(url).get_backend_name() == "sqlite":
        options["connect_args"] = {"check_same_thread": False}
    engine = create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True, **options)
    erase_deleted_content(engine)
    return engine


def erase_deleted_content(engine: Engine) -> None:
    """Have every SQLite connection of `engine` overwrite what it deletes or rewrites.

    Without `secure_delete`, an erased conversation, or a sealed answer rewritten to the
    marker, stays whole in the file's free space, still encrypted under a live key.
    Some builds of SQLite turn it on by default, others not: it is set here, whatever
    the build. PostgreSQL keeps deleted rows until VACUUM (docs/operators.md).
    """
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _secure_delete)


def _secure_delete(connection: Any, _record: Any) -> None:
    connection.execute("PRAGMA secure_delete = ON")


def tracker_engine(
    endpoints_file: Path, project: Path = PROJECT_ROOT, read_only: bool = False
) -> Engine:
    """An engine on the tracker store `endpoints_file` configures (see `tracker_store_url`).

    Raises:
        NoTrackerStore: the file configures no SQL tracker store.
    """
    return engine_for(tracker_store_url(endpoints_file, project, read_only))


class TrackerEvents:
    """The conversations in a tracker store's `events` table, decrypted with `keys`.

    A store with no `events` table yet (the Rasa server has not started on it) holds no
    conversation: reads give nothing and removals remove nothing.
    """

    def __init__(self, engine: Engine, keys: DataKeys) -> None:
        """`engine` on the tracker store's database; `keys` the processes' data keys."""
        self.engine = engine
        self.keys = keys

    def _exists(self) -> bool:
        return inspect(self.engine).has_table(tracker_events.name)

    def senders(self) -> List[str]:
        """Every conversation id in the store, in order."""
        if not self._exists():
            return []
        query = select(tracker_events.c.sender_id).distinct().order_by(tracker_events.c.sender_id)
        with self.engine.connect() as connection:
            return [sender for (sender,) in connection.execute(query)]

    def events(self, sender_id: str) -> List[Dict[str, Any]]:
        """The events of conversation `sender_id`, decrypted, in the order they were stored.

        Raises:
            bot.keys.Undecryptable: an event was encrypted under a key not configured.
        """
        if not self._exists():
            return []
        query = (
            select(tracker_events.c.data)
            .where(tracker_events.c.sender_id == sender_id)
            .order_by(tracker_events.c.id)
        )
        with self.engine.connect() as connection:
            return [self.decode(data) for (data,) in connection.execute(query)]

    def decode(self, data: str | None) -> Dict[str, Any]:
        """One stored `data` value as the event it holds (plain JSON from before is read)."""
        return json.loads(self.keys.decrypt(data or "{}"))

    def erase(self, sender_id: str) -> int:
        """Remove every event of conversation `sender_id`; how many there were."""
        if not self._exists():
            return 0
        with self.engine.begin() as connection:
            removed = connection.execute(
                delete(tracker_events).where(tracker_events.c.sender_id == sender_id)
            )
            return removed.rowcount or 0

    def last_activity(self, sender_id: str) -> datetime | None:
        """When conversation `sender_id` last had an event (UTC), or None if it has none."""
        if not self._exists():
            return None
        query = select(func.max(tracker_events.c.timestamp)).where(
            tracker_events.c.sender_id == sender_id
        )
        with self.engine.connect() as connection:
            latest = connection.execute(query).scalar()
        return None if latest is None else datetime.fromtimestamp(latest, timezone.utc)

    def older_than(self, cutoff: datetime) -> List[str]:
        """The conversations whose latest event is older than `cutoff` (an aware time)."""
        if not self._exists():
            return []
        latest = func.max(tracker_events.c.timestamp)
        query = (
            select(tracker_events.c.sender_id)
            .group_by(tracker_events.c.sender_id)
            .having(latest < cutoff.timestamp())
            .order_by(tracker_events.c.sender_id)
        )
        with self.engine.connect() as connection:
            return [sender for (sender,) in connection.execute(query)]

    def remove_before(self, cutoff: datetime, keep: Collection[str] = ()) -> int:
        """Remove every event older than `cutoff` (an aware time), from every conversation
        but those in `keep`.

        A conversation with nothing newer goes whole; a conversation still going keeps
        what is newer. Rasa reads only a conversation's latest session back, and a
        session ends after an hour without a message, so what Rasa needs is never
        older than that. Returns how many events were removed.
        """
        if not self._exists():
            return 0
        older = tracker_events.c.timestamp < cutoff.timestamp()
        if keep:
            older = older & tracker_events.c.sender_id.not_in(list(keep))
        with self.engine.begin() as connection:
            return connection.execute(delete(tracker_events).where(older)).rowcount or 0

    def quiet_with_sealed_answers(self, cutoff: datetime) -> List[str]:
        """The conversations still holding a sealed answer to hide (`sealed_answer_mark`)
        whose latest event is older than `cutoff` (an aware time)."""
        if not self._exists():
            return []
        marked = (
            select(tracker_events.c.sender_id)
            .where(
                tracker_events.c.type_name == "slot",
                tracker_events.c.action_name.in_(SECURITY_SLOTS),
            )
            .distinct()
        )
        query = (
            select(tracker_events.c.sender_id)
            .where(tracker_events.c.sender_id.in_(marked))
            .group_by(tracker_events.c.sender_id)
            .having(func.max(tracker_events.c.timestamp) < cutoff.timestamp())
            .order_by(tracker_events.c.sender_id)
        )
        with self.engine.connect() as connection:
            return [sender for (sender,) in connection.execute(query)]

    def hide_sealed_answers(self, sender_id: str) -> int:
        """Replace the sealed security answers kept in conversation `sender_id`'s history
        with the masked marker (see `hide_sealed_answers`); how many there were."""
        if not self._exists():
            return 0
        with self.engine.begin() as connection:
            return hide_sealed_answers(connection, sender_id, self.keys)


# --- sealed security answers, once a check is over (P4, P9) ---------------------------

# The values of `identity_status` that end a check (actions/identity.py): verified,
# failed, locked, stopped, or never started because the conversation is public. An
# `interrupted` check keeps its sealed answers so that it can carry on where it was,
# and `unverified` means the questions are being asked.
CHECK_OVER = frozenset({"verified", "failed", "locked", "stopped", "public"})
IDENTITY_STATUS = "identity_status"


def ends_identity_check(events: Sequence[Mapping[str, Any]]) -> bool:
    """Whether `events` (as Rasa serialises them) set `identity_status` to a final value."""
    return any(
        event.get("event") == "slot"
        and event.get("name") == IDENTITY_STATUS
        and event.get("value") in CHECK_OVER
        for event in events
    )


def sealed_answer_mark(event: Mapping[str, Any]) -> str | None:
    """What the tracker store writes in `action_name` for `event` (as Rasa serialises it):
    the slot's name for a security slot event holding a sealed answer, else None."""
    if (
        event.get("event") == "slot"
        and event.get("name") in SECURITY_SLOTS
        and is_sealed(event.get("value"))
    ):
        return str(event["name"])
    return None


def hide_sealed_answers(connection: Connection, sender_id: str, keys: DataKeys) -> int:
    """Rewrite, in place, every stored security slot event of conversation `sender_id`
    whose value is a sealed answer, to the masked marker; how many were rewritten.

    Only the events marked by `sealed_answer_mark` are read (and rows written before
    the mark, whose `action_name` is the slot's name whatever its value), so the rest
    of the conversation is never decrypted. Each row read loses its mark, so a second
    run reads nothing. Runs in the caller's transaction.
    """
    query = select(tracker_events.c.id, tracker_events.c.data).where(
        tracker_events.c.sender_id == sender_id,
        tracker_events.c.type_name == "slot",
        tracker_events.c.action_name.in_(SECURITY_SLOTS),
    )
    rewritten = 0
    for row_id, data in connection.execute(query).all():
        event = json.loads(keys.decrypt(data or "{}"))
        values: Dict[str, Any] = {"action_name": None}
        if is_sealed(event.get("value")):
            event["value"] = HIDDEN
            values["data"] = keys.encrypt(json.dumps(event))
            rewritten += 1
        connection.execute(
            update(tracker_events).where(tracker_events.c.id == row_id).values(**values)
        )
    return rewritten
