"""The console's page framework: what every page of the staff app shares.

- `Console`: built once in `create_app` and kept on `app.ctx.console`; holds the store,
  the desk, the accounts and sessions, the clock, the teams, the settings and the
  templates, and renders a page with what every page needs (`render`).
- `install(app, console)`: the middleware no route can forget. Every path but
  `/login`, `/static/`, `/api/` (bearer tokens, its own check) and `/sandbox-api/` (the
  sandbox's platform stand-in, its own guard) needs a signed-in session: a GET is sent
  to the sign-in page, anything else is answered 401. Every other request that changes
  something carries the session's CSRF token (form field `csrf_token` or header
  `X-CSRF-Token`), or is refused with 403. Every answer carries the security headers.
- `staff_of(request)`, `require_role(request, *roles)`: who is asking, and a 403 page
  for those whose role does not allow it (admin always passes). A trainer, who works
  for no team, is let through to the trainer pages (`/trainers/`) and their own
  account only, by the middleware: no page of the queue, moderation or dashboard can
  forget to refuse them.
- `pages(console)`: this part's own pages: signing in and out, accounts, the audit.

Other parts of the console each give `routes(console) -> Blueprint` (bot/console/app.py
registers them).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import re
import secrets
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any, Callable, Deque, Dict, List, Mapping
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import jinja2
from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse, html, redirect
from sqlalchemy.engine import Engine

from bot.console.accounts import (
    ACCOUNT_KEEPERS,
    MIN_PASSWORD_LENGTH,
    AccountError,
    LoginRefused,
    Role,
    StaffAccounts,
    StaffMember,
)
from bot.console.audit import ConsoleAudit
from bot.console.sessions import COOKIE, Session, Sessions
from bot.handoff.desk import StaffDesk
from bot.handoff.handoffs import Teams
from bot.settings import Settings

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
UK = ZoneInfo("Europe/London")
LOGIN_CSRF_COOKIE = "console_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# console.js and sandbox.js send it when they poll: such a request does not use up a
# flash, nor keep the session from its idle timeout.
POLL_HEADER = "X-Console-Poll"
# Paths that need no session: the sign-in page, static files, the bearer-token API, and
# the sandbox's platform stand-in (it has its own guard).
OPEN_PREFIXES = ("/static/", "/api/", "/sandbox-api/")
OPEN_PATHS = ("/login",)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# All a trainer may open besides the open paths: the trainer pages, their own account.
TRAINER_HOME = "/trainers/misses"
TRAINER_PREFIXES = ("/trainers/",)
TRAINER_PATHS = ("/trainers", "/account", "/account/password", "/logout")
# The browser may load and run only what this app serves: no inline script, no
# framing, forms posted only here.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self';"
        " form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
# Sign-in attempts allowed from one address within the window (then 429).
LOGIN_ATTEMPTS = 10
LOGIN_WINDOW = timedelta(minutes=1)
# How often the limiter drops the addresses whose attempts have all expired.
SWEEP_EVERY = timedelta(seconds=10)

Clock = Callable[[], datetime]


class NotAllowed(Exception):
    """The member of staff's role does not allow this page or action (403)."""


@dataclass
class NavItem:
    """One link of the header's navigation."""

    label: str
    href: str
    current: bool = False


class LoginLimiter:
    """Sign-in attempts per client address: at most `limit` within `window`.

    Kept in memory: one staff app serves the console, and a restart forgiving the
    last minute's attempts does no harm (the account lock is in the store).
    """

    def __init__(self, limit: int = LOGIN_ATTEMPTS, window: timedelta = LOGIN_WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._attempts: Dict[str, Deque[datetime]] = defaultdict(deque)
        self._swept: datetime | None = None

    def allow(self, address: str, now: datetime) -> bool:
        """Count one attempt from `address`; False once it is over the limit."""
        self._forget_expired(now)
        attempts = self._attempts[address]
        while attempts and attempts[0] <= now - self.window:
            attempts.popleft()
        if len(attempts) >= self.limit:
            return False
        attempts.append(now)
        return True

    def retry_after(self, address: str, now: datetime) -> int:
        """Seconds until `address` may try again."""
        attempts = self._attempts.get(address)
        if not attempts:
            return 0
        return max(1, int((attempts[0] + self.window - now).total_seconds()) + 1)

    def tracked(self) -> int:
        """How many addresses it remembers attempts of."""
        return len(self._attempts)

    def _forget_expired(self, now: datetime) -> None:
        # An address whose every attempt has expired is dropped, so what is kept is
        # bounded by the addresses seen within about one window. The table is walked at
        # most every SWEEP_EVERY, so a flood of attempts does not walk it each time.
        if self._swept is not None and now - self._swept < SWEEP_EVERY:
            return
        self._swept = now
        cutoff = now - self.window
        for address in [a for a, t in self._attempts.items() if not t or t[-1] <= cutoff]:
            del self._attempts[address]


@dataclass
class Console:
    """What every console page works with; one per app, on `app.ctx.console`."""

    engine: Engine
    desk: StaffDesk
    accounts: StaffAccounts
    sessions: Sessions
    clock: Clock
    teams: Teams
    settings: Settings
    templates: jinja2.Environment
    # The sandbox (bot/sandbox/) when it is on; None in production.
    sandbox: Any = None
    limiter: LoginLimiter = field(default_factory=LoginLimiter)

    @property
    def audit_log(self) -> ConsoleAudit:
        """The console's audit (bot/console/audit.py)."""
        return ConsoleAudit(self.engine)

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTTPResponse:
        """`template` as an HTML page, with what every page uses: `staff` (None on the
        sign-in page), `csrf_token`, `nav`, `now` and `flash`."""
        staff = getattr(request.ctx, "staff", None)
        session = getattr(request.ctx, "session", None)
        base = {
            "staff": staff,
            "csrf_token": session.csrf_token if session is not None else "",
            "nav": self.nav(request, staff),
            "now": self.clock(),
            "flash": getattr(request.ctx, "flash", None),
            "request_path": request.path,
        }
        text = self.templates.get_template(template).render({**base, **context})
        return html(text, status=status)

    def nav(self, request: Request, staff: StaffMember | None) -> List[NavItem]:
        """The header's links for `staff`: Sandbox only when it is on, Accounts and
        Audit for admin only, the trainer pages for trainers and admin (and nothing else
        for a trainer)."""
        if staff is None:
            return []
        trainer_pages = [("Missed messages", TRAINER_HOME), ("NLU report", "/trainers/report")]
        if staff.is_trainer:
            items = trainer_pages
        else:
            items = [("Queue", "/queue")]
            if staff.has(*ACCOUNT_KEEPERS):
                items += [("Moderation", "/moderation"), ("Outbox", "/outbox")]
            if staff.has(Role.COMMUNICATIONS):
                items += [("Service alerts", "/service-alerts"), ("Surveys", "/surveys")]
            items.append(("Dashboard", "/dashboard"))
            if self.sandbox is not None:
                items.append(("Sandbox", "/sandbox"))
            if staff.is_admin:
                items += [("Accounts", "/accounts"), ("Audit", "/audit")]
                items.append(("Data protection", "/data-protection"))
                items += trainer_pages
        path = request.path
        return [
            NavItem(label, href, path == href or path.startswith(href + "/"))
            for label, href in items
        ]

    async def run(self, function: Callable, *args: Any, **kwargs: Any) -> Any:
        """`function(*args, **kwargs)` off the event loop (the store and Rasa's HTTP API
        are blocking)."""
        return await asyncio.to_thread(partial(function, *args, **kwargs))

    async def flash(self, request: Request, message: str) -> None:
        """Show `message` on this browser's next page (after a redirect)."""
        cookie_value = request.cookies.get(COOKIE)
        if cookie_value:
            await self.run(self.sessions.flash, cookie_value, message)

    async def record(
        self,
        staff: str,
        action: str,
        subject: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        """`audit(...)` off the event loop, for an async handler."""
        await self.run(audit, self, staff, action, subject, details)


def audit(
    console: Console,
    staff: str,
    action: str,
    subject: str | None = None,
    details: Mapping[str, object] | None = None,
) -> None:
    """Record a console action that is not a desk call (desk calls audit themselves).

    Blocking (it writes the store): call it off the event loop, with the action it
    records, or use `Console.record` from an async handler.
    """
    console.audit_log.record(console.clock(), staff, action, subject, details)


def staff_of(request: Request) -> StaffMember:
    """The signed-in member of staff (the middleware has checked there is one)."""
    return request.ctx.staff


def require_role(request: Request, *roles: Role) -> StaffMember:
    """The signed-in member of staff, if their role is one of `roles` (admin always is).

    Raises:
        NotAllowed: answered with a 403 page.
    """
    staff = staff_of(request)
    if staff.has(*roles):
        return staff
    raise NotAllowed()


def require_team(request: Request, team: str) -> StaffMember:
    """The signed-in member of staff, if `team`'s work is theirs to see (admin sees all).

    Raises:
        NotAllowed: answered with a 403 page.
    """
    staff = staff_of(request)
    if staff.sees(team):
        return staff
    raise NotAllowed()


def see_other(location: str) -> HTTPResponse:
    """A 303 to `location`: after a form, the browser GETs the page."""
    return redirect(location, status=303)


def make_templates(folder: Path = TEMPLATES) -> jinja2.Environment:
    """The console's templates, HTML escaped, with the filters pages share."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = uk_time
    environment.filters["urlquote"] = lambda text: quote(str(text), safe="")
    return environment


def uk_time(t: datetime | None, fmt: str = "%a %d %b %Y %H:%M") -> str:
    """`t` as staff read it: UK time (BST or GMT), e.g. "Mon 23 Nov 2026 10:00"."""
    if t is None:
        return ""
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(UK).strftime(fmt)


def is_open(path: str) -> bool:
    """Whether `path` is served without a console session."""
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def trainer_may_open(path: str) -> bool:
    """Whether a trainer may open `path` (the trainer pages and their own account)."""
    return path in TRAINER_PATHS or path.startswith(TRAINER_PREFIXES)


def is_page(path: str) -> bool:
    """Whether `path` is one of the console's pages (not the API, not the stand-in)."""
    return not path.startswith(("/api/", "/sandbox-api/"))


def over_tls(request: Request) -> bool:
    """Whether the browser reached us over TLS: directly, or through a proxy on this
    machine that says so (X-Forwarded-Proto: https)."""
    if request.scheme in ("https", "wss"):
        return True
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return proto == "https" and _loopback(request.ip)


def client_address(request: Request) -> str:
    """Who is signing in, for the rate limit: the peer, or the client's address as the
    proxies the staff app is told of give it (Sanic's PROXIES_COUNT or REAL_IP_HEADER,
    from CONSOLE_PROXIES_COUNT or CONSOLE_REAL_IP_HEADER). By default no header is
    believed: a client writes its own X-Forwarded-For."""
    config = request.app.config
    if config.PROXIES_COUNT or config.REAL_IP_HEADER:
        return request.remote_addr or request.ip or "unknown"
    return request.ip or "unknown"


def _loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only, never another site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def set_cookie(
    response: HTTPResponse,
    name: str,
    value: str,
    secure: bool,
    path: str = "/",
    samesite: str = "Lax",
) -> None:
    """Set a cookie the page's scripts cannot read (HttpOnly), not sent with other
    sites' requests (SameSite), and only over TLS when the request came over it."""
    response.cookies[name] = value
    cookie = response.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = samesite
    cookie["path"] = path
    if secure:
        cookie["secure"] = True


def clear_cookie(response: HTTPResponse, name: str, secure: bool, path: str = "/") -> None:
    """Tell the browser to forget a cookie."""
    set_cookie(response, name, "", secure, path)
    response.cookies[name]["max-age"] = 0


def install(app: Sanic, console: Console) -> None:
    """Put the console on `app`: its middleware, error pages and static files."""
    app.ctx.console = console
    # Which proxies' X-Forwarded-For (or real-IP header) Sanic believes: none by default.
    app.config.PROXIES_COUNT = console.settings.console_proxies_count
    app.config.REAL_IP_HEADER = console.settings.console_real_ip_header
    app.static("/static", str(STATIC), name="console_static")

    @app.on_request
    async def require_session(request: Request) -> HTTPResponse | None:
        path = request.path
        request.ctx.staff = None
        request.ctx.session = None
        request.ctx.flash = None
        if is_open(path):
            return None
        now = console.clock()
        cookie_value = request.cookies.get(COOKIE)
        # A page polling for news (console.js, sandbox.js) does not count as use.
        used = not request.headers.get(POLL_HEADER)
        session, staff = await console.run(_signed_in, console, cookie_value, now, used)
        if session is None or staff is None:
            if request.method in ("GET", "HEAD"):
                return see_other(f"/login?next={quote(_full_path(request), safe='')}")
            return html(
                '<p>Sign in first: <a href="/login">Sign in</a></p>',
                status=401,
            )
        request.ctx.staff = staff
        request.ctx.session = session
        if staff.is_trainer and not trainer_may_open(path):
            if path == "/" and request.method in ("GET", "HEAD"):
                return see_other(TRAINER_HOME)
            return console.render(
                request,
                "error.html",
                status=403,
                title="Not for your role",
                message="A trainer's pages are Missed messages and the NLU report."
                " Ask an admin if you need another page.",
            )
        if request.method not in SAFE_METHODS and not _csrf_ok(request, session.csrf_token):
            return console.render(
                request,
                "error.html",
                status=403,
                title="The form has expired",
                message="This form was not sent from a page of the console, or it has"
                " expired. Go back, reload the page and try again.",
            )
        if session_has_flash(session) and request.method == "GET":
            if not request.headers.get(POLL_HEADER):
                request.ctx.flash = await console.run(console.sessions.take_flash, cookie_value)
        return None

    @app.on_response
    async def security_headers(request: Request, response: HTTPResponse) -> None:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.path.startswith("/static/"):
            # Pages show tenants' messages: no copy is kept in caches.
            response.headers.setdefault("Cache-Control", "no-store")

    @app.exception(NotAllowed)
    async def not_allowed(request: Request, _error: Exception) -> HTTPResponse:
        return console.render(
            request,
            "error.html",
            status=403,
            title="Not for your role",
            message="This page is for another team or for admin. Ask an admin if you need it.",
        )


def session_has_flash(session: Session) -> bool:
    """Whether a message waits for this session's next page."""
    return bool(session.flash)


def error_page(request: Request, status: int, message: str) -> HTTPResponse:
    """An error as a console page (404, 405, ...), for page paths."""
    console: Console = request.app.ctx.console
    titles = {404: "Not found", 405: "Not allowed here", 400: "Bad request"}
    return console.render(
        request,
        "error.html",
        status=status,
        title=titles.get(status, "Something went wrong"),
        message=message,
    )


def _full_path(request: Request) -> str:
    return request.path + (f"?{request.query_string}" if request.query_string else "")


def _signed_in(
    console: Console, cookie_value: str | None, now: datetime, used: bool = True
) -> tuple[Session | None, StaffMember | None]:
    session = console.sessions.find(cookie_value, now, used)
    if session is None:
        return None, None
    staff = console.accounts.member(session.staff)
    if staff is None:
        # The account was disabled or removed: its sessions end.
        console.sessions.end(cookie_value)
        return None, None
    return session, staff


def _csrf_ok(request: Request, expected: str) -> bool:
    given = request.headers.get(CSRF_HEADER) or _form_value(request, CSRF_FIELD) or ""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _form_value(request: Request, name: str) -> str | None:
    try:
        return request.form.get(name)
    except Exception:  # a body that is not a form holds no token
        return None


def pages(console: Console) -> Blueprint:
    """Signing in and out, the accounts page and the audit page."""
    bp = Blueprint("console_access")

    @bp.get("/login")
    async def login_form(request: Request) -> HTTPResponse:
        next_path = safe_next(request.args.get("next"))
        cookie_value = request.cookies.get(COOKIE)
        if cookie_value:
            session, staff = await console.run(_signed_in, console, cookie_value, console.clock())
            if staff is not None:
                return see_other(next_path)
        return _login_page(request, next_path)

    def _login_page(
        request: Request, next_path: str, error: str | None = None, status: int = 200
    ) -> HTTPResponse:
        # The form already open elsewhere (another tab; the page the browser's own
        # favicon request is sent to) keeps working: its cookie's token is reused.
        kept = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
        token = kept if re.fullmatch(r"[A-Za-z0-9_-]{43}", kept) else secrets.token_urlsafe(32)
        response = console.render(
            request,
            "login.html",
            status=status,
            login_csrf=token,
            next_path=next_path,
            error=error,
            name=(_form_value(request, "name") or "") if request.method == "POST" else "",
        )
        set_cookie(response, LOGIN_CSRF_COOKIE, token, over_tls(request), samesite="Strict")
        return response

    @bp.post("/login")
    async def login(request: Request) -> HTTPResponse:
        now = console.clock()
        address = client_address(request)
        next_path = safe_next(_form_value(request, "next"))
        if not console.limiter.allow(address, now):
            response = _login_page(
                request,
                next_path,
                error="Too many sign-in attempts from here. Wait a minute, then try again.",
                status=429,
            )
            response.headers["Retry-After"] = str(console.limiter.retry_after(address, now))
            return response
        given = _form_value(request, CSRF_FIELD) or ""
        expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return _login_page(
                request,
                next_path,
                error="The sign-in form had expired. Please try again.",
                status=403,
            )
        name = (_form_value(request, "name") or "").strip()
        password = _form_value(request, "password") or ""
        try:
            staff = await console.run(console.accounts.authenticate, name, password, now)
        except LoginRefused as refused:
            known = refused.why != "unknown"
            # An unknown name is not written down: it may be a password typed in the
            # wrong field.
            await console.record(
                name if known else "(unknown name)",
                "login_failed",
                details={"why": refused.why, "address": address},
            )
            return _login_page(request, next_path, error=str(refused), status=401)
        # A fresh session on every sign-in: a cookie planted before it is worth nothing.
        await console.run(console.sessions.end, request.cookies.get(COOKIE))
        cookie_value, _session = await console.run(console.sessions.start, staff.name, now)
        await console.record(staff.name, "login", details={"address": address})
        response = see_other(next_path)
        secure = over_tls(request)
        set_cookie(response, COOKIE, cookie_value, secure)
        clear_cookie(response, LOGIN_CSRF_COOKIE, secure)
        return response

    @bp.post("/logout")
    async def logout(request: Request) -> HTTPResponse:
        staff = staff_of(request)
        await console.run(console.sessions.end, request.cookies.get(COOKIE))
        await console.record(staff.name, "logout")
        response = see_other("/login")
        clear_cookie(response, COOKIE, over_tls(request))
        return response

    @bp.get("/account")
    async def own_account(request: Request) -> HTTPResponse:
        return console.render(request, "account.html", min_password=MIN_PASSWORD_LENGTH)

    @bp.post("/account/password")
    async def own_password(request: Request) -> HTTPResponse:
        staff = staff_of(request)
        now = console.clock()
        current = _form_value(request, "current_password") or ""
        new = _form_value(request, "new_password") or ""
        again = _form_value(request, "new_password_again") or ""

        def work() -> str:
            # A wrong current password counts as a failed sign-in: this form is no way
            # round the lock.
            console.accounts.authenticate(staff.name, current, now)
            if new != again:
                raise AccountError("the two new passwords differ")
            console.accounts.set_password(staff.name, new)
            console.sessions.end_all(staff.name)
            cookie_value, _session = console.sessions.start(staff.name, now)
            return cookie_value

        try:
            cookie_value = await console.run(work)
        except (AccountError, LoginRefused) as error:
            message = (
                "Your current password was not right."
                if isinstance(error, LoginRefused)
                else f"Not changed: {error}."
            )
            await console.flash(request, message)
            return see_other("/account")
        await console.record(staff.name, "password_changed", staff.name)
        await console.run(
            console.sessions.flash,
            cookie_value,
            "Your password is changed; you are signed out everywhere else.",
        )
        response = see_other("/account")
        set_cookie(response, COOKIE, cookie_value, over_tls(request))
        return response

    @bp.get("/accounts")
    async def accounts(request: Request) -> HTTPResponse:
        require_role(request, Role.ADMIN)
        found = await console.run(console.accounts.all)
        return console.render(
            request,
            "accounts.html",
            accounts=found,
            roles=list(Role),
            min_password=MIN_PASSWORD_LENGTH,
        )

    async def change(request: Request, action: str, subject: str, work: Callable) -> HTTPResponse:
        """Run an account change as admin, audit it, and go back to the accounts page."""
        staff = require_role(request, Role.ADMIN)
        try:
            done = await console.run(work)
        except AccountError as error:
            await console.flash(request, f"Not done: {error}.")
            return see_other("/accounts")
        await console.record(staff.name, action, subject, done or None)
        await console.flash(request, _DONE[action].format(name=subject))
        return see_other("/accounts")

    @bp.post("/accounts")
    async def create(request: Request) -> HTTPResponse:
        name = (_form_value(request, "name") or "").strip()
        password = _form_value(request, "password") or ""

        def work() -> Dict[str, str]:
            role = Role.parse(_form_value(request, "role") or "")
            console.accounts.create(name, password, role, console.clock())
            return {"role": role.value}

        return await change(request, "account_created", name, work)

    @bp.post("/accounts/role")
    async def set_role(request: Request) -> HTTPResponse:
        name = _form_value(request, "name") or ""

        def work() -> Dict[str, str]:
            role = Role.parse(_form_value(request, "role") or "")
            if name == staff_of(request).name and role is not Role.ADMIN:
                raise AccountError("you cannot take admin from yourself; ask another admin")
            console.accounts.set_role(name, role)
            return {"role": role.value}

        return await change(request, "account_role_changed", name, work)

    @bp.post("/accounts/password")
    async def set_password(request: Request) -> HTTPResponse:
        name = _form_value(request, "name") or ""
        password = _form_value(request, "password") or ""

        def work() -> None:
            console.accounts.set_password(name, password)
            # Whoever knew the old password is signed out.
            console.sessions.end_all(name)

        return await change(request, "account_password_reset", name, work)

    @bp.post("/accounts/disable")
    async def disable(request: Request) -> HTTPResponse:
        name = _form_value(request, "name") or ""

        def work() -> None:
            if name == staff_of(request).name:
                raise AccountError("you cannot disable your own account")
            console.accounts.disable(name)
            console.sessions.end_all(name)

        return await change(request, "account_disabled", name, work)

    @bp.post("/accounts/enable")
    async def enable(request: Request) -> HTTPResponse:
        name = _form_value(request, "name") or ""
        return await change(
            request, "account_enabled", name, partial(console.accounts.enable, name)
        )

    @bp.get("/audit")
    async def audit_page(request: Request) -> HTTPResponse:
        require_role(request, Role.ADMIN)
        who = (request.args.get("staff") or "").strip() or None
        action = (request.args.get("action") or "").strip() or None
        log = console.audit_log
        entries = await console.run(log.entries, 300, who, action)
        return console.render(
            request,
            "audit.html",
            entries=entries,
            who=who or "",
            action=action or "",
            actions=await console.run(log.actions),
        )

    return bp


_DONE = {
    "account_created": "Account {name} created.",
    "account_role_changed": "{name}'s role changed.",
    "account_password_reset": "{name}'s password changed; they are signed out everywhere.",
    "account_disabled": "{name} can no longer sign in.",
    "account_enabled": "{name} can sign in again.",
}
