"""The sandbox's pages and its platform stand-in, on the staff app (bot/sandbox/).

- `/sandbox`: the tenant's side, in eight panes (the Facebook page with its posts and
  comments, the Messenger inbox, the X timeline with mentions, X direct messages, the
  Instagram post with its comments and the account's DMs, the YouTube video and the
  LinkedIn post with their comments), a form in each to write as the chosen tenant, and
  the guided scenarios. What is typed is signed and posted to the Rasa server's real
  webhooks (bot/sandbox/sender.py), or read by its YouTube and LinkedIn pollers.
- `/sandbox/world`: the panes' changing parts, which static/sandbox.js fetches every
  2 seconds, so that the assistant's answers appear without a reload.
- `/sandbox-api/graph/v19.0/...`, `/sandbox-api/x/...`, `/sandbox-api/instagram/v19.0/...`,
  `/sandbox-api/youtube/...` and `/sandbox-api/linkedin/rest/...`: the platforms' API
  stand-in the Rasa server's outbox and pollers call (bot/sandbox/standin.py). Outside the login
  (the outbox has no session) but answered only on loopback, and never to a request
  a proxy passed on.

Unless sandbox mode is on (`console.sandbox` is set, and bot/sandbox/mode.py agrees
with the settings), none of these routes exists: each answers 404.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any, Dict, List
from urllib.parse import quote, unquote

from sanic import Blueprint, Request
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse, empty
from sanic.response import json as json_response

from bot.association import load_association
from bot.console.web import Console, see_other
from bot.handoff.working_hours import WorkingCalendar
from bot.sandbox.mode import GRAPH_PATH, X_PATH, sandbox_enabled
from bot.sandbox.scenarios import BY_NAME, SCENARIOS, ScenarioBusy
from bot.sandbox.sender import POLLED, NotDelivered
from bot.sandbox.service import Sandbox
from bot.sandbox.world import COMMENT_PANES, Pane, UnknownPersona, View
from bot.settings import SANDBOX_INSTAGRAM, SANDBOX_LINKEDIN, SANDBOX_YOUTUBE

# A tenant's message, at most: longer than any platform's.
MAX_TEXT = 2000
DEFAULT_PERSONA = "margaret"
# What a proxy adds to a request it passes on; the outbox never sends them.
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def routes(console: Console) -> Blueprint:
    """The sandbox's routes, or none at all (404) unless sandbox mode is on."""
    bp = Blueprint("sandbox")
    sandbox: Sandbox | None = console.sandbox
    if sandbox is None or not sandbox_enabled(console.settings):
        return bp
    world = sandbox.world
    calendar = WorkingCalendar.from_config(
        load_association(console.settings.association_file).monitoring
    )

    async def context(request: Request) -> Dict[str, Any]:
        view = world.view()
        removed = [item.id for item in view.removed()]
        reasons = await console.run(sandbox.reasons, removed)
        people = world.people()
        chosen = request.args.get("as") or DEFAULT_PERSONA
        if chosen not in {p.key for p in people}:
            chosen = DEFAULT_PERSONA
        return {
            "view": view,
            "reasons": reasons,
            "persona": world.persona(chosen),
            "personas": people,
            "scenarios": SCENARIOS,
            "runs": sandbox.runner.runs()[:8],
            "in_hours": calendar.is_monitoring(console.clock()),
            "panes": Pane,
            "notices": _notices(view),
            "max_text": MAX_TEXT,
            "poll_seconds": _poll_seconds(console),
        }

    @bp.get("/sandbox")
    async def page(request: Request) -> HTTPResponse:
        return console.render(request, "sandbox.html", **await context(request))

    @bp.get("/sandbox/world")
    async def fragment(request: Request) -> HTTPResponse:
        return console.render(request, "_sandbox_world.html", **await context(request))

    @bp.post("/sandbox/post")
    async def post(request: Request) -> HTTPResponse:
        form = request.form
        persona = form.get("persona") or ""
        text = (form.get("text") or "").strip()
        try:
            pane = Pane(form.get("pane") or "")
            who = world.persona(persona)
        except (ValueError, UnknownPersona):
            raise NotFound("no such pane or tenant in the sandbox") from None
        back = f"/sandbox?as={quote(who.key)}#pane-{pane.value}"
        if not text or len(text) > MAX_TEXT:
            await console.flash(request, f"Write a message of 1 to {MAX_TEXT} characters.")
            return see_other(back)
        if pane in COMMENT_PANES:
            post_id = form.get("post") or ""
            if post_id not in {post for post, _ in world.post_ids(pane)}:
                raise NotFound("no such post in the sandbox")
            item = world.comment(who.key, post_id, text)
        elif pane is Pane.MESSENGER:
            item = world.message(who.key, text)
        elif pane is Pane.INSTAGRAM_DMS:
            item = world.instagram_message(who.key, text)
        elif pane is Pane.X_TIMELINE:
            item = world.mention(who.key, text)
        else:
            item = world.direct_message(who.key, text)
        try:
            await console.run(sandbox.send, pane, item)
        except NotDelivered as error:
            await console.flash(request, f"The assistant did not take the message: {error}")
        if pane in POLLED:
            seconds = _poll_seconds(console)[pane]
            await console.flash(
                request,
                f"Posted. The assistant reads new comments here every {seconds} seconds, "
                "as it polls the real platform (which sends no webhook).",
            )
        return see_other(back)

    @bp.post("/sandbox/scenarios/<name>")
    async def scenario(request: Request, name: str) -> HTTPResponse:
        if name not in BY_NAME:
            raise NotFound(f"no scenario {name}")
        try:
            run = sandbox.runner.start(name)
        except ScenarioBusy as busy:
            await console.flash(request, str(busy))
            return see_other("/sandbox#scenarios")
        who = world.persona(run.persona)
        await console.flash(
            request,
            f"Started: {run.scenario.title}, as {who.name} (new to the assistant). "
            "Watch the panes; progress shows under Guided scenarios.",
        )
        return see_other(f"/sandbox?as={quote(who.key)}#scenarios")

    @bp.route(f"{GRAPH_PATH}/<path:path>", methods=["GET", "POST", "DELETE"])
    async def graph(request: Request, path: str) -> HTTPResponse:
        _loopback_only(request)
        status, answer = await console.run(
            sandbox.standin.graph, request.method, path, _query(request), _body(request)
        )
        return json_response(answer, status)

    @bp.route(f"{X_PATH}/<path:path>", methods=["GET", "POST", "PUT", "DELETE"])
    async def x(request: Request, path: str) -> HTTPResponse:
        _loopback_only(request)
        status, answer = await console.run(
            sandbox.standin.x,
            request.method,
            "/" + path,
            _query(request),
            _body(request),
            request.headers.get("authorization"),
        )
        return json_response(answer, status)

    @bp.route(f"{SANDBOX_INSTAGRAM}/<path:path>", methods=["GET", "POST", "DELETE"])
    async def instagram(request: Request, path: str) -> HTTPResponse:
        _loopback_only(request)
        status, answer = await console.run(
            sandbox.standin.instagram, request.method, path, _query(request), _body(request)
        )
        return json_response(answer, status)

    @bp.route(f"{SANDBOX_YOUTUBE.rsplit('/', 1)[0]}/<path:path>", methods=["GET", "POST"])
    async def youtube(request: Request, path: str) -> HTTPResponse:
        _loopback_only(request)
        # The token endpoint takes a form, as Google's does; the API takes JSON.
        body = _form(request) if path == "token" else _body(request)
        status, answer = await console.run(
            sandbox.standin.youtube,
            request.method,
            path,
            _query(request),
            body,
            request.headers.get("authorization"),
        )
        return empty() if status == 204 else json_response(answer, status)

    @bp.route(f"{SANDBOX_LINKEDIN}/<path:path>", methods=["GET", "POST", "DELETE"])
    async def linkedin(request: Request, path: str) -> HTTPResponse:
        _loopback_only(request)
        status, answer = await console.run(
            sandbox.standin.linkedin,
            request.method,
            unquote(path),
            _query(request),
            _body(request),
            request.headers.get("authorization"),
            {name.lower(): value for name, value in request.headers.items()},
        )
        return empty() if status == 204 else json_response(answer, status)

    return bp


def _poll_seconds(console: Console) -> Dict[Pane, int]:
    """How often the Rasa server reads the panes it polls."""
    settings = console.settings
    return {
        Pane.YOUTUBE: settings.youtube.poll_seconds,
        Pane.LINKEDIN: settings.linkedin.poll_seconds,
    }


def _form(request: Request) -> Dict[str, str]:
    return {name: values[0] for name, values in request.form.items() if values}


def _notices(view: View) -> Dict[Pane, List[Any]]:
    found: Dict[Pane, List[Any]] = {pane: [] for pane in Pane}
    for notice in view.notices:
        found[notice.pane].append(notice)
    return found


def _loopback_only(request: Request) -> None:
    """The stand-in answers this machine only: the Rasa server's outbox runs here, and
    calls it directly. A request a proxy passed on (a reverse proxy on this machine also
    connects from loopback) carries one of PROXY_HEADERS, and is refused too."""
    try:
        loopback = ipaddress.ip_address(request.ip or "").is_loopback
    except ValueError:
        loopback = False
    if not loopback or any(name in request.headers for name in PROXY_HEADERS):
        raise NotFound("not found")


def _query(request: Request) -> Dict[str, List[str]]:
    return {name: list(values) for name, values in request.args.items()}


def _body(request: Request) -> Any:
    if not request.body:
        return None
    try:
        return json.loads(request.body)
    except ValueError:
        return None
