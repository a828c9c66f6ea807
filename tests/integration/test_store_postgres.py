"""The store on PostgreSQL: the same code as SQLite, another URL.

Run through `make postgres-test`, which starts a throwaway PostgreSQL on loopback.
"""

import os
import threading
from datetime import datetime

import pytest
from sqlalchemy import text

from bot.handoff.handoffs import (
    Conversation,
    HandoffRepository,
    Reason,
    State,
    TransitionError,
    plan,
)
from bot.store import connect
from tests.helpers import CALENDAR, UK

URL = os.environ.get("TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="needs TEST_POSTGRES_URL: run `make postgres-test`")


@pytest.fixture()
def engine():
    engine = connect(URL)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE handoffs"))
    return engine


def test_it_really_is_postgresql(engine):
    assert engine.dialect.name == "postgresql"


def test_a_record_round_trips_with_its_time_zone(engine):
    repository = HandoffRepository(engine)
    now = datetime(2026, 7, 3, 16, 30, tzinfo=UK)  # BST
    handoff = repository.add(
        plan(Reason.EMERGENCY, Conversation("c-1", "facebook"), now, CALENDAR, "Repairs")
    )
    assert repository.get(handoff.id) == handoff
    assert repository.queue() == [handoff]


def test_states_move_the_same_way(engine):
    repository = HandoffRepository(engine)
    now = datetime(2026, 11, 23, 10, tzinfo=UK)
    handoff = repository.add(
        plan(Reason.COMPLAINT, Conversation("c-2"), now, CALENDAR, "Customer Experience")
    )
    repository.move(handoff.id, State.TAKEN, now)
    repository.move(handoff.id, State.CLOSED, now)
    with pytest.raises(TransitionError):
        repository.move(handoff.id, State.TAKEN, now)


def test_two_staff_taking_the_same_handoff_at_once_one_wins(engine):
    """The row is locked while it moves, so a second taker sees it already taken."""
    repository = HandoffRepository(engine)
    now = datetime(2026, 11, 23, 10, tzinfo=UK)
    handoff = repository.add(
        plan(Reason.REQUEST_HUMAN, Conversation("c-3"), now, CALENDAR, "Communications")
    )
    outcomes = []
    barrier = threading.Barrier(4)

    def take():
        barrier.wait()
        try:
            repository.move(handoff.id, State.TAKEN, now)
            outcomes.append("took")
        except TransitionError:
            outcomes.append("refused")

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "refused", "refused", "took"]
