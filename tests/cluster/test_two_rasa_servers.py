"""Two Rasa servers, each with its action server, on one PostgreSQL (the encrypted
tracker store and the project's own tables) and one Redis lock store: Rasa's own
deployment model (P12).

One conversation's messages go to both servers at once, alternately. The Redis lock
store makes the servers take them one at a time: every message is kept, in the order
each sender sent it, and gets exactly one turn of replies. With a lock per server (the
in-memory default) the two would read the same tracker at once and one turn's events
would be lost when both save.

Run through `make cluster-test`, which starts a throwaway PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.channels.rest import rest_conversation_id
from bot.handoff.conversations import RasaConversations
from bot.keys import new_encryption_key, new_lookup_key
from scripts.processes import Assistant, free_port, send
from tests.helpers import ROOT

POSTGRES = os.environ.get("TEST_POSTGRES_URL")
REDIS = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not (POSTGRES and REDIS), reason="needs TEST_POSTGRES_URL and TEST_REDIS_URL: `make cluster-test`"
)

ROUNDS = 6  # messages each server gets, at the same time as the other


def tracker_store_settings(url: str) -> dict:
    """endpoints.yml's tracker store settings for the database at `url`."""
    parsed = make_url(url)
    settings = {
        "dialect": "postgresql",
        "url": parsed.host,  # Rasa reads the host from `url`
        "port": parsed.port,
        "db": parsed.database,
        "username": parsed.username,
    }
    if parsed.password:
        settings["password"] = parsed.password
    return settings


def lock_store_settings(url: str) -> dict:
    """endpoints.yml's lock store settings for the Redis at `url`."""
    parsed = make_url(url)
    return {"type": "redis", "url": parsed.host, "port": parsed.port, "db": 0}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cluster")
    shared = {
        "project": ROOT,
        "venv_bin": Path(sys.executable).parent,
        "model": ROOT / "models",
        "tracker_store": tracker_store_settings(POSTGRES),
        "lock_store": lock_store_settings(REDIS),
        "rest_channel": True,
        "api_token": secrets.token_hex(16),
        "data_keys": {"ENCRYPTION_KEYS": new_encryption_key(), "LOOKUP_KEY": new_lookup_key()},
        "extra_env": {"DATABASE_URL": POSTGRES},
    }
    servers = [
        Assistant(
            **shared, rasa_port=free_port(), action_port=free_port(), log_dir=tmp / f"server{n}"
        )
        for n in (1, 2)
    ]
    with servers[0], servers[1]:
        yield servers


def turns(events: list) -> list:
    """(the user's text, how many bot messages followed it) for each user message."""
    found = []
    for event in events:
        if event["event"] == "user":
            found.append([event.get("text"), 0])
        elif event["event"] == "bot" and found:
            found[-1][1] += 1
    return [tuple(turn) for turn in found]


def test_a_conversation_spread_over_both_servers_keeps_every_message_in_order(cluster):
    one, two = cluster
    alone = f"alone-{uuid.uuid4().hex[:12]}"
    replies_to_one = len(send(one.rasa_url, alone, "hello"))
    assert replies_to_one >= 1

    sender = f"cluster-{uuid.uuid4().hex[:12]}"
    answered = {}
    failures = []
    start = threading.Barrier(2)

    def converse(server: Assistant, name: str) -> None:
        try:
            start.wait(timeout=30)
            for n in range(ROUNDS):
                text = f"hello {name}{n}"
                answered[text] = len(send(server.rasa_url, sender, text, timeout=60))
        except BaseException as error:  # reported below, not lost in the thread
            failures.append(error)

    threads = [
        threading.Thread(target=converse, args=(server, name))
        for server, name in ((one, "a"), (two, "b"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures

    # Every message was answered with one turn's replies, as when it is alone.
    assert answered == {
        f"hello {name}{n}": replies_to_one for name in "ab" for n in range(ROUNDS)
    }
    # Each server's conversation is the same, read from either.
    conversation = rest_conversation_id(sender)
    events = [
        RasaConversations(server.rasa_url, server.api_token).tracker(conversation)["events"]
        for server in cluster
    ]
    assert turns(events[0]) == turns(events[1])
    kept = turns(events[0])
    # Every message kept once, with one turn of replies after it.
    assert sorted(text for text, _ in kept) == sorted(answered)
    assert all(count == replies_to_one for _, count in kept), kept
    # Each sender's messages in the order they were sent.
    for name in "ab":
        mine = [text for text, _ in kept if text.startswith(f"hello {name}")]
        assert mine == [f"hello {name}{n}" for n in range(ROUNDS)]
    # And they did interleave: the servers took turns, not one whole run each.
    order = "".join(text[len("hello ")] for text, _ in kept)
    assert "ab" in order and "ba" in order, order
