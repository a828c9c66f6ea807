"""The console's access rules through Sanic's test client: every page needs a sign-in,
every form its CSRF token, roles are enforced, sign-in is rate-limited and locks after
repeated failures, and the session cookie carries its flags. The store is real; the
clock is fixed and moved by hand."""

import re
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import select

from bot.console.accounts import Role, StaffAccounts
from bot.console.app import create_app
from bot.console.tokens import load_tokens
from bot.handoff.audit import AuditEntry, HandoffAudit
from bot.handoff.desk import StaffDesk
from bot.outbox import Outbox
from bot.store import connect, staff_accounts, staff_sessions
from tests.helpers import TEAMS, Clock

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
TOKEN = "sam-token-0123456789abcdef"
ADMIN_PASSWORD = "admin password 1"
PRIYA_PASSWORD = "priya password 1"
# Served without a session: the sign-in page, static files, the bearer-token API and
# the sandbox's platform stand-in.
OPEN = re.compile(r"^/(login$|static/|api/|sandbox-api/)")


class Browser:
    """One browser: keeps the cookies the app sets, sends them back, and can sign in."""

    def __init__(self, app, forwarded_proto=None):
        self.app = app
        self.cookies = {}
        self.headers = {"X-Forwarded-Proto": forwarded_proto} if forwarded_proto else {}
        self.last_set_cookies = []

    async def request(self, method, path, headers=None, **kwargs):
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent = {**self.headers, **({"Cookie": cookie} if cookie else {}), **(headers or {})}
        client = self.app.asgi_client
        client.cookies.clear()  # one client for the app: each Browser keeps its own cookies
        _, response = await getattr(client, method)(
            path, headers=sent, follow_redirects=False, **kwargs
        )
        self.last_set_cookies = response.headers.get_list("set-cookie")
        for header in self.last_set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    async def get(self, path, **kwargs):
        return await self.request("get", path, **kwargs)

    async def post(self, path, **kwargs):
        return await self.request("post", path, **kwargs)

    async def sign_in(self, name, password, next_path=None):
        form = await self.get("/login" + (f"?next={next_path}" if next_path else ""))
        data = {"csrf_token": csrf_in(form.text), "name": name, "password": password}
        if next_path:
            data["next"] = next_path
        return await self.post("/login", data=data)

    async def csrf(self, path="/accounts"):
        """The session's CSRF token, as a page of the console carries it."""
        return csrf_in((await self.get(path)).text)


def visible(page):
    """The page's text as read on screen, tags removed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def csrf_in(page):
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture()
def world(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    clock = Clock(NOW)
    desk = StaffDesk(engine, Outbox(engine), None, TEAMS)
    accounts = StaffAccounts(engine, work_factor=2**4)
    accounts.create("Ann", ADMIN_PASSWORD, Role.ADMIN, NOW)
    accounts.create("Priya", PRIYA_PASSWORD, Role.COMMUNICATIONS, NOW)
    app = create_app(
        desk, load_tokens(f"Sam:{TOKEN}", None), clock=clock, name="access", accounts=accounts
    )
    return {"app": app, "engine": engine, "clock": clock, "accounts": accounts}


def page_routes(app):
    """(method, path) of every route that is a page, with its parameters filled in."""
    found = []
    for route in app.router.routes:
        path = "/" + re.sub(r"<[^>]+>", "x", route.path).lstrip("/")
        if OPEN.match(path):
            continue
        for method in route.methods:
            if method not in ("HEAD", "OPTIONS"):
                found.append((method, path))
    return sorted(found)


# Signing in is required everywhere.


async def test_every_page_sends_a_stranger_to_sign_in_and_refuses_every_action(world):
    routes = page_routes(world["app"])
    assert ("GET", "/accounts") in routes and ("POST", "/logout") in routes
    browser = Browser(world["app"])
    for method, path in routes:
        response = await browser.request(method.lower(), path)
        if method == "GET":
            assert response.status == 303, path
            assert response.headers["location"] == f"/login?next=%2F{path[1:].replace('/', '%2F')}"
        else:
            assert response.status == 401, (method, path)
    assert world["accounts"].all()[0].name == "Ann"  # nothing was changed
    assert len(world["accounts"].all()) == 2


async def test_a_page_that_is_not_there_asks_for_sign_in_first(world):
    response = await Browser(world["app"]).get("/anything/at/all")
    assert response.status == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_a_forged_or_expired_session_cookie_signs_no_one_in(world):
    browser = Browser(world["app"])
    browser.cookies["console_session"] = "made-up-value"
    assert (await browser.get("/accounts")).status == 303


async def test_the_sign_in_page_the_static_files_and_the_api_stay_as_they_were(world):
    browser = Browser(world["app"])
    login = await browser.get("/login")
    assert login.status == 200
    assert '<label for="name">Name</label>' in login.text
    assert '<label for="password">Password</label>' in login.text
    assert ">Sign in</button>" in login.text
    assert (await browser.get("/static/console.css")).status == 200
    api = await browser.get("/api/handoffs")
    assert api.status == 401 and "staff token" in api.json["error"]
    api = await browser.get("/api/handoffs", headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.status == 200 and api.json == {"handoffs": []}


async def test_signing_in_goes_where_the_person_was_going_and_signing_out_ends_it(world):
    browser = Browser(world["app"])
    response = await browser.sign_in("Ann", ADMIN_PASSWORD, next_path="/accounts")
    assert response.status == 303 and response.headers["location"] == "/accounts"
    page = await browser.get("/accounts")
    assert page.status == 200 and "Signed in as Ann (Admin)" in visible(page.text)
    old_cookie = browser.cookies["console_session"]
    token = csrf_in(page.text)
    response = await browser.post("/logout", data={"csrf_token": token})
    assert response.status == 303 and response.headers["location"] == "/login"
    assert "console_session" not in browser.cookies
    browser.cookies["console_session"] = old_cookie  # kept by someone: worth nothing now
    assert (await browser.get("/accounts")).status == 303


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "evil"]
)
async def test_signing_in_never_sends_the_browser_to_another_site(world, target):
    response = await Browser(world["app"]).sign_in("Ann", ADMIN_PASSWORD, next_path=target)
    assert response.status == 303 and response.headers["location"] == "/"


async def test_a_session_unused_for_eight_hours_ends(world):
    browser = Browser(world["app"])
    await browser.sign_in("Ann", ADMIN_PASSWORD)
    world["clock"].now = NOW + timedelta(hours=7, minutes=59)
    assert (await browser.get("/accounts")).status == 200
    world["clock"].now += timedelta(hours=3)  # used since, so still on (12 hours at most)
    assert (await browser.get("/accounts")).status == 200
    world["clock"].now += timedelta(hours=8, minutes=1)
    assert (await browser.get("/accounts")).status == 303


async def test_the_store_keeps_only_a_hash_of_the_session_cookie(world):
    browser = Browser(world["app"])
    await browser.sign_in("Ann", ADMIN_PASSWORD)
    with world["engine"].connect() as connection:
        ids = [row[0] for row in connection.execute(select(staff_sessions.c.id))]
    assert len(ids) == 1 and browser.cookies["console_session"] not in ids


# CSRF.


async def test_a_form_without_its_csrf_token_is_refused_even_when_signed_in(world):
    browser = Browser(world["app"])
    await browser.sign_in("Ann", ADMIN_PASSWORD)
    create = {"name": "Mallory", "role": "admin", "password": "mallory password"}
    for token in (None, "", "not-the-token"):
        data = dict(create, **({"csrf_token": token} if token is not None else {}))
        response = await browser.post("/accounts", data=data)
        assert response.status == 403
        assert "form has expired" in response.text
    assert [a.name for a in world["accounts"].all()] == ["Ann", "Priya"]
    # The same form with the session's token is carried out.
    token = await browser.csrf()
    response = await browser.post("/accounts", data=dict(create, csrf_token=token))
    assert response.status == 303
    assert "Mallory" in [a.name for a in world["accounts"].all()]


async def test_every_action_of_the_console_refuses_a_request_without_its_token(world):
    browser = Browser(world["app"])
    await browser.sign_in("Ann", ADMIN_PASSWORD)
    actions = [(m, p) for m, p in page_routes(world["app"]) if m != "GET"]
    assert ("POST", "/accounts/disable") in actions
    for method, path in actions:
        response = await browser.request(method.lower(), path, data={"name": "Priya"})
        assert response.status == 403, (method, path)
    assert world["accounts"].member("Priya") is not None
    assert (await browser.get("/accounts")).status == 200  # still signed in


async def test_the_token_may_come_as_a_header_for_scripts(world):
    browser = Browser(world["app"])
    await browser.sign_in("Ann", ADMIN_PASSWORD)
    token = await browser.csrf()
    response = await browser.post(
        "/accounts/disable", data={"name": "Priya"}, headers={"X-CSRF-Token": token}
    )
    assert response.status == 303
    assert world["accounts"].member("Priya") is None


async def test_another_sessions_token_does_not_pass(world):
    ann, priya = Browser(world["app"]), Browser(world["app"])
    await ann.sign_in("Ann", ADMIN_PASSWORD)
    await priya.sign_in("Priya", PRIYA_PASSWORD)
    priyas_token = await _session_token(priya)
    response = await ann.post(
        "/accounts/disable", data={"name": "Priya", "csrf_token": priyas_token}
    )
    assert response.status == 403


async def test_the_sign_in_form_without_its_token_is_refused(world):
    browser = Browser(world["app"])
    await browser.get("/login")
    response = await browser.post(
        "/login", data={"name": "Ann", "password": ADMIN_PASSWORD, "csrf_token": "guess"}
    )
    assert response.status == 403
    assert "console_session" not in browser.cookies
    # Posted from another site: no token cookie at all.
    stranger = Browser(world["app"])
    response = await stranger.post("/login", data={"name": "Ann", "password": ADMIN_PASSWORD})
    assert response.status == 403 and "console_session" not in stranger.cookies


async def test_a_second_sign_in_page_leaves_the_open_form_working(world):
    # Another tab, or a request of the browser's own (its icon) sent to sign in too.
    browser = Browser(world["app"])
    first = csrf_in((await browser.get("/login")).text)
    await browser.get("/favicon.ico")
    await browser.get("/login")
    response = await browser.post(
        "/login", data={"csrf_token": first, "name": "Ann", "password": ADMIN_PASSWORD}
    )
    assert response.status == 303 and "console_session" in browser.cookies


# Roles.


@pytest.mark.parametrize("path", ["/accounts", "/audit"])
async def test_only_admin_sees_accounts_and_the_audit(world, path):
    priya = Browser(world["app"])
    await priya.sign_in("Priya", PRIYA_PASSWORD)
    response = await priya.get(path)
    assert response.status == 403
    assert "Not for your role" in response.text
    ann = Browser(world["app"])
    await ann.sign_in("Ann", ADMIN_PASSWORD)
    assert (await ann.get(path)).status == 200


async def test_a_member_of_staff_cannot_create_or_change_accounts(world):
    priya = Browser(world["app"])
    await priya.sign_in("Priya", PRIYA_PASSWORD)
    token = await _session_token(priya)
    for path, data in [
        ("/accounts", {"name": "Eve", "role": "admin", "password": "eve password 1"}),
        ("/accounts/role", {"name": "Priya", "role": "admin"}),
        ("/accounts/password", {"name": "Ann", "password": "taken over 123"}),
        ("/accounts/disable", {"name": "Ann"}),
    ]:
        response = await priya.post(path, data=dict(data, csrf_token=token))
        assert response.status == 403, path
    assert world["accounts"].member("Priya").role is Role.COMMUNICATIONS
    assert [a.name for a in world["accounts"].all()] == ["Ann", "Priya"]
    assert (await Browser(world["app"]).sign_in("Ann", ADMIN_PASSWORD)).status == 303


async def _session_token(browser):
    """The session's token from the sign-out form every page carries."""
    page = await browser.get("/accounts")  # 403 for non-admin, still a console page
    return csrf_in(page.text)


async def test_admin_manages_accounts_and_the_audit_records_it(world):
    ann = Browser(world["app"])
    await ann.sign_in("Ann", ADMIN_PASSWORD)
    token = await ann.csrf()
    steps = [
        ("/accounts", {"name": "Tom", "role": "repairs", "password": "tom password 1"}),
        ("/accounts/role", {"name": "Tom", "role": "neighbourhoods"}),
        ("/accounts/password", {"name": "Tom", "password": "tom password 2"}),
        ("/accounts/disable", {"name": "Tom"}),
    ]
    for path, data in steps:
        response = await ann.post(path, data=dict(data, csrf_token=token))
        assert response.status == 303 and response.headers["location"] == "/accounts"
    page = await ann.get("/accounts")
    assert "Tom can no longer sign in." in page.text
    tom = world["accounts"].get("Tom")
    assert tom.role is Role.NEIGHBOURHOODS and tom.disabled
    assert (await Browser(world["app"]).sign_in("Tom", "tom password 2")).status == 401
    audit = await ann.get("/audit")
    for action in ("account created", "account role changed", "account password reset"):
        assert action in audit.text
    assert "tom password" not in audit.text


async def test_a_disabled_member_of_staff_is_signed_out_at_once(world):
    priya, ann = Browser(world["app"]), Browser(world["app"])
    await priya.sign_in("Priya", PRIYA_PASSWORD)
    assert (await priya.get("/audit")).status == 403  # signed in
    await ann.sign_in("Ann", ADMIN_PASSWORD)
    await ann.post("/accounts/disable", data={"name": "Priya", "csrf_token": await ann.csrf()})
    assert (await priya.get("/audit")).status == 303


# Lockout and rate limit.


async def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(world):
    browser = Browser(world["app"])
    for _ in range(5):
        response = await browser.sign_in("Priya", "wrong password")
        assert response.status == 401
    refused = await browser.sign_in("Priya", PRIYA_PASSWORD)
    assert refused.status == 401 and "console_session" not in browser.cookies
    world["clock"].now = NOW + timedelta(minutes=14)
    assert (await browser.sign_in("Priya", PRIYA_PASSWORD)).status == 401
    world["clock"].now = NOW + timedelta(minutes=15, seconds=1)
    response = await browser.sign_in("Priya", PRIYA_PASSWORD)
    assert response.status == 303 and "console_session" in browser.cookies


async def test_a_refusal_never_says_whether_the_name_exists(world):
    def said(response):
        assert response.status == 401 and "console_session" not in response.cookies
        return re.search(r'<p class="error"[^>]*>(.*?)</p>', response.text, re.S).group(1)

    unknown = said(await Browser(world["app"]).sign_in("Nobody", "whatever it is"))
    wrong = said(await Browser(world["app"]).sign_in("Priya", "wrong password"))
    for _ in range(4):
        await Browser(world["app"]).sign_in("Priya", "wrong password")
    locked = said(await Browser(world["app"]).sign_in("Priya", PRIYA_PASSWORD))
    assert unknown == wrong == locked
    assert "did not work" in unknown


async def test_sign_in_is_rate_limited_per_address(world):
    browser = Browser(world["app"])
    for attempt in range(10):
        response = await browser.sign_in(f"guess{attempt}", "guess password")
        assert response.status == 401
    response = await browser.sign_in("Ann", ADMIN_PASSWORD)
    assert response.status == 429
    assert int(response.headers["retry-after"]) > 0
    assert "Too many sign-in attempts" in response.text
    assert "console_session" not in browser.cookies
    world["clock"].now = NOW + timedelta(minutes=1, seconds=1)
    assert (await browser.sign_in("Ann", ADMIN_PASSWORD)).status == 303


async def test_failed_sign_ins_are_audited_without_the_password(world):
    await Browser(world["app"]).sign_in("Priya", "wrong password")
    await Browser(world["app"]).sign_in("someone's password", "x" * 12)
    ann = Browser(world["app"])
    await ann.sign_in("Ann", ADMIN_PASSWORD)
    page = (await ann.get("/audit")).text
    assert page.count('data-action="login_failed"') == 2
    assert "wrong password" not in page and "someone" not in page
    assert 'data-action="login"' in page


# Cookies and headers.


def _session_morsel(browser):
    for header in browser.last_set_cookies:
        morsel = SimpleCookie(header).get("console_session")
        if morsel is not None:
            return morsel, header
    raise AssertionError("no session cookie set")


async def test_the_session_cookie_is_httponly_and_samesite(world):
    browser = Browser(world["app"])
    await browser.sign_in("Ann", ADMIN_PASSWORD)
    morsel, header = _session_morsel(browser)
    assert morsel["httponly"] and morsel["samesite"].lower() in ("lax", "strict")
    assert morsel["path"] == "/"
    assert "secure" not in header.lower()  # plain HTTP on this machine: no Secure


def sign_in_over_a_socket(app, headers):
    """Sign in through Sanic's own server (a real socket with a peer address, as a proxy
    on this machine reaches it); the Set-Cookie header of the session."""
    _, form = app.test_client.get("/login", headers=headers)
    token = csrf_in(form.text)
    _, response = app.test_client.post(
        "/login",
        headers={**headers, "Cookie": f"console_login_csrf={token}"},
        data={"csrf_token": token, "name": "Ann", "password": ADMIN_PASSWORD},
        allow_redirects=False,
    )
    assert response.status == 303
    return next(h for h in response.headers.get_list("set-cookie") if "console_session=" in h)


def test_behind_tls_the_session_cookie_is_secure(world):
    behind_tls = SimpleCookie(sign_in_over_a_socket(world["app"], {"X-Forwarded-Proto": "https"}))
    assert behind_tls["console_session"]["secure"]
    assert behind_tls["console_session"]["httponly"]
    plain = SimpleCookie(sign_in_over_a_socket(world["app"], {}))
    assert not plain["console_session"]["secure"]


async def test_every_answer_carries_the_security_headers(world):
    browser = Browser(world["app"])
    for path in ("/login", "/accounts", "/api/handoffs"):
        response = await browser.get(path)
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["x-content-type-options"] == "nosniff"
    await browser.sign_in("Ann", ADMIN_PASSWORD)
    page = await browser.get("/accounts")
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and " style=" not in page.text


async def test_passwords_are_stored_only_as_scrypt_hashes(world):
    with world["engine"].connect() as connection:
        stored = connection.execute(select(staff_accounts.c.password_hash)).scalars().all()
    assert all(h.startswith("scrypt$") for h in stored)
    assert not any(ADMIN_PASSWORD in h or PRIYA_PASSWORD in h for h in stored)


# One's own password; the audit page.


async def test_a_member_of_staff_changes_their_own_password(world):
    here, elsewhere = Browser(world["app"]), Browser(world["app"])
    await here.sign_in("Priya", PRIYA_PASSWORD)
    await elsewhere.sign_in("Priya", PRIYA_PASSWORD)
    token = csrf_in((await here.get("/account")).text)
    form = {"csrf_token": token, "current_password": "not it at all"}
    form.update(new_password="new priya pass", new_password_again="new priya pass")
    await here.post("/account/password", data=form)
    assert "current password was not right" in (await here.get("/account")).text
    form["current_password"] = PRIYA_PASSWORD
    form["new_password_again"] = "something else"
    await here.post("/account/password", data=form)
    assert "two new passwords differ" in (await here.get("/account")).text
    form["new_password_again"] = "new priya pass"
    assert (await here.post("/account/password", data=form)).status == 303
    page = await here.get("/account")
    assert page.status == 200 and "Your password is changed" in page.text
    assert (await elsewhere.get("/account")).status == 303  # signed out there
    assert (await Browser(world["app"]).sign_in("Priya", PRIYA_PASSWORD)).status == 401
    assert (await Browser(world["app"]).sign_in("Priya", "new priya pass")).status == 303


async def test_the_audit_page_shows_who_opened_what_without_burying_it_in_queue_listings(world):
    handoffs = HandoffAudit(world["engine"])
    handoffs.record(AuditEntry(NOW, "Priya", "unmask_thread", "h-1234567890"))
    for minute in range(50):
        handoffs.record(AuditEntry(NOW + timedelta(minutes=minute), "Priya", "list"))
    ann = Browser(world["app"])
    await ann.sign_in("Ann", ADMIN_PASSWORD)
    page = (await ann.get("/audit")).text
    assert 'data-action="unmask_thread"' in page and 'href="/conversations/h-1234567890"' in page
    assert 'data-action="list"' not in page
    listings = (await ann.get("/audit?action=list&staff=Priya")).text
    assert listings.count('data-action="list"') == 50
    assert 'data-action="login"' not in listings
