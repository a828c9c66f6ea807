"""The tracker store Rasa runs with keeps security answers out of its database (P4)."""

import yaml
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.answer_masking import HIDDEN
from bot.masked_tracker_store import MaskedSQLTrackerStore
from tests.helpers import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


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
    assert b"Margaret" not in content and HIDDEN.encode() in content
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


def test_endpoints_name_the_masked_store():
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    assert endpoints["tracker_store"]["type"] == "bot.masked_tracker_store.MaskedSQLTrackerStore"
