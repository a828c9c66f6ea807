"""Strikes on PostgreSQL: two processed at once are both counted (P7).

Run through `make postgres-test`, which starts a throwaway PostgreSQL on loopback.
"""

import os
import threading

import pytest
from sqlalchemy import text

from bot.events import Operation
from bot.outbox import Outbox
from bot.screening.coordinator import Intent, Screening
from bot.store import connect
from tests.helpers import store_keys
from tests.unit.test_screening import ASSOCIATION, CALENDAR, TUESDAY, comment

URL = os.environ.get("TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="needs TEST_POSTGRES_URL: run `make postgres-test`")
ABUSE = "you're all useless f***ing idiots"


@pytest.fixture()
def engine():
    engine = connect(URL, store_keys())
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE moderation_actions, outbox, handoffs"))
    return engine


@pytest.mark.parametrize("round_", range(5))
def test_two_strikes_screened_at_once_on_two_servers_are_both_counted(engine, round_):
    author = f"pg-{round_}"
    first = Screening(engine, Outbox(engine), ASSOCIATION, CALENDAR)
    first.screen(comment(f"{author}-0", ABUSE, author=author), Intent("abuse", 0.95), TUESDAY)
    # Servers of one deployment run with the same keys (P9).
    servers = [
        Screening(connect(URL, store_keys()), Outbox(engine), ASSOCIATION, CALENDAR)
        for _ in range(2)
    ]
    start, errors = threading.Barrier(2), []

    def screen(screening, n):
        start.wait()
        try:
            event = comment(f"{author}-{n}", ABUSE, author=author)
            screening.screen(event, Intent("abuse", 0.95), TUESDAY)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=screen, args=(s, n + 1)) for n, s in enumerate(servers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(first.log.strikes("facebook", author)) == 3
    blocks = [m for m in Outbox(engine).messages() if m.operation is Operation.BLOCK_USER]
    assert [m.target for m in blocks] == [author]
