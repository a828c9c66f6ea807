"""Re-encrypting everything under the newest key, and checking that nothing is left
under an old one (P9: `python -m scripts.keys rotate`, `rotate --resume`, `retire`).

Generic by design: every `Encrypted` column of every table in `bot.store.metadata`, by
primary key, then `data` in the `events` table of Rasa's tracker store. A new personal
field needs nothing here as long as it is an `Encrypted` column.

Nothing is lost if it is interrupted: each small batch of rows is read, rewritten with
`DataKeys.rotate` and committed on its own, and a value already under the newest key
is skipped, so running it again picks up where it stopped. The old keys stay in
ENCRYPTION_KEYS, after the new one, until `left_under_old_keys` finds nothing that
still needs them (a row written meanwhile by a process still on an old key included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Dict, Iterator, List, Tuple

from sqlalchemy import MetaData, Table, and_, inspect, or_, select, update
from sqlalchemy.engine import Engine, Row

from bot.keys import DataKeys
from bot.outbox import reseal_legacy_letters
from bot.store import Encrypted, as_aware, key_fingerprint, key_holders, metadata, to_utc

# Rows read, rewritten and committed at once: few, so that an interruption costs
# little and no lock is held for long.
BATCH = 200
# Rasa's tracker store: the column the project's tracker store encrypts.
TRACKER_TABLE, TRACKER_COLUMN = "events", "data"

# A process is taken to be running if it said so this recently (each says so every
# minute, bot/store.py KeyHolder); one killed outright stops counting after this.
LIVE = timedelta(minutes=5)

# Called with the table's name after each row rewritten (tests interrupt it there).
Progress = Callable[[str], None]


@dataclass
class Rotated:
    """What one run rewrote, and what it found already under the newest key, per table."""

    rewritten: Dict[str, int] = field(default_factory=dict)
    current: Dict[str, int] = field(default_factory=dict)

    def note(self, table: str, was_current: bool) -> None:
        """Count one value of `table`."""
        into = self.current if was_current else self.rewritten
        into[table] = into.get(table, 0) + 1


def encrypted_columns(tables: MetaData = metadata) -> Dict[str, List[str]]:
    """Every table of `tables` (the project's store) with `Encrypted` columns:
    {table: [columns]}."""
    found = {}
    for table in tables.sorted_tables:
        names = [c.name for c in table.columns if isinstance(c.type, Encrypted)]
        if names:
            found[table.name] = names
    return found


def rotate_everything(
    store: Engine,
    keys: DataKeys,
    tracker: Engine | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
    tables: MetaData = metadata,
) -> Rotated:
    """Rewrite every encrypted value of the project's `store`, then of the tracker
    store's `events.data` (if `tracker` is given), under the newest of `keys`.

    Plaintext from before encryption is encrypted too. Safe to stop at any moment and
    run again.

    Raises:
        Undecryptable: a value that none of `keys` opens (the rows before it are done).
    """
    done = Rotated()
    # Before the generic pass, which would take a legacy sealed letter for its words.
    reseal_legacy_letters(store, keys)
    for table, names in stored_targets(store, tracker, tables):
        _rotate_table(table, names, keys, done, progress, batch)
    return done


def running(store: Engine, now: datetime, live: timedelta = LIVE) -> List[Tuple[str, List[str]]]:
    """The processes seen within `live` of `now`: (kind, fingerprints of their keys,
    newest first), as each records itself (bot/store.py, KeyHolder)."""
    query = select(key_holders.c.kind, key_holders.c.fingerprints, key_holders.c.seen_at)
    with store.connect() as connection:
        rows = connection.execute(query).all()
    since = to_utc(now - live)
    return [
        (row.kind, row.fingerprints.split(",")) for row in rows if as_aware(row.seen_at) >= since
    ]


def not_holding(store: Engine, key: str, now: datetime, live: timedelta = LIVE) -> List[str]:
    """The kinds of running process that cannot read what `key` encrypts: until they
    are restarted, nothing may be re-encrypted under it."""
    mark = key_fingerprint(key)
    return sorted({kind for kind, held in running(store, now, live) if mark not in held})


def encrypting_under_old(
    store: Engine, key: str, now: datetime, live: timedelta = LIVE
) -> List[str]:
    """The kinds of running process whose newest key is not `key`: they write under an
    old one, so the old keys cannot be retired yet."""
    mark = key_fingerprint(key)
    return sorted({kind for kind, held in running(store, now, live) if held[:1] != [mark]})


def left_under_old_keys(
    store: Engine, keys: DataKeys, tracker: Engine | None = None, tables: MetaData = metadata
) -> Dict[str, int]:
    """How many values, per table, are not under the newest of `keys` ({}: none).

    Raises:
        Undecryptable: a value that none of `keys` opens.
    """
    left: Dict[str, int] = {}
    for table, names in stored_targets(store, tracker, tables):
        for rows in batches(table, names, BATCH):
            for row in rows:
                for name in names:
                    stored = row._mapping[name]
                    if stored is not None and not keys.is_current(stored):
                        keys.decrypt(stored)  # one that no key opens: said now, not later
                        left[table.name] = left.get(table.name, 0) + 1
    return left


def stored_targets(
    store: Engine, tracker: Engine | None, tables: MetaData
) -> Iterator[Tuple[Table, List[str]]]:
    """Each table to go through, as the database has it (so its values are read and
    written as stored: ciphertext, not decrypted), with its encrypted columns."""
    for name, columns in encrypted_columns(tables).items():
        table = _reflected(store, name)
        if table is not None:
            yield table, columns
    if tracker is not None:
        events = _reflected(tracker, TRACKER_TABLE)
        if events is not None:
            yield events, [TRACKER_COLUMN]


def _reflected(engine: Engine, name: str) -> Table | None:
    if not inspect(engine).has_table(name):
        return None
    table = Table(name, MetaData(), autoload_with=engine)
    if not table.primary_key.columns:
        # Gone through by primary key, batch after batch: without one it cannot resume.
        raise ValueError(f"table {name} has no primary key: it cannot be re-encrypted")
    table.info["engine"] = engine
    return table


def batches(table: Table, names: List[str], size: int, where: object = None) -> Iterator[List[Row]]:
    """Every row's primary key and `names` (only rows matching `where`, if given), in
    primary key order, `size` rows at a time."""
    key = list(table.primary_key.columns)
    engine: Engine = table.info["engine"]
    after: Tuple | None = None
    while True:
        query = select(*key, *(table.c[n] for n in names)).order_by(*key).limit(size)
        if where is not None:
            query = query.where(where)
        if after is not None:
            query = query.where(_rows_after(key, after))
        with engine.connect() as connection:
            rows = connection.execute(query).fetchall()
        if not rows:
            return
        yield rows
        after = tuple(rows[-1]._mapping[c.name] for c in key)


def _rows_after(key: list, after: Tuple) -> object:
    """Rows whose primary key sorts after `after` (a composite key compared in order)."""
    clauses = []
    for position, column in enumerate(key):
        equal = [key[i] == after[i] for i in range(position)]
        clauses.append(and_(*equal, column > after[position]))
    return or_(*clauses)


def _rotate_table(
    table: Table,
    names: List[str],
    keys: DataKeys,
    done: Rotated,
    progress: Progress | None,
    size: int,
) -> None:
    key = list(table.primary_key.columns)
    engine: Engine = table.info["engine"]
    for rows in batches(table, names, size):
        with engine.begin() as connection:
            for row in rows:
                values = row._mapping
                changes = {}
                for name in names:
                    stored = values[name]
                    if stored is None:
                        continue
                    current = keys.is_current(stored)
                    done.note(table.name, current)
                    if not current:
                        changes[name] = keys.rotate(stored)
                if not changes:
                    continue
                # Only if it is still what was read: a value written since stands.
                unchanged = [table.c[n] == values[n] for n in changes]
                match = and_(*(c == values[c.name] for c in key), *unchanged)
                connection.execute(update(table).where(match).values(**changes))
                if progress is not None:
                    progress(table.name)
