"""What an outbox claim costs as the backlog of pending calls grows.

A worker claims before every call it makes. Each claim reads the first few calls that
are due (`bot.outbox.Outbox.claim`, through the `outbox_due` index) and takes one. With
the backlog at each size (pending calls, and four times as many sent before them), it
times claims on a SQLite file, and on PostgreSQL when TEST_POSTGRES_URL names a server
(`scripts/with-postgres.sh` starts one). The time should stay flat as the backlog grows.

Usage: python -m bench.outbox_claim [--backlogs 200,1000,5000] [--claims N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, List

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine, make_url

from bot.keys import DataKeys
from bot.outbox import PENDING, SENT, Outbox
from bot.store import connect, outbox

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)


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
    with engine.begin() as connection:
        for start in range(0, len(rows), 1000):
            connection.execute(insert(outbox), rows[start : start + 1000])
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE outbox"))


def per_claim(engine: Engine, claims: int) -> tuple[float, float]:
    """Median and p95 of a claim, in milliseconds (each takes a call)."""
    box, took = Outbox(engine), []
    for _ in range(claims):
        started = time.perf_counter()
        box.claim(NOW, platforms=["facebook"])
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return statistics.median(took), took[int(len(took) * 0.95)]


def sqlite_engines() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        engine = connect(f"sqlite:///{Path(folder) / 'store.db'}", DataKeys.ephemeral())
        yield engine
        engine.dispose()


def postgres_engines(server: str) -> Iterator[Engine]:
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
    stores = [("SQLite", sqlite_engines)]
    server = os.environ.get("TEST_POSTGRES_URL")
    if server:
        stores.append(("PostgreSQL", lambda: postgres_engines(server)))
    else:
        print("(PostgreSQL left out: TEST_POSTGRES_URL is not set)")
    for store, engines in stores:
        for backlog in backlogs:
            for engine in engines():
                fill(engine, backlog)
                median, p95 = per_claim(engine, args.claims)
            print(
                f"{store:10} {backlog:>6} calls pending: a claim takes "
                f"median {median:.2f} ms, p95 {p95:.2f} ms ({args.claims} claims)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
