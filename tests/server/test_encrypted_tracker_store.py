"""The tracker store Rasa runs with keeps conversations encrypted at rest (P9), and lets
go of the sealed answers to the security questions once a check is over (P4)."""

import json
import sqlite3

import pytest
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import insert

from bot.channels.tracker_store import (
    EncryptedSQLTrackerStore,
    MaskedSQLTrackerStore,
    TrackerStoreKeysMissing,
)
from bot.keys import DataKeys, new_lookup_key
from bot.protection.conversations import TrackerEvents, engine_for, tracker_events
from bot.tenancy.masking import HIDDEN, SECURITY_SLOTS
from bot.tenancy.security_question import Sealer
from tests.helpers import ROOT, encrypted_tracker_store

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
PERSONAL = ("07700 900123", "12/04/1958", "14 Elm Road, LS6 2AB")
SEALER = Sealer(Sealer.new_key())
ANSWERS = ("TEN-204817", "Margaret Thompson", "12/04/1958")


def rows(path):
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT type_name, action_name, data FROM events").fetchall()


async def test_a_conversation_is_stored_encrypted_and_read_back_whole(tmp_path):
    keys = DataKeys.ephemeral()
    path = tmp_path / "tracker.db"
    store = encrypted_tracker_store(path, keys)
    tracker = DialogueStateTracker.from_events(
        "facebook-private-1",
        [
            UserUttered(f"call me on {PERSONAL[0]}", {"name": "inform"}),
            UserUttered(f"I was born {PERSONAL[1]}", {"name": "inform"}),
            UserUttered(f"I live at {PERSONAL[2]}", {"name": "inform"}),
        ],
        slots=DOMAIN.slots,
    )
    await store.save(tracker)

    content = path.read_bytes()
    for detail in PERSONAL:
        assert detail.encode() not in content, detail
    assert all(data.startswith("fernet:") for _, _, data in rows(path))

    kept = await encrypted_tracker_store(path, keys).retrieve("facebook-private-1")
    texts = [e.text for e in kept.events if isinstance(e, UserUttered)]
    assert texts == [
        f"call me on {PERSONAL[0]}",
        f"I was born {PERSONAL[1]}",
        f"I live at {PERSONAL[2]}",
    ]


async def test_conversations_stored_before_encryption_are_still_read(tmp_path):
    keys = DataKeys.ephemeral()
    path = tmp_path / "tracker.db"
    store = encrypted_tracker_store(path, keys)
    old = UserUttered("hello from before", {"name": "greet"}, timestamp=1.0).as_dict()
    with engine_for(f"sqlite:///{path}").begin() as connection:
        connection.execute(
            insert(tracker_events).values(
                sender_id="facebook-private-1",
                type_name="user",
                timestamp=1.0,
                data=json.dumps(old),
            )
        )
    tracker = await store.retrieve("facebook-private-1")
    tracker.update(UserUttered("and now", {"name": "greet"}))
    await store.save(tracker)

    kept = await store.retrieve("facebook-private-1")
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == [
        "hello from before",
        "and now",
    ]


def test_without_keys_the_store_refuses_and_says_how_to_make_them(monkeypatch, tmp_path):
    monkeypatch.setenv("ENCRYPTION_KEYS", "")
    monkeypatch.setenv("LOOKUP_KEY", "")
    endpoint = EndpointConfig(
        type="bot.channels.tracker_store.EncryptedSQLTrackerStore",
        dialect="sqlite",
        db=str(tmp_path / "tracker.db"),
    )
    # Rasa's own loader: it must not carry on with a store in memory.
    with pytest.raises(TrackerStoreKeysMissing) as refused:
        TrackerStore.create(endpoint, DOMAIN)
    message = str(refused.value)
    assert "Refusing to start" in message and "ENCRYPTION_KEYS" in message
    assert "make run" in message


def test_the_keys_come_from_the_settings(monkeypatch, tmp_path):
    keys = DataKeys.ephemeral()
    monkeypatch.setenv("ENCRYPTION_KEYS", ",".join(keys.encryption_keys))
    monkeypatch.setenv("LOOKUP_KEY", new_lookup_key())
    # Made from the settings, as a Rasa server makes it, it records its keys in the store.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    store = EncryptedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    assert store.data_keys.decrypt(keys.encrypt("same keys")) == "same keys"
    store.stop_recording_keys()


def test_deployed_endpoints_files_naming_the_masked_store_still_load():
    assert MaskedSQLTrackerStore is EncryptedSQLTrackerStore


# --- sealed answers (P4) ----------------------------------------------------------


def answering(sender):
    """A conversation in the identity form, all three answers given and sealed."""
    events = [
        UserUttered("how much rent do i owe", {"name": "ask_rent_balance"}),
        ActiveLoop("identity_form"),
    ]
    for slot, answer in zip(SECURITY_SLOTS, ANSWERS, strict=True):
        events += [
            SlotSet("requested_slot", slot),
            UserUttered(answer, {"name": "inform"}),
            SlotSet(slot, SEALER.seal([slot, answer])),
        ]
    return DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots)


def sealed_in_history(keys, path, sender):
    conversation = TrackerEvents(engine_for(f"sqlite:///{path}"), keys).events(sender)
    return [e for e in conversation if "sealed:" in json.dumps(e)]


def security_values(keys, path, sender):
    conversation = TrackerEvents(engine_for(f"sqlite:///{path}"), keys).events(sender)
    return [e["value"] for e in conversation if e.get("name") in SECURITY_SLOTS]


async def test_sealed_answers_stay_while_the_check_goes_on(tmp_path):
    keys, path = DataKeys.ephemeral(), tmp_path / "tracker.db"
    store = encrypted_tracker_store(path, keys)
    await store.save(answering("tenant-1"))

    kept = await store.retrieve("tenant-1")
    for slot, answer in zip(SECURITY_SLOTS, ANSWERS, strict=True):
        assert SEALER.open(kept.get_slot(slot)) == [slot, answer]


@pytest.mark.parametrize("status", ["verified", "failed", "locked", "stopped"])
async def test_once_the_check_is_over_its_sealed_answers_leave_the_history(tmp_path, status):
    keys, path = DataKeys.ephemeral(), tmp_path / "tracker.db"
    store = encrypted_tracker_store(path, keys)
    await store.save(answering("tenant-1"))
    tracker = await store.retrieve("tenant-1")
    for event in (
        ActiveLoop(None),
        *(SlotSet(slot, None) for slot in SECURITY_SLOTS),
        SlotSet("identity_status", status),
    ):
        tracker.update(event)
    await store.save(tracker)

    assert sealed_in_history(keys, path, "tenant-1") == []
    assert security_values(keys, path, "tenant-1") == [HIDDEN, HIDDEN, HIDDEN, None, None, None]
    # Another conversation's check, still going on, keeps its answers.
    await store.save(answering("tenant-2"))
    assert len(sealed_in_history(keys, path, "tenant-2")) == 3
    # The conversation still reads back, its messages as they were.
    kept = await store.retrieve("tenant-1")
    assert kept.get_slot("identity_status") == status
    assert [e.text for e in kept.events if isinstance(e, UserUttered)][0] == (
        "how much rent do i owe"
    )


async def test_an_interrupted_check_keeps_its_answers_to_carry_on(tmp_path):
    keys, path = DataKeys.ephemeral(), tmp_path / "tracker.db"
    store = encrypted_tracker_store(path, keys)
    tracker = answering("tenant-1")
    for event in (ActiveLoop(None), SlotSet("identity_status", "interrupted")):
        tracker.update(event)
    await store.save(tracker)

    assert len(sealed_in_history(keys, path, "tenant-1")) == 3


async def test_the_answers_of_a_check_ended_in_the_turn_that_sealed_them_go_too(tmp_path):
    # The last answer is sealed, and the check run, in one turn: one save.
    keys, path = DataKeys.ephemeral(), tmp_path / "tracker.db"
    tracker = answering("tenant-1")
    for event in (ActiveLoop(None), SlotSet("identity_status", "failed")):
        tracker.update(event)
    await encrypted_tracker_store(path, keys).save(tracker)

    assert sealed_in_history(keys, path, "tenant-1") == []
    assert security_values(keys, path, "tenant-1") == [HIDDEN, HIDDEN, HIDDEN]
