"""Service alerts in what the assistant says: after the opening hours when offices are
affected, and first in a private conversation when one is urgent for everyone; never
in public, never once ended, never outside its area."""

from datetime import datetime, timedelta, timezone

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.service_alerts import ActionMentionOfficeAlerts
from actions.session import ActionSessionStart
from bot.association import load_association
from bot.handoff.handoffs import HandoffRepository
from bot.service_alerts.alerts import ServiceAlert
from bot.service_alerts.store import ServiceAlerts
from bot.store import connect
from bot.tenancy.security_question import Sealer
from tests.helpers import ROOT, demo_tenancies, domain, make_tracker

NOW = datetime(2026, 12, 1, 19, 0, tzinfo=timezone.utc)
PRIVATE = {"platform": "facebook", "surface": "private", "author_id": "psid-1"}
PUBLIC = {"platform": "facebook", "surface": "public", "author_id": "psid-1"}


def alert(alert_id, services, areas=(), urgent=False, **changes):
    values = {
        "id": alert_id,
        "title": f"Alert {alert_id}",
        "message": "Snow: our offices are closed today. Emergency repairs go on as usual.",
        "services": services,
        "areas": areas,
        "starts_at": NOW - timedelta(hours=2),
        "ends_at": NOW + timedelta(hours=10),
        "created_by": "Cara",
        "created_at": NOW - timedelta(hours=2),
        "urgent": urgent,
    }
    return ServiceAlert(**{**values, **changes})


@pytest.fixture
def world(tmp_path):
    engine, tenancies = demo_tenancies(f"sqlite:///{tmp_path / 'store.db'}")
    return ServiceAlerts(engine), tenancies


def office_action(world):
    alerts, tenancies = world
    return ActionMentionOfficeAlerts(alerts, tenancies, Sealer(Sealer.new_key()), lambda: NOW)


async def said(action, **tracker_args):
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, make_tracker(**tracker_args), domain())
    return [m for m in dispatcher.messages if m["response"] == "utter_service_alert"]


async def test_the_opening_hours_answer_is_followed_by_an_office_alert(world):
    alerts, _ = world
    alerts.add(alert("offices", ("offices",)))
    alerts.add(alert("heating", ("heating",)))
    [told] = await said(office_action(world), metadata=PRIVATE, intent="ask_opening_hours")
    assert told["alert_title"] == "Alert offices" and "offices are closed" in told["alert_message"]


async def test_not_in_public_nor_outside_its_area_nor_once_ended(world):
    alerts, _ = world
    alerts.add(alert("leeds-offices", ("offices",), areas=("LS6",)))
    alerts.add(alert("ended", ("offices",), ended_at=NOW - timedelta(minutes=1)))
    assert await said(office_action(world), metadata=PRIVATE) == []  # area unknown, or ended
    alerts.add(alert("everywhere", ("offices",)))
    assert await said(office_action(world), metadata=PUBLIC) == []
    assert [t["alert_title"] for t in await said(office_action(world), metadata=PRIVATE)] == [
        "Alert everywhere"
    ]


def session_start(world):
    alerts, _ = world
    association = load_association(ROOT / "association.yml")
    return ActionSessionStart(
        association, HandoffRepository(connect("sqlite://")), alerts, lambda: NOW
    )


async def test_an_urgent_alert_for_everyone_opens_a_private_conversation_only(world):
    alerts, _ = world
    alerts.add(alert("urgent", ("heating", "water"), urgent=True))
    alerts.add(alert("urgent-leeds", ("heating",), areas=("LS6",), urgent=True))
    alerts.add(alert("not-urgent", ("heating",)))
    private = await said(session_start(world), sender_id="facebook-private-psid-1")
    assert [t["alert_title"] for t in private] == ["Alert urgent"]
    assert await said(session_start(world), sender_id="facebook-public-psid-1") == []
    assert await said(session_start(world), sender_id="tenant-1") == []  # the REST channel
