"""The tracker store Rasa runs with keeps security answers out of its database (P4)."""

import asyncio
import functools
import logging
import sqlite3
import threading
from contextlib import contextmanager

import yaml
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.tracker_store import EncryptedSQLTrackerStore
from bot.keys import DataKeys
from bot.tenancy.masking import HIDDEN
from tests.helpers import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
KEYS = DataKeys.ephemeral()
MaskedSQLTrackerStore = functools.partial(EncryptedSQLTrackerStore, data_keys=KEYS)


class Recorder(EventBroker):
    def __init__(self):
        self.published = []

    def publish(self, event):
        self.published.append(event)


def conversation():
    tracker = DialogueStateTracker.from_events(
        "tenant-1",
        [
            UserUttered("how much rent do i owe", {"name": "ask_rent_balance"}),
            ActiveLoop("identity_form"),
            SlotSet("requested_slot", "security_name"),
            UserUttered("Margaret Thompson", {"name": "inform"}),
            SlotSet("security_name", "Margaret Thompson"),
        ],
        slots=DOMAIN.slots,
    )
    return tracker


async def test_answers_are_masked_in_the_database_and_the_event_stream(tmp_path):
    broker = Recorder()
    store = MaskedSQLTrackerStore(
        domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"), event_broker=broker
    )
    tracker = conversation()
    await store.save(tracker)

    content = (tmp_path / "tracker.db").read_bytes()
    assert b"Margaret" not in content
    assert "Margaret" not in str(broker.published) and broker.published

    kept = await store.retrieve("tenant-1")
    texts = [e.text for e in kept.events if isinstance(e, UserUttered)]
    assert texts == ["how much rent do i owe", HIDDEN]
    # The tracker in memory is the turn's own: it is not changed by saving.
    assert tracker.get_slot("security_name") == "Margaret Thompson"


async def test_later_turns_add_only_their_own_events(tmp_path):
    store = MaskedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    tracker = conversation()
    await store.save(tracker)
    tracker = await store.retrieve("tenant-1")
    for event in (SlotSet("requested_slot", None), ActiveLoop(None)):
        tracker.update(event)
    tracker.update(UserUttered("thanks", {"name": "thank"}))
    await store.save(tracker)
    kept = await store.retrieve("tenant-1")
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == [
        "how much rent do i owe",
        HIDDEN,
        "thanks",
    ]


def test_endpoints_name_the_encrypted_store():
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    kind = endpoints["tracker_store"]["type"]
    assert kind == "bot.channels.tracker_store.EncryptedSQLTrackerStore"


async def test_queries_run_off_the_event_loop(tmp_path):
    # Rasa's own SQL store queries on the event loop: one slow query there holds up
    # every other conversation. Each query here waits until another coroutine on the
    # loop has run; on the loop, it would wait for ever.
    store = MaskedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    release = threading.Event()
    scope = store.session_scope

    @contextmanager
    def waiting_scope():
        assert release.wait(timeout=10), "a query ran on the event loop"
        with scope() as session:
            yield session

    store.session_scope = waiting_scope

    async def other_tenant():
        await asyncio.sleep(0)
        release.set()

    for call in (
        lambda: store.save(conversation()),
        lambda: store.retrieve("tenant-1"),
        store.keys,
    ):
        release.clear()
        await asyncio.gather(call(), other_tenant())
    assert (await store.retrieve("tenant-1")).sender_id == "tenant-1"


async def test_a_turn_that_answers_a_security_question_writes_no_log_of_it(tmp_path, caplog):
    store = MaskedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    asking = DialogueStateTracker.from_events(
        "tenant-2",
        [ActiveLoop("identity_form"), SlotSet("requested_slot", "security_date_of_birth")],
        slots=DOMAIN.slots,
    )
    await store.save(asking)
    logger = logging.getLogger("rasa.core.processor")

    async def turn(sender):
        await store.retrieve(sender)
        logger.debug("Received user message '12/04/1958'")
        try:
            raise ValueError("no such table [parameters: ('12/04/1958',)]")
        except ValueError:
            logger.exception("Encountered an exception while running action")

    with caplog.at_level(logging.DEBUG):
        await asyncio.create_task(turn("tenant-2"))
        await asyncio.create_task(turn("someone-else"))
    # The processor's DEBUG line is not written at all (bot.privacy.logs); its error is.
    answering = [r for r in caplog.records if r.name == "rasa.core.processor"][:1]
    assert all("1958" not in caplog.handler.format(r) for r in answering)
    assert "ValueError" in answering[0].getMessage()
    # Another conversation's turn logs as usual.
    assert "12/04/1958" in caplog.text


async def test_a_failed_write_carries_no_message_text(tmp_path, caplog):
    """The store's errors are logged whole (logger.exception): the row being written,
    a tenant's message, must not be in them (P5)."""
    path = tmp_path / "locked.db"
    store = MaskedSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path), query={"timeout": "0.1"})
    tracker = DialogueStateTracker("facebook-private-123", [])
    tracker.update(UserUttered("my number is 07700 900123, 14 Elm Road", message_id="m1"))
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        try:
            await store.save(tracker)
        except Exception as error:
            logging.getLogger("bot.channels.runtime").exception("Processing failed")
            failure = error
    finally:
        holder.rollback()
        holder.close()
    assert "locked" in str(failure)
    for shown in (str(failure), repr(failure), caplog.text):
        assert "07700" not in shown and "Elm Road" not in shown
