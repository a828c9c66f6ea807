"""Conversations in Rasa's events table, read, erased and aged out as plain SQL (P9)."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from bot.keys import DataKeys, Undecryptable
from bot.protection.conversations import (
    NoTrackerStore,
    TrackerEvents,
    ends_identity_check,
    engine_for,
    tracker_engine,
    tracker_events,
    tracker_metadata,
    tracker_store_url,
)
from bot.tenancy.masking import HIDDEN

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
SEALED = "sealed:gAAAAABanswer"


@pytest.fixture
def keys():
    return DataKeys.ephemeral()


@pytest.fixture
def engine(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path / 'tracker.db'}")
    tracker_metadata.create_all(engine)
    return engine


def store(engine, keys, sender, event, at, encrypted=True):
    data = json.dumps({**event, "timestamp": at.timestamp()})
    with engine.begin() as connection:
        connection.execute(
            insert(tracker_events).values(
                sender_id=sender,
                type_name=event["event"],
                timestamp=at.timestamp(),
                action_name=event.get("name"),
                data=keys.encrypt(data) if encrypted else data,
            )
        )


def said(text):
    return {"event": "user", "text": text, "parse_data": {"text": text}}


def test_a_conversation_is_read_back_decrypted_and_in_order(engine, keys):
    store(engine, keys, "facebook-1", said("my number is 07700 900123"), NOW)
    store(engine, keys, "facebook-1", {"event": "action", "name": "utter_thanks"}, NOW)
    store(engine, keys, "facebook-2", said("hello"), NOW)

    events = TrackerEvents(engine, keys).events("facebook-1")

    assert [e["event"] for e in events] == ["user", "action"]
    assert events[0]["text"] == "my number is 07700 900123"


def test_rows_stored_before_encryption_are_still_read(engine, keys):
    store(engine, keys, "facebook-1", said("flat 2, 10 Acacia Road"), NOW, encrypted=False)
    store(engine, keys, "facebook-1", said("born 01/02/1980"), NOW)

    texts = [e["text"] for e in TrackerEvents(engine, keys).events("facebook-1")]

    assert texts == ["flat 2, 10 Acacia Road", "born 01/02/1980"]


def test_nothing_in_the_table_is_in_clear(engine, keys):
    store(engine, keys, "facebook-1", said("my number is 07700 900123"), NOW)
    with engine.connect() as connection:
        (data,) = connection.execute(select(tracker_events.c.data)).one()
    assert "07700" not in data


def test_other_keys_cannot_read_the_conversation(engine, keys):
    store(engine, keys, "facebook-1", said("07700 900123"), NOW)
    with pytest.raises(Undecryptable):
        TrackerEvents(engine, DataKeys.ephemeral()).events("facebook-1")


def test_senders_and_erasure_of_one_conversation(engine, keys):
    store(engine, keys, "twitter-9", said("hi"), NOW)
    store(engine, keys, "facebook-1", said("hi"), NOW)
    store(engine, keys, "facebook-1", said("07700 900123"), NOW)
    conversations = TrackerEvents(engine, keys)

    assert conversations.senders() == ["facebook-1", "twitter-9"]
    assert conversations.erase("facebook-1") == 2
    assert conversations.events("facebook-1") == []
    assert conversations.senders() == ["twitter-9"]
    assert conversations.erase("facebook-1") == 0


def test_last_activity_is_the_latest_event(engine, keys):
    store(engine, keys, "facebook-1", said("hi"), NOW - timedelta(days=3))
    store(engine, keys, "facebook-1", said("again"), NOW)
    conversations = TrackerEvents(engine, keys)

    assert conversations.last_activity("facebook-1") == NOW
    assert conversations.last_activity("nobody") is None


def test_old_conversations_are_found_and_old_events_removed(engine, keys):
    cutoff = NOW - timedelta(days=730)
    store(engine, keys, "old", said("07700 900123"), cutoff - timedelta(days=1))
    store(engine, keys, "going-on", said("long ago"), cutoff - timedelta(days=5))
    store(engine, keys, "going-on", said("today"), NOW)
    store(engine, keys, "new", said("hi"), NOW)
    conversations = TrackerEvents(engine, keys)

    assert conversations.older_than(cutoff) == ["old"]
    assert conversations.remove_before(cutoff) == 2
    assert conversations.senders() == ["going-on", "new"]
    assert [e["text"] for e in conversations.events("going-on")] == ["today"]


def test_a_store_the_rasa_server_never_started_on_holds_nothing(tmp_path, keys):
    conversations = TrackerEvents(engine_for(f"sqlite:///{tmp_path / 'none.db'}"), keys)

    assert conversations.senders() == []
    assert conversations.events("facebook-1") == []
    assert conversations.erase("facebook-1") == 0
    assert conversations.older_than(NOW) == []
    assert conversations.remove_before(NOW) == 0
    assert conversations.last_activity("facebook-1") is None


def test_the_engine_is_the_one_the_endpoints_file_names(tmp_path, keys):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: bot.channels.tracker_store.EncryptedSQLTrackerStore\n"
        "  dialect: sqlite\n  db: var/tracker.db\n"
    )
    (tmp_path / "var").mkdir()
    writer = engine_for(f"sqlite:///{tmp_path / 'var' / 'tracker.db'}")
    tracker_metadata.create_all(writer)
    store(writer, keys, "facebook-1", said("hi"), NOW)

    engine = tracker_engine(endpoints, tmp_path)

    assert TrackerEvents(engine, keys).senders() == ["facebook-1"]


@pytest.mark.parametrize("kind", ["memory", "bot.channels.tracker_store.Other", ""])
def test_an_endpoints_file_without_a_sql_tracker_store_is_refused(tmp_path, kind):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  type: '{kind}'\n")
    with pytest.raises(NoTrackerStore):
        tracker_engine(endpoints, tmp_path)


def test_sealed_answers_are_hidden_in_place_and_nothing_else_changes(engine, keys):
    store(engine, keys, "tenant-1", said("how much rent do i owe"), NOW)
    store(
        engine, keys, "tenant-1", {"event": "slot", "name": "security_name", "value": SEALED}, NOW
    )
    store(engine, keys, "tenant-1", {"event": "slot", "name": "security_name", "value": None}, NOW)
    store(
        engine,
        keys,
        "tenant-1",
        {"event": "slot", "name": "identity_verification", "value": SEALED},
        NOW,
    )
    store(
        engine, keys, "tenant-2", {"event": "slot", "name": "security_name", "value": SEALED}, NOW
    )
    conversations = TrackerEvents(engine, keys)

    assert conversations.hide_sealed_answers("tenant-1") == 1

    values = [e.get("value") for e in conversations.events("tenant-1")]
    assert values == [None, HIDDEN, None, SEALED]
    assert conversations.events("tenant-1")[0]["text"] == "how much rent do i owe"
    assert conversations.events("tenant-2")[0]["value"] == SEALED


@pytest.mark.parametrize(
    "status, over",
    [
        ("verified", True),
        ("failed", True),
        ("locked", True),
        ("stopped", True),
        ("public", True),
        ("unverified", False),
        ("interrupted", False),
    ],
)
def test_what_ends_an_identity_check(status, over):
    events = [
        {"event": "active_loop", "name": None},
        {"event": "slot", "name": "identity_status", "value": status},
    ]
    assert ends_identity_check(events) is over
    assert ends_identity_check(events[:1]) is False


def test_a_postgresql_tracker_store_is_found_where_rasa_finds_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_PASSWORD", "s3cret")
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: bot.channels.tracker_store.EncryptedSQLTrackerStore\n"
        "  dialect: postgresql\n  url: db.internal\n  port: 5433\n  db: rasa\n"
        "  username: rasa\n  password: ${TRACKER_PASSWORD}\n"
    )
    url = tracker_store_url(endpoints, tmp_path)
    assert (url.host, url.port, url.database, url.username, url.password) == (
        "db.internal",
        5433,
        "rasa",
        "rasa",
        "s3cret",
    )
