"""The action server, driven through Sanic's test client as Rasa calls it."""

import pytest
import yaml
from rasa_sdk.endpoint import create_app

from actions import dependencies
from tests.helpers import ROOT, domain, keys_environment


@pytest.fixture(scope="module")
def app():
    # The action server connects to the store with its settings' keys (P9).
    with pytest.MonkeyPatch.context() as patch:
        for name, value in keys_environment().items():
            patch.setenv(name, value)
        dependencies.settings.cache_clear()
        yield create_app(action_package_name="actions")
    dependencies.settings.cache_clear()


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
