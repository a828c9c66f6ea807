"""The store: what its errors may say."""

import logging

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.exc import DBAPIError

from bot.store import connect, inbound_events, pool_options


def test_a_database_error_repeats_no_message_text(tmp_path, caplog):
    """P5: an error from the store is logged and kept (the intake's failure reason), so
    it must not carry the values of its query, such as a tenant's message."""
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    secret = "my number is 07700 900123"
    # No state: the store refuses the row (NOT NULL), as it would any broken write.
    row = {"platform": "facebook", "event_id": "m1", "conversation_id": "c", "event": secret}
    with engine.begin() as connection, pytest.raises(DBAPIError) as raised:
        connection.execute(insert(inbound_events).values(**row))
    assert secret not in str(raised.value) and secret not in repr(raised.value)
    logging.getLogger("test").exception("failed", exc_info=raised.value)
    assert secret not in caplog.text


def test_a_sqlite_files_connections_are_kept_and_not_tested_before_each_use(tmp_path):
    """Each test before use is a query of its own; a file's connection is never dropped
    under it. A database server's is tested (PostgreSQL restarted: tests/cluster)."""
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for _ in range(3):
        with engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM outbox")).scalar()
    assert statements == ["SELECT count(*) FROM outbox"] * 3
    assert pool_options("postgresql://bot@localhost/bot") == {"pool_pre_ping": True}
