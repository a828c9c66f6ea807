"""What a claim costs, in the outbox and in the intake, as the backlog grows.

An outbox worker claims before every call it makes: each claim reads the first few calls
that are due (`bot.outbox.Outbox.claim`, through the `outbox_due` index) and takes one.
The intake loop claims the first waiting event of each conversation
(`bot.intake.IntakeStore.claim`, through `inbound_events_waiting` and
`inbound_events_queue`), here one at a time. With the backlog at each size (calls or
events waiting, each in a conversation of its own, after four times as many done), it
times claims on a SQLite file, and on PostgreSQL when TEST_POSTGRES_URL names a server
(`scripts/with-postgres.sh` starts one). The time should stay flat as the backlog grows.

Usage: python -m bench.claims [--backlogs 200,1000,5000] [--claims N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator, List

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine, make_url

from bot.events import InboundEvent
from bot.intake import ACCEPTED, PROCESSED, IntakeStore
from bot.keys import DataKeys
from bot.outbox import PENDING, SENT, Outbox
from bot.store import connect, inbound_events, outbox

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)


def fill_intake(engine: Engine, waiting: int) -> None:
    """`waiting` events accepted, each in a conversation of its own, after four times as
    many processed."""

    def row(number: int, state: str) -> dict:
        return {
            "platform": "facebook",
            "event_id": f"mid.{state}.{number}",
            "conversation_id": f"facebook-private-{state}{number}",
            "event": json.dumps(
                InboundEvent(
                    "facebook", "message", f"mid.{number}", "private", f"psid{number}", "hi", NOW
                ).as_dict()
            )
            if state == ACCEPTED
            else None,
            "state": state,
            "attempts": 0,
            "received_at": NOW - timedelta(minutes=5),
        }

    rows = [row(n, PROCESSED) for n in range(4 * waiting)]
    rows += [row(n, ACCEPTED) for n in range(waiting)]
    _insert(engine, inbound_events, rows)


def _insert(engine: Engine, table, rows: List[dict]) -> None:
    with engine.begin() as connection:
        for start in range(0, len(rows), 1000):
            connection.execute(insert(table), rows[start : start + 1000])
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"ANALYZE {table.name}"))


def fill(engine: Engine, pending: int) -> None:
    """`pending` calls due, each in a conversation of its own, after four times as many
    sent."""

    def row(number: int, state: str) -> dict:
        return {
            "conversation_id": f"facebook-private-{state}{number}",
            "platform": "facebook",
            "operation": "messenger_send",
            "target": f"psid{number}",
            "text": None,
            "author": "assistant",
            "state": state,
            "attempts": 1 if state == SENT else 0,
            "created_at": NOW - timedelta(minutes=5),
            "next_attempt_at": NOW - timedelta(minutes=5),
        }

    rows = [row(n, SENT) for n in range(4 * pending)] + [row(n, PENDING) for n in range(pending)]
    _insert(engine, outbox, rows)


def per_claim(claim: Callable[[], object], claims: int) -> tuple[float, float]:
    """Median and p95 of `claim()`, in milliseconds (each takes one from the backlog)."""
    took = []
    for _ in range(claims):
        started = time.perf_counter()
        claim()
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return statistics.median(took), took[int(len(took) * 0.95)]


def outbox_claim(engine: Engine) -> Callable[[], object]:
    box = Outbox(engine)
    return lambda: box.claim(NOW, platforms=["facebook"])


def intake_claim(engine: Engine) -> Callable[[], object]:
    intake = IntakeStore(engine)
    return lambda: intake.claim(NOW, limit=1)


@contextmanager
def sqlite_store() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        engine = connect(f"sqlite:///{Path(folder) / 'store.db'}", DataKeys.ephemeral())
        yield engine
        engine.dispose()


@contextmanager
def postgres_store(server: str) -> Iterator[Engine]:
    url, name = make_url(server), f"bench_claim_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        database = url.set(database=name).render_as_string(hide_password=False)
        engine = connect(database, DataKeys.ephemeral())
        yield engine
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backlogs", default="200,1000,5000")
    parser.add_argument("--claims", type=int, default=200)
    args = parser.parse_args(argv)
    backlogs = [int(b) for b in args.backlogs.split(",")]
    if min(backlogs) < args.claims:
        parser.error("each backlog must hold at least as many calls as there are claims")
    stores = [("SQLite", sqlite_store)]
    server = os.environ.get("TEST_POSTGRES_URL")
    if server:
        stores.append(("PostgreSQL", lambda: postgres_store(server)))
    else:
        print("(PostgreSQL left out: TEST_POSTGRES_URL is not set)")
    queues = [
        ("outbox", "calls pending", fill, outbox_claim),
        ("intake", "events waiting", fill_intake, intake_claim),
    ]
    for store, new_store in stores:
        for queue, waiting, filled, claimer in queues:
            for backlog in backlogs:
                with new_store() as engine:
                    filled(engine, backlog)
                    median, p95 = per_claim(claimer(engine), args.claims)
                print(
                    f"{store:10} {queue} {backlog:>6} {waiting}: a claim takes "
                    f"median {median:.2f} ms, p95 {p95:.2f} ms ({args.claims} claims)"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
