"""What the tracker store's file still holds after an erasure, a rewrite or a plain
conversation: nothing erased can be read back from it, even with the keys, and the
plain columns beside each conversation id do not say what the tenant talked about (P9)."""

import asyncio
import re
import sqlite3

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text

from bot.keys import DataKeys, KeysError
from bot.protection.conversations import TrackerEvents, engine_for
from bot.tenancy.masking import SECURITY_SLOTS
from bot.tenancy.security_question import Sealer
from tests.helpers import ROOT, encrypted_tracker_store

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
SEALER = Sealer(Sealer.new_key())
PERSONAL = ("07700 900123", "12/04/1958", "14 Elm Road, LS6 2AB")
ANSWERS = ("TEN-204817", "Margaret Thompson", "12/04/1958")
TOKEN = re.compile(rb"fernet:[A-Za-z0-9_\-]+=*")


@pytest.fixture
def secure_delete_off_by_default(monkeypatch):
    """Every new SQLite connection starts with secure_delete OFF, as on builds of SQLite
    other than Debian's: the product must turn it on itself."""
    import sqlite3.dbapi2 as dbapi

    plain_connect = dbapi.connect

    def connect(*args, **kwargs):
        connection = plain_connect(*args, **kwargs)
        connection.execute("PRAGMA secure_delete = OFF")
        return connection

    monkeypatch.setattr(dbapi, "connect", connect)
    probe = create_engine("sqlite://")
    with probe.connect() as connection:
        assert connection.execute(text("PRAGMA secure_delete")).scalar() == 0
    probe.dispose()


def readable(path, keys):
    """Every Fernet token anywhere in the file, live or in free space, decrypted: what
    someone holding the file and the keys could read."""
    found = []
    for token in TOKEN.findall(path.read_bytes()):
        try:
            found.append(keys.decrypt(token.decode()))
        except (KeysError, ValueError):
            continue  # a token cut short by what overwrote it
    return "\n".join(found)


def told(sender):
    """A conversation giving personal details and the three sealed security answers."""
    events = [UserUttered(f"call me on {PERSONAL[0]}", {"name": "inform"})]
    events += [
        UserUttered(f"I was born {PERSONAL[1]}", {"name": "inform"}),
        UserUttered(f"I live at {PERSONAL[2]}", {"name": "inform"}),
        ActiveLoop("identity_form"),
    ]
    for slot, answer in zip(SECURITY_SLOTS, ANSWERS, strict=True):
        events += [
            SlotSet("requested_slot", slot),
            UserUttered(answer, {"name": "inform"}),
            SlotSet(slot, SEALER.seal([slot, answer])),
        ]
    return DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots)


async def test_an_erased_conversation_and_its_hidden_answers_cannot_be_read_from_the_file(
    tmp_path, secure_delete_off_by_default
):
    keys, path = DataKeys.ephemeral(), tmp_path / "tracker.db"
    store = encrypted_tracker_store(path, keys)
    await store.save(told("facebook-private-1"))
    # Another tenant's conversation stays, so the erased one's pages stay in the file.
    await store.save(
        DialogueStateTracker.from_events(
            "facebook-private-2", [UserUttered("what day is bin day", {"name": "ask"})]
        )
    )
    assert SEALER.open(_sealed(readable(path, keys))[0])  # the answers are there to hide
    # The check ends: the sealed answers are rewritten in place to the masked marker.
    tracker = await store.retrieve("facebook-private-1")
    for event in (ActiveLoop(None), SlotSet("identity_status", "verified")):
        tracker.update(event)
    await store.save(tracker)
    assert _sealed(readable(path, keys)) == []

    assert TrackerEvents(engine_for(f"sqlite:///{path}"), keys).erase("facebook-private-1")

    held = readable(path, keys)
    assert "bin day" in held  # the scan reads what is there
    for detail in PERSONAL + ANSWERS:
        assert detail not in held, detail


def _sealed(held):
    return re.findall(r"sealed:[A-Za-z0-9_\-]+=*", held)


async def test_the_plain_columns_do_not_say_what_a_tenant_reported(tmp_path):
    keys, path = DataKeys.ephemeral(), tmp_path / "tracker.db"
    events = [
        UserUttered("my neighbour plays music all night", {"name": "report_antisocial_behaviour"}),
        ActionExecuted("utter_antisocial_behaviour"),
        ActiveLoop("antisocial_behaviour_form"),
        SlotSet("requested_slot", "antisocial_behaviour_account"),
        ActionExecuted("action_hand_off_antisocial_behaviour"),
    ]
    store = encrypted_tracker_store(path, keys)
    await store.save(DialogueStateTracker.from_events("facebook-private-1", events, DOMAIN.slots))

    content = path.read_bytes()
    assert b"antisocial" not in content
    with sqlite3.connect(path) as connection:
        named = connection.execute(
            "SELECT intent_name, action_name FROM events"
            " WHERE intent_name IS NOT NULL OR action_name IS NOT NULL"
        ).fetchall()
    assert named == []
    # Still all there to whoever holds the keys.
    kept = await encrypted_tracker_store(path, keys).retrieve("facebook-private-1")
    assert kept.latest_message.intent["name"] == "report_antisocial_behaviour"
    assert kept.latest_action_name == "action_hand_off_antisocial_behaviour"


# --- an erasure while the conversation's turn is going on (P9) ------------------------


async def test_a_conversation_erased_during_its_turn_is_not_written_back(tmp_path):
    keys, path = DataKeys.ephemeral(), tmp_path / "tracker.db"
    store = encrypted_tracker_store(path, keys)
    sender = "facebook-private-1"
    first = [UserUttered(f"call me on {PERSONAL[0]}", {"name": "inform"})]
    await store.save(DialogueStateTracker.from_events(sender, first, slots=DOMAIN.slots))
    events = TrackerEvents(engine_for(f"sqlite:///{path}"), keys)

    async def turn(text):
        tracker = await store.get_or_create_tracker(sender)
        tracker.update(UserUttered(text, {"name": "inform"}))
        return tracker

    # The server reads the conversation, staff erase it, and the turn ends.
    tracker = await turn(f"I live at {PERSONAL[2]}")
    assert events.erase(sender)
    await store.save(tracker)

    assert events.events(sender) == []
    held = readable(path, keys)
    assert PERSONAL[0] not in held and PERSONAL[2] not in held

    # The tenant's next message starts a conversation afresh, and is kept.
    tracker = await asyncio.create_task(turn("hello again"))
    await store.save(tracker)
    texts = [e.get("text") for e in events.events(sender) if e["event"] == "user"]
    assert texts == ["hello again"]


async def test_a_turn_with_nothing_erased_is_written_as_ever(tmp_path):
    keys, path = DataKeys.ephemeral(), tmp_path / "tracker.db"
    store = encrypted_tracker_store(path, keys)
    sender = "facebook-private-1"
    await store.save(
        DialogueStateTracker.from_events(sender, [UserUttered("hi", {"name": "greet"})])
    )
    for words in ("first", "second"):
        tracker = await store.retrieve(sender)
        tracker.update(UserUttered(words, {"name": "inform"}))
        await store.save(tracker)
        await store.save(tracker)  # saved twice in one turn: nothing written twice

    events = TrackerEvents(engine_for(f"sqlite:///{path}"), keys).events(sender)
    assert [e.get("text") for e in events if e["event"] == "user"] == ["hi", "first", "second"]
