"""Bringing a store written by an earlier release under protection, at start (P9).

An installation upgraded from a release that kept everything in clear would stay so
until someone thought of rotating the key. `upgrade` runs before the servers start
(`make run`, and `python -m scripts.keys upgrade`); it changes nothing the second time:

- each dead letter an earlier release sealed under OUTBOX_KEY is resealed as today's
  are (`bot.outbox.reseal_legacy_letters`, with the store's keys, which hold OUTBOX_KEY):
  encrypted as if its token were its words, it could not be sent again;
- every value still in clear in an `Encrypted` column of the project's tables, and in
  the tracker store's `events.data`, is encrypted (under the newest key; a value
  already encrypted, under whichever key, is left for `scripts.keys rotate`);
- the tracker's `intent_name` and `action_name`, which say what each tenant came about,
  are emptied as the tracker store now writes them: only the mark of a sealed security
  answer still to hide stays (`bot.protection.conversations.sealed_answer_mark`);
- every identifier still in clear in a `Keyed` column is replaced by the keyed HMAC
  the product now looks it up by (`Keyed.purpose`, of the same value the product
  binds: an account's key, an author's id, "platform:account" for a strike lock);
  a moderation entry keeps its author, encrypted, for staff to read;
- a tenancy stored under the earlier release's id (a plain hash of its reference) is
  moved to the id derived from its keyed reference, with its people, rent payments,
  repairs, repair requests, identity checks and lock;
- the old `locator:<sha256>` subjects of identity_subjects are deleted: they cannot be
  re-keyed (what was typed is not known), and they are only failure counts and
  locks that lapse within a day.

Each pass picks, in SQL, only the rows that still need it (a value not starting with
`fernet:`, an identifier not starting with `hmac:`): a start on a store already
protected reads none of its encrypted values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Tuple

from sqlalchemy import (
    MetaData,
    Table,
    Text,
    and_,
    cast,
    func,
    inspect,
    not_,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.engine import Connection, Engine

from bot.keys import ENCRYPTED_PREFIX, LOOKUP_PREFIX, DataKeys, is_encrypted
from bot.outbox import DEAD, reseal_legacy_letters
from bot.protection.conversations import (
    NoTrackerStore,
    sealed_answer_mark,
    tracker_engine,
    tracker_events,
)
from bot.protection.rotation import TRACKER_COLUMN as TRACKER_DATA
from bot.protection.rotation import TRACKER_TABLE, batches, stored_targets
from bot.store import (
    Keyed,
    clear_write_ahead_log,
    connect,
    identity_attempts,
    metadata,
    outbox,
    rent_payments,
    repair_requests,
    repairs,
    tenancies,
    tenancy_people,
)
from bot.tenancy.masking import SECURITY_SLOTS
from bot.tenancy.records import person_id, tenancy_id

# An earlier release's identity subjects for what was typed: an unsalted SHA-256.
LEGACY_LOCATOR = "locator:"
# Rows re-keyed per transaction: an interruption costs little.
BATCH = 200


@dataclass
class Upgraded:
    """What one run changed, per table."""

    encrypted: Dict[str, int] = field(default_factory=dict)
    rekeyed: Dict[str, int] = field(default_factory=dict)
    deleted: Dict[str, int] = field(default_factory=dict)
    # Tracker rows whose intent or action name was emptied.
    cleared: Dict[str, int] = field(default_factory=dict)

    @property
    def anything(self) -> bool:
        """Whether the run changed anything."""
        return (
            any(self.encrypted.values())
            or any(self.rekeyed.values())
            or bool(self.deleted)
            or any(self.cleared.values())
        )


def upgrade(store: Engine, keys: DataKeys, tracker: Engine | None = None) -> Upgraded:
    """Encrypt what is in clear and key what is in clear in `store` (made by
    `bot.store.connect` with `keys`, which hold the retired OUTBOX_KEY as
    `Settings.data_keys` gives them) and in the tracker store `tracker`; idempotent,
    and safe to stop at any moment and run again.

    An encrypted value is left as it is, under whichever key: a running process may not
    hold a newer key yet (that is `scripts.keys rotate`'s business, not a start's).
    """
    done = Upgraded()
    # Before the pass below, which would take a sealed letter's token for its words.
    _reseal_letters(store, keys, done)
    for table, names in stored_targets(store, tracker, metadata):
        _encrypt_in_clear(table, names, keys, done, tracker_rows=table.name == TRACKER_TABLE)
    if tracker is not None and inspect(tracker).has_table(TRACKER_TABLE):
        _clear_names(tracker, done)
    _move_tenancies(store, keys, done)
    for table, column, purpose in _keyed_columns(store):
        _rekey(store, table, column, purpose, keys, done)
    # What was in clear goes from the file as its encrypted form is copied in, and from
    # a SQLite store's write-ahead log.
    clear_write_ahead_log(store)
    return done


def upgrade_installation(database_url: str, keys: DataKeys, endpoints_file) -> Upgraded:
    """`upgrade` on the project's store at `database_url` and on the tracker store
    `endpoints_file` configures (none if it configures no SQL one)."""
    store = connect(database_url, keys)
    try:
        tracker = tracker_engine(endpoints_file)
    except NoTrackerStore:
        tracker = None
    try:
        return upgrade(store, keys, tracker)
    finally:
        store.dispose()
        if tracker is not None:
            tracker.dispose()


def _in_clear(column) -> object:
    """Where `column` holds a value not encrypted (an earlier release's integer too)."""
    return and_(column.is_not(None), not_(cast(column, Text).startswith(ENCRYPTED_PREFIX)))


def _reseal_letters(store: Engine, keys: DataKeys, done: Upgraded) -> None:
    raw = type_coerce(outbox.c.text, Text)
    legacy = select(func.count()).where(outbox.c.state == DEAD, _in_clear(raw))
    with store.connect() as connection:
        if not connection.execute(legacy).scalar():
            return  # the count alone: no letter's text is read on an ordinary start
    resealed = reseal_legacy_letters(store, keys)
    if resealed:
        done.encrypted["outbox"] = done.encrypted.get("outbox", 0) + resealed


def _encrypt_in_clear(
    table: Table, names: List[str], keys: DataKeys, done: Upgraded, tracker_rows: bool
) -> None:
    """Encrypt each value of `names` still in clear in `table` (as `stored_targets` gives it),
    batch after batch in primary key order, each batch committed on its own.

    `tracker_rows`: it is the tracker's `events`; a row in clear is the earlier release's
    and loses its intent and action names as it is encrypted, but a sealed answer's mark.
    """
    key = list(table.primary_key.columns)
    engine: Engine = table.info["engine"]
    wanted = or_(*(_in_clear(table.c[n]) for n in names))
    for rows in batches(table, names, BATCH, where=wanted):
        with engine.begin() as connection:
            for row in rows:
                if _encrypt_row(connection, table, names, keys, row._mapping, key, tracker_rows):
                    done.encrypted[table.name] = done.encrypted.get(table.name, 0) + 1


def _encrypt_row(
    connection: Connection,
    table: Table,
    names: List[str],
    keys: DataKeys,
    values,
    key: List,
    tracker_rows: bool,
) -> bool:
    changes: Dict[str, object] = {}
    for name in names:
        stored = values[name]
        if stored is not None and not is_encrypted(stored):
            # An earlier release kept rent figures as integers.
            changes[name] = keys.encrypt(str(stored))
    if tracker_rows:
        changes["intent_name"] = None
        changes["action_name"] = sealed_answer_mark(_event(values[TRACKER_DATA]))
    # Only if it is still what was read: a value written since stands.
    unchanged = [table.c[n] == values[n] for n in names]
    match = and_(*(c == values[c.name] for c in key), *unchanged)
    return bool(connection.execute(update(table).where(match).values(**changes)).rowcount)


def _event(data: object) -> dict:
    try:
        event = json.loads(str(data))
    except ValueError:
        return {}
    return event if isinstance(event, dict) else {}


def _clear_names(tracker: Engine, done: Upgraded) -> None:
    """Empty, in SQL alone, the names left on encrypted rows (an earlier rotation
    encrypted rows in clear and kept them). A security slot's name on a slot event
    stays: it may mark a sealed answer still to hide, and hiding it clears the mark
    whatever the value (`hide_sealed_answers`)."""
    events = tracker_events
    may_mark = and_(events.c.type_name == "slot", events.c.action_name.in_(SECURITY_SLOTS))
    with tracker.begin() as connection:
        cleared = connection.execute(
            update(events).where(events.c.intent_name.is_not(None)).values(intent_name=None)
        ).rowcount
        cleared += connection.execute(
            update(events)
            .where(events.c.action_name.is_not(None), not_(may_mark))
            .values(action_name=None)
        ).rowcount
    if cleared:
        done.cleared[TRACKER_TABLE] = cleared


def _keyed_columns(store: Engine) -> Iterator[Tuple[Table, str, str]]:
    """Each `Keyed` column of the project's tables, on the table as the database has it
    (so that what is read and written is what is stored)."""
    existing = inspect(store)
    for table in metadata.sorted_tables:
        names = [(c.name, c.type.purpose) for c in table.columns if isinstance(c.type, Keyed)]
        if not names or not existing.has_table(table.name):
            continue
        raw = Table(table.name, MetaData(), autoload_with=store)
        for name, purpose in names:
            yield raw, name, purpose


def _rekey(
    store: Engine, table: Table, name: str, purpose: str, keys: DataKeys, done: Upgraded
) -> None:
    column = table.c[name]
    key = list(table.primary_key.columns)
    in_clear = and_(column.is_not(None), not_(column.startswith(LOOKUP_PREFIX)))
    while True:
        with store.connect() as connection:
            rows = connection.execute(select(table).where(in_clear).limit(BATCH)).all()
        if not rows:
            return
        with store.begin() as connection:
            for row in rows:
                _rekey_row(connection, table, name, purpose, keys, row, key, done)


def _rekey_row(
    connection: Connection,
    table: Table,
    name: str,
    purpose: str,
    keys: DataKeys,
    row,
    key: List,
    done: Upgraded,
) -> None:
    values = row._mapping
    plain = str(values[name])
    match = and_(*(c == values[c.name] for c in key))
    if table.name == "identity_subjects" and plain.startswith(LEGACY_LOCATOR):
        connection.execute(table.delete().where(match))
        done.deleted[table.name] = done.deleted.get(table.name, 0) + 1
        return
    changes = {name: keys.lookup(plain, purpose)}
    if table.name == "moderation_actions" and values.get("author") is None:
        # Staff read, and undo a block by, the author: kept, encrypted.
        changes["author"] = keys.encrypt(plain)
    if name in {c.name for c in key} and _taken(connection, table, name, changes[name]):
        # A row this release wrote already stands for the same subject (a lock row, a
        # count within a day): it is the current one; the one in clear goes.
        connection.execute(table.delete().where(match))
        done.deleted[table.name] = done.deleted.get(table.name, 0) + 1
        return
    connection.execute(table.update().where(match).values(**changes))
    done.rekeyed[table.name] = done.rekeyed.get(table.name, 0) + 1


def _taken(connection: Connection, table: Table, name: str, value: str) -> bool:
    column = table.c[name]
    return connection.execute(select(column).where(column == value)).first() is not None


def _move_tenancies(store: Engine, keys: DataKeys, done: Upgraded) -> None:
    """Give each tenancy stored under another id the one `bot.tenancy.records` derives
    from its keyed reference, and carry everything kept by its id over to it."""
    with store.connect() as connection:
        held = connection.execute(select(tenancies.c.id, tenancies.c.reference)).all()
    subjects = Table("identity_subjects", MetaData(), autoload_with=store)
    for old, reference in held:
        new = tenancy_id(reference, keys)
        if old == new:
            continue
        with store.begin() as connection:
            row = connection.execute(select(tenancies).where(tenancies.c.id == old)).first()
            # Its reference is unique: the row under the new id takes it over.
            connection.execute(
                tenancies.update().where(tenancies.c.id == old).values(reference="~" + old[:15])
            )
            # A keyed column reads back as its HMAC: the postcode is keyed again instead.
            moved = {**row._mapping, "id": new, "postcode_key": row.postcode}
            connection.execute(tenancies.insert().values(**moved))
            for table in (rent_payments, repairs, repair_requests):
                connection.execute(
                    table.update().where(table.c.tenancy_id == old).values(tenancy_id=new)
                )
            _move_people(connection, old, new)
            connection.execute(
                identity_attempts.update()
                .where(identity_attempts.c.tenancy_id == old)
                .values(tenancy_id=new)
            )
            was, now = f"tenancy:{old}", f"tenancy:{new}"
            for before, after in ((was, now), *_keyed(keys, was, now)):
                connection.execute(
                    subjects.update().where(subjects.c.subject == before).values(subject=after)
                )
            connection.execute(tenancies.delete().where(tenancies.c.id == old))
        done.rekeyed["tenancies"] = done.rekeyed.get("tenancies", 0) + 1


def _keyed(keys: DataKeys, *subjects: str) -> List[Tuple[str, ...]]:
    """The subjects as identity_subjects keys them."""
    return [tuple(keys.lookup(s, "identity subject") for s in subjects)]


def _move_people(connection: Connection, old: str, new: str) -> None:
    """A person's id follows their tenancy's (it is derived from it and their place)."""
    people = connection.execute(
        select(tenancy_people.c.id, tenancy_people.c.role).where(tenancy_people.c.tenancy_id == old)
    ).all()
    for held, role in people:
        moved = next(
            (
                person_id(new, role, position)
                for position in range(len(people))
                if person_id(old, role, position) == held
            ),
            held,
        )
        connection.execute(
            tenancy_people.update()
            .where(tenancy_people.c.id == held)
            .values(id=moved, tenancy_id=new)
        )
        connection.execute(
            identity_attempts.update()
            .where(identity_attempts.c.person_id == held)
            .values(person_id=moved)
        )
