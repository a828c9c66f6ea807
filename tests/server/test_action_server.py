"""The action server, driven through Sanic's test client as Rasa calls it."""

import sys
import threading

import pytest
import yaml
from rasa_sdk.endpoint import create_app
from sqlalchemy import select

from actions import dependencies
from bot.store import connect, key_holders
from tests.helpers import ROOT, domain, keys_environment


@pytest.fixture(scope="module")
def store_url(tmp_path_factory):
    """A throwaway store: never .env's DATABASE_URL or var/assistant.db."""
    return f"sqlite:///{tmp_path_factory.mktemp('actions') / 'store.db'}"


def holder_threads():
    return [t for t in threading.enumerate() if t.name == "key-holder" and t.is_alive()]


@pytest.fixture(scope="module")
def app(store_url):
    # The action server refuses to start without the store's keys (actions/startup.py),
    # and connects to the store with them (P9), where it records the keys it holds.
    with pytest.MonkeyPatch.context() as patch:
        for name, value in keys_environment().items():
            patch.setenv(name, value)
        patch.setenv("DATABASE_URL", store_url)
        dependencies.settings.cache_clear()
        dependencies.engine.cache_clear()
        sys.modules.pop("actions.startup", None)  # imported again: started here, now
        try:
            yield create_app(action_package_name="actions")
        finally:
            startup = sys.modules.get("actions.startup")
            holder = getattr(startup, "key_holder", None)
            if holder is not None:
                holder.leave()
            dependencies.settings.cache_clear()
            dependencies.engine.cache_clear()


def test_the_action_server_records_its_keys_in_the_store_it_is_given(app, store_url):
    with connect(store_url).connect() as connection:
        kinds = connection.execute(select(key_holders.c.kind)).scalars().all()
    assert kinds == ["action server"]


def test_the_store_alone_starts_no_key_holder(app, store_url, monkeypatch):
    # A test (or a command) that only wants the store leaves no thread writing to it.
    before = len(holder_threads())
    dependencies.engine.cache_clear()
    try:
        dependencies.engine()
        assert len(holder_threads()) == before
    finally:
        dependencies.engine.cache_clear()


def call(app, action, slots=None):
    body = {
        "next_action": action,
        "sender_id": "tenant-1",
        "tracker": {
            "sender_id": "tenant-1",
            "slots": slots or {},
            "latest_message": {"text": "hi", "intent": {"name": "greet"}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": domain(),
        "version": "3.6.21",
    }
    return app.test_client.post("/webhook", json=body)


def test_health(app):
    _, response = app.test_client.get("/health")
    assert response.status == 200
    assert response.json == {"status": "ok"}


def test_the_session_start_sets_the_details_from_association_yml(app):
    _, response = call(app, "action_session_start")
    assert response.status == 200
    slots = {e["name"]: e["value"] for e in response.json["events"] if e["event"] == "slot"}
    configured = yaml.safe_load((ROOT / "association.yml").read_text())
    assert slots["association_name"] == configured["name"]
    assert slots["customer_services_phone"] == configured["phones"]["customer_services"]
    assert response.json["responses"] == []


def test_an_unknown_action_is_a_404_not_a_crash(app):
    _, response = call(app, "action_that_does_not_exist")
    assert response.status == 404
    assert "action_that_does_not_exist" in response.json["error"]


def test_every_custom_action_in_the_domain_is_served(app):
    _, response = app.test_client.get("/actions")
    served = {a["name"] for a in response.json}
    assert set(domain()["actions"]) <= served
