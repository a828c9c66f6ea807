"""Two outbox workers on one PostgreSQL, as two machines of the cluster profile run
them: every message is sent once, and a conversation's messages in their order (P12).

Each worker has its own engine (its own connections, as on another machine), and both
are held at the claim until the other has read the same candidates, so that they race
for the same rows. Run through `make postgres-test`.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, text

from bot.events import Operation
from bot.keys import DataKeys, new_encryption_key, new_lookup_key
from bot.outbox import SENT, Outbox
from bot.outbox_worker import OutboxWorker
from bot.platforms.facebook.delivery import facebook_deliverer
from bot.platforms.facebook.graph_api import GraphClient
from bot.store import connect, outbox
from scripts.fake_platforms import FakePlatforms
from tests.helpers import in_threads

URL = os.environ.get("TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="needs TEST_POSTGRES_URL: run `make postgres-test`")

NOW = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)
CONVERSATIONS = 12
PER_CONVERSATION = 5
# The machines share the store's keys, as a cluster's servers do (ENCRYPTION_KEYS).
KEYS = DataKeys([new_encryption_key()], new_lookup_key())


@pytest.fixture()
def platforms():
    with FakePlatforms() as fake:
        yield fake


def machine(platforms: FakePlatforms, claims_seen: threading.Barrier) -> OutboxWorker:
    """One machine's worker: its own engine, held at its first claims until the other
    machine's worker has read the same candidates."""
    engine = connect(URL, KEYS)
    held = {"claims": 0}

    @event.listens_for(engine, "before_cursor_execute")
    def race(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE OUTBOX") and held["claims"] < 3:
            held["claims"] += 1
            try:
                claims_seen.wait()
            except threading.BrokenBarrierError:
                pass  # the other worker has finished: nothing left to race for

    graph = GraphClient(platforms.graph_url, "1000", "page-token", timeout=(2.0, 5.0))
    return OutboxWorker(Outbox(engine), {"facebook": facebook_deliverer(graph)}, lambda: NOW)


def test_two_workers_send_every_message_once_and_each_conversation_in_order(platforms):
    engine = connect(URL, KEYS)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE outbox"))
    box = Outbox(engine)
    for n in range(PER_CONVERSATION):
        for c in range(CONVERSATIONS):
            box.enqueue(
                f"facebook-private-p{c}",
                "facebook",
                Operation.MESSENGER_SEND,
                f"p{c}",
                NOW,
                text=f"conversation {c} message {n}",
                user_message_at=NOW,
            )

    claims_seen = threading.Barrier(2, timeout=5)
    workers = [machine(platforms, claims_seen) for _ in range(2)]

    def run(worker: OutboxWorker) -> None:
        while worker.run_once():
            pass

    in_threads(run, workers, timeout=120)
    # One worker may have stopped while the other still held the last claims: finish.
    while workers[0].run_once():
        pass

    sent = [call.body["message"]["text"] for call in platforms.received("facebook")]
    assert Counter(sent) == Counter(
        f"conversation {c} message {n}"
        for c in range(CONVERSATIONS)
        for n in range(PER_CONVERSATION)
    ), "a message was sent twice, or never"
    for c in range(CONVERSATIONS):
        mine = [text for text in sent if text.startswith(f"conversation {c} ")]
        assert mine == [f"conversation {c} message {n}" for n in range(PER_CONVERSATION)]
    with engine.connect() as connection:
        states = connection.execute(
            outbox.select().with_only_columns(outbox.c.state).distinct()
        ).scalars()
        assert set(states) == {SENT}
