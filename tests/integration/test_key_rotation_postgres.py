"""Rotating the store's key on PostgreSQL (P9): interrupted halfway, resumed, and every
value reads back with the new key alone.

Run through `make postgres-test`, which starts a throwaway PostgreSQL on loopback.
"""

import json
import os

import pytest
import sqlalchemy as sa

from bot.keys import DataKeys, new_encryption_key, new_lookup_key
from bot.protection.rotation import left_under_old_keys, rotate_everything
from bot.store import Encrypted, connect

URL = os.environ.get("TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="needs TEST_POSTGRES_URL: run `make postgres-test`")

TEXTS = [f"tenant {n}: 07700 900{n:03d}" for n in range(50)]
meta = sa.MetaData()
notes = sa.Table(
    "rotation_notes_pg",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("note", Encrypted, nullable=True),
)
events = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("data", sa.Text),
)


@pytest.fixture()
def stores():
    lookup = new_lookup_key()
    old = DataKeys([new_encryption_key()], lookup)
    store = connect(URL, old)
    tracker = sa.create_engine(URL)
    meta.drop_all(store)
    events.drop(tracker, checkfirst=True)
    meta.create_all(store)
    events.create(tracker)
    with store.begin() as connection:
        connection.execute(notes.insert(), [{"id": n, "note": t} for n, t in enumerate(TEXTS)])
    with tracker.begin() as connection:
        connection.execute(
            events.insert(),
            [{"sender_id": "c", "data": old.encrypt(json.dumps({"text": t}))} for t in TEXTS],
        )
    yield old, store, tracker
    meta.drop_all(store)
    events.drop(tracker, checkfirst=True)


def test_rotation_interrupted_and_resumed_on_postgresql_loses_nothing(stores):
    old, store, tracker = stores
    newest = new_encryption_key()
    both = DataKeys([newest, *old.encryption_keys], new_lookup_key())
    seen = []

    def stop_after_30(table):
        seen.append(table)
        if len(seen) == 30:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate_everything(store, both, tracker, progress=stop_after_30, batch=8, tables=meta)
    assert left_under_old_keys(store, both, tracker, tables=meta)
    rotate_everything(store, both, tracker, batch=8, tables=meta)
    assert left_under_old_keys(store, both, tracker, tables=meta) == {}
    only_new = DataKeys([newest], new_lookup_key())
    with connect(URL, only_new).connect() as connection:
        assert (
            connection.execute(sa.select(notes.c.note).order_by(notes.c.id)).scalars().all()
            == TEXTS
        )
    with tracker.connect() as connection:
        data = connection.execute(sa.select(events.c.data).order_by(events.c.id)).scalars().all()
    assert [json.loads(only_new.decrypt(d))["text"] for d in data] == TEXTS


def test_a_running_process_on_the_old_key_holds_up_rotation_on_postgresql(stores):
    from datetime import datetime, timezone

    from bot.protection.rotation import encrypting_under_old, not_holding
    from bot.store import KeyHolder

    old, store, tracker = stores
    newest = new_encryption_key()
    both = DataKeys([newest, *old.encryption_keys], new_lookup_key())
    now = datetime.now(timezone.utc)
    running = KeyHolder(connect(URL, old), "Rasa server").beat()
    try:
        assert not_holding(store, newest, now) == ["Rasa server"]
        running.leave()
        running = KeyHolder(connect(URL, both), "Rasa server").beat()
        assert not_holding(store, newest, now) == []
        assert encrypting_under_old(store, newest, now) == []
        assert encrypting_under_old(store, old.encryption_keys[0], now) == ["Rasa server"]
    finally:
        running.leave()
