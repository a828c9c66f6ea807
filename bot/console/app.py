"""The staff app's Sanic app: the staff API under /api/ (JSON over HTTP, a bearer token
per member of staff) and the console's pages under / (a signed-in session,
bot/console/web.py).

Each handler checks the token, runs one `StaffDesk` method in a thread (the store and
Rasa's HTTP API are blocking) and maps its answer to JSON. A token whose name is a
console account acts with that account's role, as the console's pages do: its team's
handoffs only (admin every team), and nothing once the account is disabled. A token
whose name has no console account is a service token: it acts on every team's handoffs.
Errors are JSON too, with a reason: 401 no or wrong token (or a disabled account), 403
another team's handoff (or any, to a trainer), 404 no such handoff, 409 a move the
handoff's state refuses, 422 bad input or a reply that cannot go, 502 Rasa could not be
reached.
"""

from __future__ import annotations

import asyncio
import importlib
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Mapping, Sequence

from sanic import Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse, json

from bot import clock
from bot.alerts.sending import AlertSender
from bot.console import web
from bot.console.accounts import StaffAccounts, StaffMember
from bot.console.sessions import Sessions
from bot.console.tokens import staff_named_by
from bot.handoff.conversations import RasaError
from bot.handoff.desk import NoSuchHandoff, Refused, StaffDesk
from bot.handoff.handoffs import Handoff, TransitionError
from bot.handoff.threads import ThreadMessage
from bot.settings import PROJECT_ROOT, Settings

Clock = Callable[[], datetime]

# The console's parts beyond signing in: each module gives `routes(console) -> Blueprint`.
# A part whose module is not in this release is left out.
CONSOLE_PARTS: Sequence[str] = (
    "bot.console.queue_pages",  # the queue, a conversation, acting on it
    "bot.console.moderation_pages",  # the moderation log, undo
    "bot.console.service_alert_pages",  # service alerts (Communications): create, publish
    "bot.console.survey_pages",  # survey invitations (Communications): add, close
    "bot.console.delivery_pages",  # dead letters: send again, dismiss
    "bot.console.dashboard",  # the dashboard's pictures
    "bot.console.sandbox_pages",  # the sandbox (its routes answer 404 unless it is on)
    "bot.console.protection_pages",  # data protection (admin): export, erase (P9)
    "bot.console.trainer_pages",  # trainers (and admin): missed messages, the NLU report
)


def utc_now() -> datetime:
    """The staff app's clock (bot/clock.py: real, unless a test fakes it), so that a
    staff reply is stamped on the same clock as the deadlines it meets."""
    return clock.utc_now()


def create_app(
    desk: StaffDesk,
    tokens: Mapping[str, str],
    clock: Clock = utc_now,
    name: str = "console",
    alerts: AlertSender | None = None,
    *,
    accounts: StaffAccounts | None = None,
    sessions: Sessions | None = None,
    settings: Settings | None = None,
    sandbox: Any = None,
    parts: Sequence[str] = CONSOLE_PARTS,
) -> Sanic:
    """The staff API over `desk`, for the staff whose `tokens` ({token: name}) it knows,
    and the console's pages for staff accounts (`accounts`, signed in as `sessions`; both
    in the desk's store unless given). With `alerts`, the app also sends staff alerts
    while it serves (bot/alerts/sending.py); `sandbox` is the sandbox when it is on."""
    app = Sanic(name, register=False)
    console = web.Console(
        engine=desk.engine,
        desk=desk,
        accounts=accounts if accounts is not None else StaffAccounts(desk.engine),
        sessions=sessions if sessions is not None else Sessions(desk.engine),
        clock=clock,
        teams=desk.teams,
        settings=settings
        if settings is not None
        else Settings(association_file=PROJECT_ROOT / "association.yml"),
        templates=web.make_templates(),
        sandbox=sandbox,
    )
    web.install(app, console)
    app.blueprint(web.pages(console))
    for module_name in parts:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue
        app.blueprint(module.routes(console))

    if alerts is not None:

        @app.after_server_start
        async def start_alerts(_app: Sanic, _loop: Any) -> None:
            alerts.start()

        @app.before_server_stop
        async def stop_alerts(_app: Sanic, _loop: Any) -> None:
            await alerts.stop()

    def who(request: Request) -> str:
        """The name the token is for; Unauthorised without a token anyone holds."""
        staff = staff_named_by(request.headers.get("authorization"), tokens)
        if staff is None:
            raise Unauthorised()
        return staff

    def caller(name: str) -> StaffMember | None:
        """The console account `name` acts as (blocking: it reads the store); None for a
        service token, whose name has no account. Unauthorised if the account is disabled."""
        account = console.accounts.get(name)
        if account is None:
            return None
        if account.disabled:
            raise Unauthorised()
        return StaffMember(account.name, account.role)

    def allowed(name: str, handoff_id: str | None) -> StaffMember | None:
        """Check that `name` may act on `handoff_id` (None: the queue), blocking; their
        account, or None for a service token.

        Raises:
            Unauthorised: the account is disabled.
            NoSuchHandoff: there is no such handoff.
            Forbidden: it is another team's, or the caller is a trainer.
        """
        member = caller(name)
        if member is not None and member.is_trainer:
            # A trainer works for no team: no handoff, and no queue, is theirs.
            raise Forbidden("a trainer's role has no queue and no handoffs")
        if member is not None and handoff_id is not None:
            handoff = desk.repository.get(handoff_id)
            if handoff is None:
                raise NoSuchHandoff(handoff_id)
            if not member.sees(handoff.team):
                raise Forbidden()
        return member

    async def act(request: Request, handoff_id: str | None, method: Callable, *args: Any) -> Any:
        """Run `method(staff, *args, now)` off the event loop, as the caller, once their
        role lets them act on `handoff_id`."""
        name = who(request)

        def work() -> Any:
            allowed(name, handoff_id)
            return method(name, *args, clock())

        return await asyncio.to_thread(work)

    @app.get("/api/health")
    async def health(_request: Request) -> HTTPResponse:
        return json({"status": "ok"})

    @app.get("/api/handoffs")
    async def handoffs(request: Request) -> HTTPResponse:
        name = who(request)

        def work() -> list[Handoff]:
            member = allowed(name, None)
            found = desk.queue(name, clock())
            return [h for h in found if member is None or member.sees(h.team)]

        found = await asyncio.to_thread(work)
        return json({"handoffs": [handoff_json(h) for h in found]})

    @app.get("/api/handoffs/<handoff_id>")
    async def one(request: Request, handoff_id: str) -> HTTPResponse:
        return json(handoff_json(await act(request, handoff_id, desk.view, handoff_id)))

    @app.get("/api/handoffs/<handoff_id>/thread")
    async def thread(request: Request, handoff_id: str) -> HTTPResponse:
        unmask = request.args.get("unmask", "0").lower() in ("1", "true", "yes")
        messages = await act(request, handoff_id, desk.thread, handoff_id, unmask)
        return json({"unmasked": unmask, "messages": [message_json(m) for m in messages]})

    @app.post("/api/handoffs/<handoff_id>/take")
    async def take(request: Request, handoff_id: str) -> HTTPResponse:
        return json(handoff_json(await act(request, handoff_id, desk.take, handoff_id)))

    @app.post("/api/handoffs/<handoff_id>/reply")
    async def reply(request: Request, handoff_id: str) -> HTTPResponse:
        who(request)  # a stranger learns nothing, not even what the body should be
        body = _body(request)
        text, holding = body.get("text"), body.get("holding", False)
        if not isinstance(text, str) or not isinstance(holding, bool):
            raise Refused('the body is {"text": "...", "holding": false}')

        def send(staff: str, now: datetime) -> Handoff:
            return desk.reply(staff, handoff_id, text, now, holding=holding)

        return json(handoff_json(await act(request, handoff_id, send)))

    @app.post("/api/handoffs/<handoff_id>/transfer")
    async def transfer(request: Request, handoff_id: str) -> HTTPResponse:
        who(request)
        team = _body(request).get("team")
        if not isinstance(team, str) or not team.strip():
            raise Refused('the body is {"team": "<team name>"}')
        moved = await act(request, handoff_id, desk.transfer, handoff_id, team.strip())
        return json(handoff_json(moved))

    @app.post("/api/handoffs/<handoff_id>/hand-back")
    async def hand_back(request: Request, handoff_id: str) -> HTTPResponse:
        return json(handoff_json(await act(request, handoff_id, desk.hand_back, handoff_id)))

    @app.post("/api/handoffs/<handoff_id>/close")
    async def close(request: Request, handoff_id: str) -> HTTPResponse:
        return json(handoff_json(await act(request, handoff_id, desk.close, handoff_id)))

    @app.exception(Unauthorised)
    async def unauthorised(_request: Request, _error: Exception) -> HTTPResponse:
        headers = {"WWW-Authenticate": 'Bearer realm="staff"'}
        return json(
            {"error": "a staff token is needed: Authorization: Bearer <token>"}, 401, headers
        )

    @app.exception(Forbidden)
    async def forbidden(_request: Request, error: Exception) -> HTTPResponse:
        why = str(error) or "this handoff is for another team than your role's"
        return json({"error": why}, 403)

    @app.exception(NoSuchHandoff)
    async def not_found(_request: Request, error: NoSuchHandoff) -> HTTPResponse:
        return json({"error": f"no handoff {error.args[0]}"}, 404)

    @app.exception(TransitionError)
    async def refused_move(_request: Request, error: Exception) -> HTTPResponse:
        return json({"error": str(error)}, 409)

    @app.exception(Refused)
    async def refused(_request: Request, error: Exception) -> HTTPResponse:
        return json({"error": str(error)}, 422)

    @app.exception(RasaError)
    async def rasa_down(_request: Request, error: Exception) -> HTTPResponse:
        return json({"error": f"the Rasa server did not answer: {error}"}, 502)

    @app.exception(SanicException)
    async def http_error(request: Request, error: SanicException) -> HTTPResponse:
        status = getattr(error, "status_code", 500) or 500
        if web.is_page(request.path):
            return web.error_page(request, status, str(error))
        return json({"error": str(error)}, status)

    return app


class Unauthorised(Exception):
    """No token, one no member of staff holds, or a disabled account's."""


class Forbidden(Exception):
    """The token's account works for another team than the handoff's (403)."""


def _body(request: Request) -> Dict[str, Any]:
    try:
        body = request.json
    except SanicException as error:
        raise Refused("the body must be JSON") from error
    if not isinstance(body, dict):
        raise Refused("the body must be a JSON object")
    return body


def _at(t: datetime | None) -> str | None:
    return t.astimezone(timezone.utc).isoformat() if t else None


def handoff_json(handoff: Handoff) -> Dict[str, Any]:
    """A handoff as the API shows it: its deadlines with their outcome (P3)."""
    summary = handoff.summary
    reply = None
    if handoff.needs_reply:
        reply = {
            "due": _at(handoff.reply_by),
            "done_at": _at(handoff.replied_at),
            "met": handoff.reply_met,
        }
    return {
        "id": handoff.id,
        "reason": handoff.reason.value,
        "team": handoff.team,
        "priority": handoff.priority.value,
        "state": handoff.state.value,
        "taken_by": handoff.taken_by,
        # Why the platform refused the latest reply for good, if it did: send another.
        "reply_failed": handoff.reply_failed,
        "platform": str(handoff.conversation.platform),
        "surface": handoff.conversation.surface.value,
        "conversation_id": handoff.conversation.conversation_id,
        "created_at": _at(handoff.created_at),
        "updated_at": _at(handoff.updated_at),
        "needs_reply": handoff.needs_reply,
        "due": _at(handoff.due),
        "deadlines": {
            "acknowledge": {
                "due": _at(handoff.acknowledge_by),
                "done_at": _at(handoff.acknowledged_at),
                "met": handoff.acknowledge_met,
            },
            "reply": reply,
        },
        "summary": None
        if summary is None
        else {
            "reason": summary.reason,
            "intent": summary.intent,
            "words": summary.words,
            "details": dict(summary.details),
        },
    }


def message_json(message: ThreadMessage) -> Dict[str, Any]:
    """One message of a thread."""
    return {
        "at": _at(message.at),
        "author": message.author,
        "platform": message.platform,
        "surface": message.surface,
        "conversation_id": message.conversation_id,
        "text": message.text,
    }
