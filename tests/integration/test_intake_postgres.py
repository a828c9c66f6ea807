"""Durable intake on PostgreSQL: one platform event is accepted once, even when two
servers receive its redelivery at the same moment (P12).

Run through `make postgres-test`, which starts a throwaway PostgreSQL on loopback.
"""

import os
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, func, select, text

from bot.events import InboundEvent
from bot.intake import IntakeStore
from bot.store import connect, inbound_events

URL = os.environ.get("TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="needs TEST_POSTGRES_URL: run `make postgres-test`")
NOW = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)


@pytest.fixture()
def engine():
    engine = connect(URL)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE inbound_events"))
    return engine


def both_insert_together(engine, parties):
    """Hold every INSERT into the intake until `parties` threads have reached one.

    Each thread has then already looked for the event and not found it: only the
    store itself can keep the second copy out.
    """
    barrier = threading.Barrier(parties, timeout=10)

    @event.listens_for(engine, "before_cursor_execute")
    def wait_for_the_other(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO INBOUND_EVENTS"):
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass  # the other thread had already finished: nothing to race


def test_the_same_event_received_twice_at_once_is_accepted_once(engine):
    message = InboundEvent(
        "facebook", "message", "mid.same", "private", "u1", "my boiler is broken", NOW
    )
    both_insert_together(engine, 2)
    results, errors = [], []

    def receive():
        try:
            results.append(IntakeStore(engine).accept([message], NOW))
        except Exception as error:  # the webhook would answer 500 and be redelivered
            errors.append(error)

    threads = [threading.Thread(target=receive) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert sorted(len(accepted) for accepted in results) == [0, 1]
    with engine.connect() as connection:
        copies = connection.execute(select(func.count()).select_from(inbound_events)).scalar()
    assert copies == 1
    assert [c.event.event_id for c in IntakeStore(engine).claim(NOW)] == ["mid.same"]


def test_on_postgresql_a_claim_walks_the_waiting_events_not_every_event_before_them(engine):
    # With many events processed before those waiting, PostgreSQL walked the ids from
    # the first and filtered them; with thousands waiting, its plan for the grouped
    # query took seconds a claim (bench/claims.py).
    from bench.claims import fill_intake
    from tests.helpers import query_plan

    fill_intake(engine, 2000)
    plan = query_plan(engine, lambda: IntakeStore(engine).claim(NOW, limit=1))
    assert "inbound_events_accepted" in plan, plan
    assert "inbound_events_queue" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert [c.event.text for c in IntakeStore(engine).claim(NOW, limit=1)] == ["hi"]
