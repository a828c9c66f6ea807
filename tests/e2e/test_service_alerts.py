"""End to end: service alerts. Communications publish one from the console and it
reaches the fake platforms as a page post and a tweet; while it is live, a verified LS6
tenant reporting no heating hears of it, and an M14 tenant does not."""

import os
import re
from datetime import datetime, timedelta, timezone

import pytest
import requests

from bot.console.accounts import Role, StaffAccounts
from bot.console.sessions import COOKIE, Sessions
from bot.console.web import UK
from bot.service_alerts.alerts import ServiceAlert
from bot.service_alerts.store import ServiceAlerts, new_id
from bot.store import connect
from bot.tenancy.records import TenancyRepository, load_tenancies
from tests.e2e.platforms import PAGE, wait_for
from tests.e2e.test_repair_triage import Tenant
from tests.helpers import DEMO_TENANCIES, TEST_WORK_FACTOR

TITLE = "No heating in LS6"
SECTOR_TITLE = "Heating fault in LS6 2"
MESSAGE = "A fault at the district boiler: engineers are on site and expect heating back tonight."


@pytest.fixture(scope="module")
def running(platforms_running):
    assistant, platforms, _ = platforms_running
    engine = connect(assistant.extra_env["DATABASE_URL"], assistant.keys())
    load_tenancies(DEMO_TENANCIES, TenancyRepository(engine), work_factor=TEST_WORK_FACTOR)
    now = datetime.now(timezone.utc)
    StaffAccounts(engine).create("Cara", "a-long-password-1", Role.COMMUNICATIONS, now)
    secret = os.environ["CONSOLE_SESSION_SECRET"]  # the staff app's (tests/e2e/conftest.py)
    cookie, session = Sessions(engine, secret).start("Cara", now)
    browser = requests.Session()
    browser.cookies.set(COOKIE, cookie)
    browser.headers["X-CSRF-Token"] = session.csrf_token
    return assistant, platforms, engine, browser


def test_an_alert_published_in_the_console_reaches_facebook_and_x(running):
    assistant, platforms, engine, browser = running
    now = datetime.now(UK)
    form = {
        "csrf_token": browser.headers["X-CSRF-Token"],
        "title": TITLE,
        "message": MESSAGE,
        "services": ["heating"],
        "areas": "LS6",
        "starts": (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "ends": (now + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"),
        "publish": ["facebook", "twitter"],
    }
    saved = browser.post(
        f"{assistant.console_url}/service-alerts", data=form, allow_redirects=False, timeout=30
    )
    assert saved.status_code == 303, saved.text
    [alert] = [
        a for a in ServiceAlerts(engine).current(datetime.now(timezone.utc)) if a.title == TITLE
    ]
    text = f"{TITLE}: {MESSAGE}"

    def posted():
        page = [c for c in platforms.received("facebook") if c.path == f"{PAGE}/feed"]
        tweets = [
            c
            for c in platforms.received("twitter")
            if c.path == "/2/tweets" and "reply" not in (c.body or {})
        ]
        return page, tweets

    assert wait_for(lambda: all(posted()), 60), posted()
    page, tweets = posted()
    assert [c.body["message"] for c in page] == [text]
    assert [c.body["text"] for c in tweets] == [text]
    listed = browser.get(f"{assistant.console_url}/service-alerts", timeout=30).text
    assert re.search(rf'data-alert="{alert.id}"', listed)


def report_no_heating(tenant, reference, name, born):
    tenant.says("my heating is not working", "is it an emergency")
    tenant.says("no", "What's wrong?")
    tenant.says("no heating in any room", "Where in your home")
    tenant.says("the whole flat", "Since when")
    tenant.says("since this morning", "anyone in your home vulnerable")
    tenant.says("no", "tenancy reference")
    tenant.says(reference, "full name")
    tenant.says(name, "date of birth")
    tenant.says(born, "aim to reply here by")
    return " ".join(tenant.heard())


def test_the_alert_is_mentioned_to_a_verified_ls6_tenant_and_not_to_an_m14_one(running):
    assistant, platforms, engine, _ = running
    now = datetime.now(timezone.utc)
    ServiceAlerts(engine).add(
        ServiceAlert(
            id=new_id(),
            title=SECTOR_TITLE,
            message=MESSAGE,
            services=("heating",),
            areas=("LS6 2",),  # a sector: Margaret's LS6 2AB is in it
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=6),
            created_by="Cara",
            created_at=now,
        )
    )
    leeds = report_no_heating(
        Tenant(assistant, platforms), "TEN-204817", "Margaret Thompson", "12th April 1958"
    )
    assert f"Service alert: {SECTOR_TITLE}." in leeds and MESSAGE in leeds
    manchester = report_no_heating(
        Tenant(assistant, platforms), "TEN-318552", "Priya Sharma", "23rd July 1990"
    )
    assert "Service alert" not in manchester and SECTOR_TITLE not in manchester
