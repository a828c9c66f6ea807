"""The Rasa server's runtime removes conversations older than the retention period by
itself, from start-up, where it removes old public comments (P9, P10): no one has to
run a command for a tenant's words to go once their time is up."""

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import insert, select

from bot.channels.wiring import build_runtime
from bot.keys import DataKeys, new_encryption_key, new_lookup_key
from bot.protection.conversations import engine_for, tracker_events, tracker_metadata
from bot.settings import Settings
from bot.store import connect, console_audit
from tests.helpers import ROOT, until


def senders(engine):
    with engine.connect() as connection:
        return set(connection.execute(select(tracker_events.c.sender_id).distinct()).scalars())


async def test_the_runtime_erases_conversations_quiet_for_two_years_from_start_up(tmp_path):
    tracker = engine_for(f"sqlite:///{tmp_path / 'tracker.db'}")
    tracker_metadata.create_all(tracker)
    encryption, lookup = new_encryption_key(), new_lookup_key()
    keys = DataKeys([encryption], lookup)
    now = datetime.now(timezone.utc)
    for sender, at in (("facebook-private-old", now - timedelta(days=800)), ("x", now)):
        data = keys.encrypt(json.dumps({"event": "user", "text": "my number is 07700 900111"}))
        with tracker.begin() as connection:
            connection.execute(
                insert(tracker_events).values(
                    sender_id=sender, type_name="user", timestamp=at.timestamp(), data=data
                )
            )
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {tmp_path / 'tracker.db'}\n"
    )
    database = f"sqlite:///{tmp_path / 'store.db'}"
    settings = Settings(
        ROOT / "association.yml",
        database_url=database,
        endpoints_file=endpoints,
        encryption_keys=(encryption,),
        lookup_key=lookup,
    )
    runtime = build_runtime(settings)
    runtime.start(SimpleNamespace(ctx=SimpleNamespace(agent=None)), None)
    try:
        assert await until(lambda: senders(tracker) == {"x"}, 10)
    finally:
        await runtime.stop()
    with connect(database, keys).connect() as connection:
        [entry] = connection.execute(select(console_audit)).all()
    assert (entry.staff, entry.action) == ("retention job", "conversation_erased")
