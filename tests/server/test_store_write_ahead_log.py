"""The project's SQLite store keeps a write-ahead log, and what it erases does not stay
there (P12: speed; P9).

In SQLite's default (rollback) journal a writer waits until no one is reading, and
readers wait while it commits. The intake records every webhook, the intake loop
claims and finishes each message, the outbox claims and marks every reply, and the
action server writes beside them, all in the same file: at 25 messages a second one
instance's reply p95 went past a second with its Rasa server at 83% of a core, waiting
rather than working (`make bench-load`). With the write-ahead log, readers and the
writer work at once.

SQLite appends every change to the log (`assistant.db-wal`) before copying it into the
file: a row deleted (a message's text once it is processed, an erasure, the retention
job) would stay in the log until SQLite happened to write over it. The Rasa server
copies the log into the file and empties it every minute (`clear_write_ahead_log`,
from its runtime), so what is erased is gone from both files within a minute.
"""

import asyncio
import contextlib
import threading
import time
from types import SimpleNamespace

from sqlalchemy import text

from bot.channels import runtime
from bot.channels.wiring import build_runtime
from bot.keys import new_encryption_key, new_lookup_key
from bot.settings import Settings
from bot.store import clear_write_ahead_log, connect
from tests.helpers import ROOT, until

MARK = "facebook-private-9d4e1c7a55"


def files_holding(tmp_path, needle: bytes) -> list:
    return sorted(
        path.name for path in tmp_path.iterdir() if path.is_file() and needle in path.read_bytes()
    )


def insert_and_erase(engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO linked_accounts (platform, public_id, private_id) "
                "VALUES ('facebook', :account, 'private-1')"
            ),
            {"account": MARK},
        )
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM linked_accounts WHERE public_id = :a"), {"a": MARK})


def test_the_store_keeps_a_write_ahead_log(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_a_reader_does_not_hold_up_a_writer(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    written = threading.Event()
    with engine.connect() as reader:
        reader.exec_driver_sql("BEGIN")
        assert reader.exec_driver_sql("SELECT count(*) FROM outbox").scalar() == 0

        def write():
            with engine.begin() as connection:
                connection.exec_driver_sql("PRAGMA busy_timeout = 0")
                connection.execute(
                    text("DELETE FROM outbox WHERE id = -1")  # takes the write lock
                )
                connection.execute(
                    text(
                        "INSERT INTO linked_accounts (platform, public_id, private_id) "
                        "VALUES ('x', 'a', 'b')"
                    )
                )
            written.set()

        writer = threading.Thread(target=write)
        writer.start()
        writer.join(10)
        # Under the rollback journal the commit would fail at once ("database is
        # locked") while the reader's transaction is open.
        assert written.is_set()
        reader.exec_driver_sql("COMMIT")


def test_what_is_erased_leaves_the_log_when_it_is_cleared(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    insert_and_erase(engine)
    # The row never reached the file; its insertion, and its deletion, are in the log.
    assert files_holding(tmp_path, MARK.encode()) == ["assistant.db-wal"]
    assert clear_write_ahead_log(engine) is True
    assert files_holding(tmp_path, MARK.encode()) == []
    # And the store goes on working after it.
    insert_and_erase(engine)
    assert clear_write_ahead_log(engine) is True
    assert files_holding(tmp_path, MARK.encode()) == []


def test_an_in_memory_store_has_no_log_to_clear():
    engine = connect("sqlite://")
    assert clear_write_ahead_log(engine) is True


async def test_the_runtime_clears_the_log_every_minute(tmp_path, monkeypatch):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    insert_and_erase(engine)
    assert files_holding(tmp_path, MARK.encode()) == ["assistant.db-wal"]
    assert runtime.CLEAR_LOG_EVERY == 60.0
    monkeypatch.setattr(runtime, "CLEAR_LOG_EVERY", 0.01)
    task = asyncio.ensure_future(runtime.clear_log_regularly(engine))
    try:
        for _ in range(500):
            await asyncio.sleep(0.01)
            if not files_holding(tmp_path, MARK.encode()):
                break
        assert files_holding(tmp_path, MARK.encode()) == []
        insert_and_erase(engine)  # the loop goes on
        for _ in range(500):
            await asyncio.sleep(0.01)
            if not files_holding(tmp_path, MARK.encode()):
                break
        assert files_holding(tmp_path, MARK.encode()) == []
    finally:
        task.cancel()


def test_clearing_waits_for_no_one_and_holds_up_no_writer(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    insert_and_erase(engine)
    with engine.connect() as reader:
        # A reader in the middle of a transaction keeps the log from being emptied.
        reader.exec_driver_sql("BEGIN")
        reader.exec_driver_sql("SELECT count(*) FROM linked_accounts").scalar()
        started = time.monotonic()
        assert clear_write_ahead_log(engine, tries=3, pause=0.01) is False
        assert time.monotonic() - started < 1  # not the 5 s busy timeout
        # Every connection still waits as long as before for the others' locks.
        with contextlib.ExitStack() as stack:
            others = [stack.enter_context(engine.connect()) for _ in range(4)]
            for other in others:
                assert other.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        with engine.begin() as writer:
            writer.exec_driver_sql("PRAGMA busy_timeout = 0")
            writer.execute(
                text(
                    "INSERT INTO linked_accounts (platform, public_id, private_id) "
                    "VALUES ('x', 'a', 'b')"
                )
            )
            writer.exec_driver_sql("PRAGMA busy_timeout = 5000")
        reader.exec_driver_sql("COMMIT")
    assert clear_write_ahead_log(engine) is True
    assert files_holding(tmp_path, MARK.encode()) == []


async def test_a_started_runtime_clears_its_stores_log(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "CLEAR_LOG_EVERY", 0.05)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {tmp_path / 'tracker.db'}\n"
    )
    settings = Settings(
        ROOT / "association.yml",
        database_url=f"sqlite:///{tmp_path / 'assistant.db'}",
        endpoints_file=endpoints,
        encryption_keys=(new_encryption_key(),),
        lookup_key=new_lookup_key(),
    )
    built = build_runtime(settings)
    insert_and_erase(built.intake.engine)
    assert files_holding(tmp_path, MARK.encode()) == ["assistant.db-wal"]
    built.start(SimpleNamespace(ctx=SimpleNamespace(agent=None)), None)
    try:
        assert await until(lambda: not files_holding(tmp_path, MARK.encode()), 10)
    finally:
        await built.stop()
