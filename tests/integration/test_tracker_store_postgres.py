"""The tracker store on PostgreSQL (P9): conversations encrypted at rest, read back whole.

Run through `scripts/with-postgres.sh .venv/bin/pytest tests/integration/...`, which starts
a throwaway PostgreSQL on loopback. The store is made as the Rasa server makes it, from
an endpoints file naming PostgreSQL, with its keys from the settings (the environment).
"""

import glob
import os
import re
import subprocess
import uuid

import pytest
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.channels.tracker_store import EncryptedSQLTrackerStore
from bot.keys import DataKeys, new_encryption_key, new_lookup_key
from bot.protection.conversations import TrackerEvents, tracker_engine
from bot.tenancy.masking import HIDDEN, SECURITY_SLOTS
from bot.tenancy.security_question import Sealer
from tests.helpers import ROOT

URL = os.environ.get("TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(
    not URL, reason="needs TEST_POSTGRES_URL: run it through scripts/with-postgres.sh"
)

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
PHONE, BIRTHDAY, ADDRESS = "07700 900123", "12/04/1958", "14 Elm Road, LS6 2AB"
SEALER = Sealer(Sealer.new_key())


@pytest.fixture()
def database(tmp_path, monkeypatch):
    """A database of its own, an endpoints file naming it, and the settings' keys."""
    server = make_url(URL)
    name = f"tracker_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    encryption, lookup = new_encryption_key(), new_lookup_key()
    monkeypatch.setenv("ENCRYPTION_KEYS", encryption)
    monkeypatch.setenv("LOOKUP_KEY", lookup)
    # The store records the keys it holds in the project's store (key rotation waits on
    # it): a throwaway one, not the checkout's.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'assistant.db'}")
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n"
        "  type: bot.channels.tracker_store.EncryptedSQLTrackerStore\n"
        "  dialect: postgresql\n"
        f"  url: {server.host}\n  port: {server.port}\n  db: {name}\n"
        f"  username: {server.username}\n"
    )
    yield {"name": name, "endpoints": endpoints, "keys": DataKeys([encryption], lookup)}
    admin.dispose()
    with create_engine(server, isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def rasa_store(endpoints):
    """The tracker store as `rasa run` loads it from the endpoints file."""
    return TrackerStore.create(read_endpoint_config(str(endpoints), "tracker_store"), DOMAIN)


def pg_dump(name):
    server = make_url(URL)
    binary = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))[-1]
    command = [binary, "-h", server.host, "-p", str(server.port), "-U", server.username, name]
    return subprocess.run(command, check=True, capture_output=True, timeout=60).stdout


async def test_a_conversation_is_kept_encrypted_on_postgresql_and_read_back_whole(database):
    store = rasa_store(database["endpoints"])
    assert isinstance(store, EncryptedSQLTrackerStore)
    assert store.engine.dialect.name == "postgresql"
    said = [f"my number is {PHONE}", f"I was born on {BIRTHDAY}", f"I live at {ADDRESS}"]
    tracker = DialogueStateTracker.from_events(
        "facebook-private-1", [UserUttered(t, {"name": "inform"}) for t in said], DOMAIN.slots
    )
    await store.save(tracker)

    kept = await rasa_store(database["endpoints"]).retrieve("facebook-private-1")
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == said

    reader = tracker_engine(database["endpoints"])
    with reader.connect() as connection:
        rows = " ".join(str(row) for row in connection.execute(text("SELECT * FROM events")))
    dump = pg_dump(database["name"])
    assert b"facebook-private-1" in dump  # the dump is of this conversation's database
    for detail in (PHONE, BIRTHDAY, ADDRESS, "07700", "Elm Road", "1958"):
        assert detail not in rows, detail
        assert detail.encode() not in dump, detail
    events = TrackerEvents(reader, database["keys"]).events("facebook-private-1")
    assert [e["text"] for e in events if e["event"] == "user"] == said


async def test_sealed_answers_leave_the_history_on_postgresql_once_the_check_is_over(database):
    store = rasa_store(database["endpoints"])
    events = [UserUttered("how much rent do i owe", {"name": "ask_rent_balance"})]
    events.append(ActiveLoop("identity_form"))
    for slot, answer in zip(
        SECURITY_SLOTS, ("TEN-204817", "Margaret Thompson", BIRTHDAY), strict=True
    ):
        events += [SlotSet("requested_slot", slot), SlotSet(slot, SEALER.seal([slot, answer]))]
    events += [ActiveLoop(None), SlotSet("identity_status", "failed")]
    await store.save(DialogueStateTracker.from_events("facebook-private-2", events, DOMAIN.slots))

    conversation = TrackerEvents(tracker_engine(database["endpoints"]), database["keys"])
    values = [
        e["value"]
        for e in conversation.events("facebook-private-2")
        if e.get("name") in SECURITY_SLOTS
    ]
    assert values == [HIDDEN, HIDDEN, HIDDEN]


async def test_on_postgresql_a_dump_does_not_say_what_a_tenant_reported(database):
    store = rasa_store(database["endpoints"])
    events = [
        UserUttered("my neighbour plays music all night", {"name": "report_antisocial_behaviour"}),
        ActiveLoop("antisocial_behaviour_form"),
    ]
    await store.save(DialogueStateTracker.from_events("facebook-private-1", events, DOMAIN.slots))

    assert b"antisocial" not in pg_dump(database["name"])
    kept = await rasa_store(database["endpoints"]).retrieve("facebook-private-1")
    assert kept.latest_message.intent["name"] == "report_antisocial_behaviour"


async def test_on_postgresql_a_conversation_erased_during_its_turn_stays_erased(database):
    store = rasa_store(database["endpoints"])
    sender = "facebook-private-1"
    first = [UserUttered(f"my number is {PHONE}", {"name": "inform"})]
    await store.save(DialogueStateTracker.from_events(sender, first, DOMAIN.slots))

    tracker = await store.retrieve(sender)
    tracker.update(UserUttered(f"I live at {ADDRESS}", {"name": "inform"}))
    reader = TrackerEvents(tracker_engine(database["endpoints"]), database["keys"])
    assert reader.erase(sender)
    await store.save(tracker)

    assert reader.events(sender) == []
    held = [
        database["keys"].decrypt(token.decode())
        for token in re.findall(rb"fernet:[A-Za-z0-9_\-]+=*", pg_dump(database["name"]))
    ]
    assert not [plain for plain in held if PHONE in plain or ADDRESS in plain]


async def test_on_postgresql_a_turn_reads_the_latest_session_of_a_conversation(database):
    from tests.server.test_masked_tracker_store import two_sessions

    store = rasa_store(database["endpoints"])
    await store.save(two_sessions("facebook-private-4"))
    tracker = await store.retrieve("facebook-private-4")
    tracker.update(UserUttered("thanks", {"name": "thank"}, timestamp=5002.0))
    await store.save(tracker)
    latest = await store.retrieve("facebook-private-4")
    every = await store.retrieve_full_tracker("facebook-private-4")
    assert [e.text for e in latest.events if isinstance(e, UserUttered)] == [
        "hello again",
        "thanks",
    ]
    assert [e.text for e in every.events if isinstance(e, UserUttered)] == [
        "my boiler is broken",
        "hello again",
        "thanks",
    ]
