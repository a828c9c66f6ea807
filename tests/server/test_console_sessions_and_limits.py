"""Sign-in's rate limit keys on the peer, not on a header the client writes; the
limiter forgets addresses whose attempts have all expired; polling does not keep a
session alive, and no session outlives 12 hours."""

from datetime import timedelta

import pytest

from bot.console.accounts import Role, StaffAccounts
from bot.console.app import create_app
from bot.console.tokens import load_tokens
from bot.console.web import LoginLimiter
from bot.handoff.desk import StaffDesk
from bot.outbox import Outbox
from bot.settings import PROJECT_ROOT, Settings
from bot.store import connect
from tests.helpers import TEAMS
from tests.server.test_console_access import (
    ADMIN_PASSWORD,
    NOW,
    TOKEN,
    Browser,
    Clock,
    csrf_in,
)


def make_world(tmp_path, **settings):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    clock = Clock(NOW)
    accounts = StaffAccounts(engine, work_factor=2**4)
    accounts.create("Ann", ADMIN_PASSWORD, Role.ADMIN, NOW)
    app = create_app(
        StaffDesk(engine, Outbox(engine), None, TEAMS),
        load_tokens(f"Sam:{TOKEN}", None),
        clock=clock,
        name="limits",
        accounts=accounts,
        settings=Settings(association_file=PROJECT_ROOT / "association.yml", **settings),
    )
    return app, clock


@pytest.fixture()
def world(tmp_path):
    return make_world(tmp_path)


def sign_in_over_a_socket(app, forwarded_for, name="Ann", password=ADMIN_PASSWORD):
    """Sign in through Sanic's own server: a real socket, its peer on this machine."""
    _, form = app.test_client.get("/login")
    token = csrf_in(form.text)
    _, response = app.test_client.post(
        "/login",
        headers={"Cookie": f"console_login_csrf={token}", "X-Forwarded-For": forwarded_for},
        data={"csrf_token": token, "name": name, "password": password},
        allow_redirects=False,
    )
    return response.status


def test_a_forged_forwarded_for_header_does_not_escape_the_rate_limit(world):
    app, _ = world
    for attempt in range(10):
        status = sign_in_over_a_socket(app, f"203.0.113.{attempt}", f"guess{attempt}", "guesses")
        assert status == 401
    assert sign_in_over_a_socket(app, "198.51.100.77") == 429


async def test_behind_a_configured_proxy_the_address_it_added_is_limited(tmp_path):
    app, _ = make_world(tmp_path, console_proxies_count=1)
    assert app.config.PROXIES_COUNT == 1
    browser = Browser(app)
    for attempt in range(10):
        # The client's own X-Forwarded-For entry comes first; the proxy appends the peer.
        browser.headers = {"X-Forwarded-For": f"203.0.113.{attempt}, 198.51.100.7"}
        assert (await browser.sign_in(f"guess{attempt}", "guess password")).status == 401
    browser.headers = {"X-Forwarded-For": "198.51.100.7"}
    assert (await browser.sign_in("Ann", ADMIN_PASSWORD)).status == 429
    other = Browser(app)
    other.headers = {"X-Forwarded-For": "198.51.100.8"}
    assert (await other.sign_in("Ann", ADMIN_PASSWORD)).status == 303


def test_no_proxy_is_trusted_by_default():
    assert Settings.from_env({}).console_proxies_count == 0


def test_the_limiter_forgets_addresses_whose_attempts_expired():
    limiter = LoginLimiter(limit=3, window=timedelta(minutes=1))
    for number in range(500):
        assert limiter.allow(f"10.0.{number // 256}.{number % 256}", NOW)
    assert limiter.tracked() == 500
    later = NOW + timedelta(minutes=1, seconds=1)
    assert limiter.allow("192.0.2.1", later)
    assert limiter.tracked() == 1


async def test_polling_does_not_keep_a_session_alive(world):
    app, clock = world
    browser = Browser(app)
    await browser.sign_in("Ann", ADMIN_PASSWORD)
    poll = {"X-Console-Poll": "1"}
    for _ in range(9):  # a page left open polls all night
        clock.now += timedelta(hours=1)
        response = await browser.get("/queue/rows", headers=poll)
        if response.status != 200:
            break
    assert response.status == 303  # signed out 8 hours after the last real use
    assert clock.now - NOW <= timedelta(hours=9)
    assert (await browser.get("/accounts")).status == 303


async def test_a_used_session_still_ends_after_twelve_hours(world):
    app, clock = world
    browser = Browser(app)
    await browser.sign_in("Ann", ADMIN_PASSWORD)
    for _ in range(11):
        clock.now += timedelta(hours=1)
        assert (await browser.get("/accounts")).status == 200
    clock.now = NOW + timedelta(hours=12, minutes=1)
    assert (await browser.get("/accounts")).status == 303
