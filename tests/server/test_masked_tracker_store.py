"""The tracker store Rasa runs with keeps security answers out of its database (P4)."""

import asyncio
import functools
import logging
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime

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


async def next_turn(tmp_path):
    """A store holding `conversation()`, and its next turn read back from it: the form
    left and a thank-you added, not saved yet."""
    store = MaskedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    await store.save(conversation())
    tracker = await store.retrieve("tenant-1")
    for event in (SlotSet("requested_slot", None), ActiveLoop(None)):
        tracker.update(event)
    tracker.update(UserUttered("thanks", {"name": "thank"}))
    return store, tracker


async def test_later_turns_add_only_their_own_events(tmp_path):
    store, tracker = await next_turn(tmp_path)
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


def every_kind_of_event():
    """One event of each kind Rasa writes to a tracker store, as stored."""
    from rasa.shared.core import events

    return [
        e.as_dict()
        for e in (
            events.SessionStarted(),
            events.ActionExecuted("action_session_start"),
            events.UserUttered(
                "no heating",
                {"name": "report_repair", "confidence": 0.9},
                entities=[{"entity": "room", "value": "kitchen", "start": 0, "end": 2}],
                input_channel="facebook",
                message_id="m-1",
                metadata={"platform": "facebook"},
            ),
            events.DefinePrevUserUtteredFeaturization(False),
            events.EntitiesAdded([{"entity": "room", "value": "hall"}]),
            events.BotUttered("Which room?", {"buttons": []}, {"utter_action": "utter_x"}),
            events.SlotSet("repair_room", "kitchen"),
            events.ActiveLoop("identity_form"),
            events.LoopInterrupted(True),
            events.ActionExecutionRejected("identity_form"),
            events.FollowupAction("action_listen"),
            events.ReminderScheduled("remind", datetime(2026, 12, 2, 9, 0), name="r1"),
            events.ReminderCancelled(name="r1"),
            events.ConversationPaused(),
            events.ConversationResumed(),
            events.UserUtteranceReverted(),
            events.ActionReverted(),
            events.AllSlotsReset(),
            events.StoryExported(),
            events.Restarted(),
        )
    ] + [{"event": "user_featurization", "timestamp": 1.0, "use_text_for_featurization": True}]


def test_events_read_back_are_those_rasa_would_read(monkeypatch, tmp_path):
    from rasa.shared.core.events import Event, deserialise_events

    from bot.channels import event_classes

    stored = every_kind_of_event()
    monkeypatch.setattr(Event, "resolve_by_type", staticmethod(event_classes.rasas_lookup))
    rasas = deserialise_events(stored)
    MaskedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    assert Event.resolve_by_type is event_classes.resolve_by_type  # the store's lookup
    ours = deserialise_events(stored)
    assert [type(e) for e in ours] == [type(e) for e in rasas]
    assert [e.as_dict() for e in ours] == [e.as_dict() for e in rasas]
    assert len(ours) == len(stored)


async def test_saving_a_turn_leaves_the_conversation_before_it_as_it_is(tmp_path, monkeypatch):
    # A turn writes its own events. It used to build the whole conversation again from
    # its stored form to save it, a cost that grew with every message (bench/
    # tracker_encryption.py measures a turn).
    from rasa.shared.core.events import Event

    store, tracker = await next_turn(tmp_path)

    def no_reading(*args, **kwargs):
        raise AssertionError("the conversation was read back into events to save a turn")

    monkeypatch.setattr(Event, "from_parameters", staticmethod(no_reading))
    monkeypatch.setattr(Event, "_from_parameters", classmethod(no_reading))
    await store.save(tracker)
    monkeypatch.undo()
    kept = await store.retrieve("tenant-1")
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == [
        "how much rent do i owe",
        HIDDEN,
        "thanks",
    ]


def two_sessions(sender):
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    first = [
        ActionExecuted("action_session_start", timestamp=1.0),
        SessionStarted(timestamp=1.0),
        UserUttered("my boiler is broken", {"name": "report_repair"}, timestamp=2.0),
    ]
    second = [
        ActionExecuted("action_session_start", timestamp=5000.0),
        SessionStarted(timestamp=5000.0),
        UserUttered("hello again", {"name": "greet"}, timestamp=5001.0),
    ]
    return DialogueStateTracker.from_events(sender, first + second, slots=DOMAIN.slots)


async def sessions_as_read(store, sender):
    latest = await store.retrieve(sender)
    every = await store.retrieve_full_tracker(sender)
    said = [[e.text for e in t.events if isinstance(e, UserUttered)] for t in (latest, every)]
    return said, len(latest.events), len(every.events)


async def test_a_turn_reads_the_latest_session_as_rasas_store_does(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore

    ours = MaskedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))
    rasas = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    for store in (ours, rasas):
        await store.save(two_sessions("tenant-1"))
        tracker = await store.retrieve("tenant-1")
        tracker.update(UserUttered("thanks", {"name": "thank"}, timestamp=5002.0))
        await store.save(tracker)
    said, latest, every = await sessions_as_read(ours, "tenant-1")
    assert said == [
        ["hello again", "thanks"],
        ["my boiler is broken", "hello again", "thanks"],
    ]
    assert (said, latest, every) == await sessions_as_read(rasas, "tenant-1")
