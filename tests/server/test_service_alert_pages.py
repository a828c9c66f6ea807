"""Service alerts in the console: Communications create one, publish it as a post on
the Facebook page and X through the outbox, and end it; other teams may not."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from bot.console.accounts import Role, StaffAccounts
from bot.console.app import create_app
from bot.console.audit import ConsoleAudit
from bot.events import Operation
from bot.feedback.invitations import Invitations
from bot.handoff.desk import StaffDesk
from bot.outbox import Author, Outbox
from bot.service_alerts.publishing import post_text
from bot.service_alerts.store import ServiceAlerts
from bot.settings import FacebookSettings, Settings, TwitterSettings
from bot.store import connect
from tests.helpers import ROOT, TEAMS
from tests.server.test_console_ops import KEY, PASSWORD, Browser, NoRasa

NOW = datetime(2026, 12, 1, 18, 30, tzinfo=timezone.utc)  # a Tuesday evening: out of hours
PAGE, ACCOUNT = "100000000000077", "200000000000077"
FORM = {
    "title": "No heating in LS6",
    "message": "A fault at the district boiler: engineers expect heating back by 6pm.",
    "services": ["heating"],
    "areas": "LS6",
    "starts": "2026-12-01T18:00",
    "ends": "2026-12-02T06:00",
}


@pytest.fixture()
def world(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    outbox = Outbox(engine, key=KEY)
    accounts = StaffAccounts(engine)
    accounts.create("Cara", PASSWORD, Role.COMMUNICATIONS, NOW)
    accounts.create("Rhys", PASSWORD, Role.REPAIRS, NOW)
    settings = Settings(
        association_file=ROOT / "association.yml",
        outbox_key=KEY,
        facebook=FacebookSettings("s", "v", "page-token", PAGE),
        twitter=TwitterSettings("ck", "cs", "at", "ats", ACCOUNT),
    )
    app = create_app(
        StaffDesk(engine, outbox, NoRasa(), TEAMS),
        {},
        clock=lambda: NOW,
        name="service_alerts_test",
        accounts=accounts,
        settings=settings,
    )
    return {"app": app, "engine": engine, "outbox": outbox, "alerts": ServiceAlerts(engine)}


async def signed_in(world, name):
    browser = await Browser(world["app"]).sign_in(name)
    await browser.get("/service-alerts")
    return browser


def posts(world):
    return [
        (m.platform, m.operation, m.target, m.text, m.author)
        for m in world["outbox"].messages()
        if m.operation is Operation.PUBLIC_POST
    ]


async def test_communications_create_an_alert_and_publish_it_on_facebook_and_x(world):
    cara = await signed_in(world, "Cara")
    page = await cara.get("/service-alerts")
    assert page.status == 200 and 'id="alert-title"' in page.text
    saved = await cara.post(
        "/service-alerts", **FORM, reply_within_hours="24", publish=["facebook", "twitter"]
    )
    assert saved.status == 303
    [alert] = world["alerts"].current(NOW)
    assert (alert.title, alert.services, alert.areas) == (
        "No heating in LS6",
        ("heating",),
        ("LS6",),
    )
    assert alert.starts_at == datetime(2026, 12, 1, 18, 0, tzinfo=timezone.utc)  # UK time: GMT
    assert alert.live(NOW) and alert.created_by == "Cara" and alert.reply_within_hours == 24
    assert world["alerts"].longer_wait(NOW) == timedelta(hours=24)
    text = post_text(alert)
    assert posts(world) == [
        ("facebook", Operation.PUBLIC_POST, PAGE, text, Author.STAFF),
        ("twitter", Operation.PUBLIC_POST, ACCOUNT, text, Author.STAFF),
    ]
    assert world["alerts"].get(alert.id).platforms == ("facebook", "twitter")
    shown = await cara.get("/service-alerts")
    assert f'data-alert="{alert.id}"' in shown.text and "is in the outbox" in shown.text
    # Published again, it is queued once.
    await cara.post(f"/service-alerts/{alert.id}/publish", publish=["facebook", "twitter"])
    assert len(posts(world)) == 2
    actions = [e.action for e in ConsoleAudit(world["engine"]).entries(100, None)]
    assert "service_alert_created" in actions and "service_alert_published" in actions


async def test_an_alert_is_ended_early_and_no_longer_live(world):
    cara = await signed_in(world, "Cara")
    await cara.post("/service-alerts", **FORM)
    [alert] = world["alerts"].current(NOW)
    assert posts(world) == []  # not published unless asked
    await cara.get("/service-alerts")
    ended = await cara.post(f"/service-alerts/{alert.id}/end")
    assert ended.status == 303
    assert world["alerts"].current(NOW) == [] and not world["alerts"].get(alert.id).live(NOW)
    page = await cara.get("/service-alerts")
    assert "no longer mentions it" in page.text


@pytest.mark.parametrize(
    "changes, said",
    [
        ({"areas": "Leeds"}, "not a postcode district"),
        ({"services": []}, "choose the services"),
        ({"ends": "2026-12-01T17:00"}, "end after it starts"),
        ({"message": "x" * 300, "publish": ["twitter"]}, "too long for a post on X"),
        ({"reply_within_hours": "soon"}, "a number of hours"),
    ],
)
async def test_an_alert_that_cannot_be_said_is_not_saved_and_the_page_says_why(
    world, changes, said
):
    cara = await signed_in(world, "Cara")
    await cara.post("/service-alerts", **{**FORM, **changes})
    assert world["alerts"].current(NOW) == [] and posts(world) == []
    page = await cara.get("/service-alerts")
    assert "The alert was not saved" in page.text and said in page.text


async def test_other_teams_may_not_create_alerts_nor_see_the_page(world):
    rhys = await Browser(world["app"]).sign_in("Rhys")
    assert (await rhys.get("/service-alerts")).status == 403
    home = await rhys.get("/queue")  # a page with the form token, so only the role stops it
    assert rhys.csrf and 'href="/service-alerts"' not in home.text
    response = await rhys.post("/service-alerts", **FORM, publish=["facebook"])
    assert response.status == 403
    assert world["alerts"].current(NOW) == [] and posts(world) == []
    cara = await signed_in(world, "Cara")
    assert 'href="/service-alerts"' in (await cara.get("/queue")).text
    assert re.search(r"Service alerts", (await cara.get("/queue")).text)


# Survey invitations, on the page beside it


async def test_communications_add_a_survey_invitation_and_close_it(world):
    cara = await signed_in(world, "Cara")
    page = await cara.get("/surveys")
    assert page.status == 200 and 'id="survey-url"' in page.text
    form = {
        "title": "our new repairs service",
        "url": "https://www.brookfieldhomes.example/have-your-say",
        "closes": "2026-12-18",
    }
    assert (await cara.post("/surveys", **form)).status == 303
    invitations = Invitations(world["engine"])
    [added] = invitations.open(NOW)
    assert added.closes_at == datetime(2026, 12, 18, 23, 59, tzinfo=timezone.utc)  # UK: GMT
    page = await cara.get("/surveys")
    assert (
        f'data-invitation="{added.id}"' in page.text
        and "mentions it after the question" in page.text
    )
    await cara.post(f"/surveys/{added.id}/close")
    assert invitations.open(NOW) == []
    refused = await cara.post("/surveys", **{**form, "url": "http://example.com"})
    assert refused.status == 303 and invitations.open(NOW) == []
    assert "must be a web address starting https://" in (await cara.get("/surveys")).text


async def test_other_teams_may_not_add_invitations(world):
    rhys = await Browser(world["app"]).sign_in("Rhys")
    assert (await rhys.get("/surveys")).status == 403
    await rhys.get("/queue")
    form = {"title": "x", "url": "https://example.com/s", "closes": "2026-12-18"}
    assert (await rhys.post("/surveys", **form)).status == 403
    assert Invitations(world["engine"]).open(NOW) == []
