"""The console's queue and conversation pages, and what staff do from them (P3, P4, P9).

- `/` and `/queue`: the open handoffs a member of staff's team takes (admin: all),
  emergencies on top, then what is due first, with countdowns in working time and
  filters; `/queue/rows` is the table's rows alone, which console.js fetches every
  5 seconds, so new handoffs appear and countdowns move without a reload.
- `/conversations/<id>`: the tenant's whole thread, public and private, masked until
  "Show personal details" (a POST: the desk audits each unmasking), the verification
  state and, once verified, the tenancy; `/conversations/<id>/thread` is the thread
  alone, fetched every 5 seconds while it is masked.
- Take, reply (typed, or a canned reply; the holding message counts as a holding
  message), transfer, hand back, close: POST forms (the middleware checks their CSRF
  token), each through `StaffDesk` off the event loop, then back to the page with a
  message. A move the desk refuses is shown on the page with its reason, never a 500.

A member of staff sees, and acts on, only their own team's handoffs; admin every team's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, List, Mapping

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot.association import CannedReply, load_association
from bot.console.accounts import StaffMember
from bot.console.views import (
    FilterChoices,
    QueueFilters,
    VerificationView,
    chosen_reply,
    deadlines,
    platform_label,
    queue_rows,
    reason_label,
    summary_view,
    tenancy_locked,
    thread_entries,
    verification,
    where_label,
    working_hours_words,
)
from bot.console.web import Console, NotAllowed, error_page, see_other, staff_of
from bot.handoff.audit import AuditEntry
from bot.handoff.conversations import RasaError
from bot.handoff.desk import NoSuchHandoff, Refused
from bot.handoff.handoffs import OPEN_STATES, Handoff, State, TransitionError
from bot.handoff.threads import ConversationLinks, ThreadMessage
from bot.handoff.working_hours import WorkingCalendar

# Seconds between two fetches of a fragment (console.js reads it from the page).
POLL_SECONDS = 5
# How a refusal from the desk is answered when it is shown on the page.
ERROR_STATUS = {TransitionError: 409, Refused: 422, RasaError: 502}
STATE_LABELS = {
    State.WAITING: "Waiting to be taken",
    State.TAKEN: "Taken",
    State.ANSWERED: "Answered",
    State.HANDED_BACK: "Handed back to the assistant",
    State.CLOSED: "Closed",
}


@dataclass
class Thread:
    """A handoff's thread as read for a page: the messages, or why they could not be."""

    messages: List[ThreadMessage]
    error: str | None = None


def routes(console: Console) -> Blueprint:
    """The queue, conversation and acting pages over `console`."""
    bp = Blueprint("console_desk")
    association = load_association(console.settings.association_file)
    calendar = WorkingCalendar.from_config(association.monitoring)
    canned: tuple[CannedReply, ...] = association.canned_replies
    links = ConversationLinks(console.engine)
    desk = console.desk

    def choices(staff: StaffMember) -> FilterChoices:
        return FilterChoices.for_teams([t for t in console.teams.names if staff.sees(t)])

    async def rows_for(request: Request, audited: bool) -> dict[str, Any]:
        staff = staff_of(request)
        now = console.clock()
        offered = choices(staff)
        filters = QueueFilters.from_args(request.args, offered)
        if audited:
            found = await console.run(desk.queue, staff.name, now)
        else:
            # A refresh of the queue on screen: listing it once was audited.
            found = await console.run(desk.repository.queue)
        return {
            # Countdowns in working hours are computed: off the event loop too.
            "rows": await console.run(queue_rows, found, staff.sees, filters, now, calendar),
            "filters": filters,
            "choices": offered,
            "query": filters.query(),
            "filtered": bool(filters.query()),
        }

    async def queue(request: Request) -> HTTPResponse:
        context = await rows_for(request, audited=True)
        return console.render(
            request,
            "queue.html",
            poll_seconds=POLL_SECONDS,
            working_hours=working_hours_words(association.monitoring),
            **context,
        )

    bp.add_route(queue, "/", methods=["GET"], name="home")
    bp.add_route(queue, "/queue", methods=["GET"], name="queue")

    @bp.get("/queue/rows")
    async def rows(request: Request) -> HTTPResponse:
        context = await rows_for(request, audited=False)
        return console.render(request, "_queue_rows.html", **context)

    async def visible(request: Request, handoff_id: str) -> Handoff | HTTPResponse:
        """The handoff, if the member of staff may see it; else the page that says not."""
        handoff = await console.run(desk.repository.get, handoff_id)
        if handoff is None:
            return error_page(request, 404, "There is no such handoff.")
        if not staff_of(request).sees(handoff.team):
            raise NotAllowed()
        return handoff

    def read_thread(staff: str, handoff_id: str, unmask: bool, refresh: bool) -> Thread:
        try:
            messages = desk.thread(staff, handoff_id, unmask, console.clock(), refresh=refresh)
        except RasaError as error:
            return Thread([], f"The conversation could not be read from the assistant: {error}")
        return Thread(messages)

    def load(staff: str, handoff: Handoff, unmask: bool) -> dict[str, Any]:
        """Everything the conversation page shows (blocking: run off the event loop)."""
        now = console.clock()
        handoff = desk.view(staff, handoff.id, now)
        thread = read_thread(staff, handoff.id, unmask, refresh=False)
        if unmask and thread.error:
            # The desk logs an unmasking as it reads the thread; unread, the summary and
            # the tenancy are still shown unmasked, so the click is logged here.
            desk.audit.record(
                AuditEntry(now, staff, "unmask_thread", handoff.id, {"thread": "not read"})
            )
        conversations = set(links.conversations_of(handoff.conversation.conversation_id))
        conversations |= {m.conversation_id for m in thread.messages}
        if handoff.conversation.is_tenancy:
            identity = tenancy_locked(handoff, calendar.zone)
        else:
            identity = verification(
                console.engine, thread.messages, conversations, now, calendar.zone, unmask
            )
        return {"handoff": handoff, "thread": thread, "identity": identity, "now": now}

    async def conversation_page(
        request: Request,
        handoff: Handoff,
        unmask: bool = False,
        error: str | None = None,
        status: int = 200,
        typed: Mapping[str, Any] | None = None,
    ) -> HTTPResponse:
        staff = staff_of(request)
        loaded = await console.run(load, staff.name, handoff, unmask)
        return console.render(
            request,
            "conversation.html",
            status=status,
            **page_context(loaded, unmask, error, typed or {}),
        )

    def page_context(
        loaded: Mapping[str, Any], unmask: bool, error: str | None, typed: Mapping[str, Any]
    ) -> dict[str, Any]:
        handoff: Handoff = loaded["handoff"]
        thread: Thread = loaded["thread"]
        identity: VerificationView = loaded["identity"]
        acknowledge, reply = deadlines(handoff, loaded["now"], calendar)
        conversation = handoff.conversation
        is_open = handoff.state in OPEN_STATES
        return {
            "handoff": handoff,
            "summary": summary_view(handoff.summary, unmask),
            "reason": reason_label(handoff.reason),
            "state": STATE_LABELS.get(handoff.state, handoff.state.value),
            "platform": platform_label(str(conversation.platform)),
            "where": where_label(str(conversation.platform), conversation.surface.value),
            "acknowledge": acknowledge,
            "reply": reply,
            "entries": thread_entries(thread.messages, calendar.zone),
            "thread_error": thread.error,
            "identity": identity,
            "unmasked": unmask,
            "poll_seconds": POLL_SECONDS,
            "error": error,
            "is_open": is_open,
            "has_conversation": not conversation.is_tenancy,
            "can_take": handoff.state in (State.WAITING, State.ANSWERED),
            "canned": canned,
            "teams": [t for t in console.teams.names if t != handoff.team],
            "typed": typed,
        }

    @bp.get("/conversations/<handoff_id>")
    async def conversation(request: Request, handoff_id: str) -> HTTPResponse:
        found = await visible(request, handoff_id)
        if isinstance(found, HTTPResponse):
            return found
        return await conversation_page(request, found)

    @bp.post("/conversations/<handoff_id>/unmask")
    async def unmask(request: Request, handoff_id: str) -> HTTPResponse:
        found = await visible(request, handoff_id)
        if isinstance(found, HTTPResponse):
            return found
        # Shown on this answer only, not kept: reloading the page masks them again.
        return await conversation_page(request, found, unmask=True)

    @bp.get("/conversations/<handoff_id>/thread")
    async def thread_fragment(request: Request, handoff_id: str) -> HTTPResponse:
        found = await visible(request, handoff_id)
        if isinstance(found, HTTPResponse):
            return found
        staff = staff_of(request)
        thread = await console.run(read_thread, staff.name, found.id, False, True)
        return console.render(
            request,
            "_thread.html",
            entries=thread_entries(thread.messages, calendar.zone),
            thread_error=thread.error,
        )

    async def act(
        request: Request,
        handoff_id: str,
        work: Callable[[str, datetime], Handoff],
        done: Callable[[Handoff], str],
        typed: Mapping[str, Any] | None = None,
    ) -> HTTPResponse:
        """Do `work(staff, now)` on a handoff the member of staff sees; back to the
        conversation (or the queue, once it has left their hands) with a message, or
        the page again with the desk's reason for refusing."""
        found = await visible(request, handoff_id)
        if isinstance(found, HTTPResponse):
            return found
        staff = staff_of(request)
        try:
            moved = await console.run(work, staff.name, console.clock())
        except NoSuchHandoff:
            return error_page(request, 404, "There is no such handoff.")
        except (TransitionError, Refused, RasaError) as refused:
            status = next(s for kind, s in ERROR_STATUS.items() if isinstance(refused, kind))
            return await conversation_page(
                request, found, error=f"Not done: {refused}", status=status, typed=typed
            )
        await console.flash(request, done(moved))
        if moved.state in OPEN_STATES and staff.sees(moved.team):
            return see_other(f"/conversations/{moved.id}")
        return see_other("/queue")

    def form(request: Request, name: str) -> str:
        return (request.form.get(name) or "") if request.form else ""

    @bp.post("/conversations/<handoff_id>/take")
    async def take(request: Request, handoff_id: str) -> HTTPResponse:
        return await act(
            request,
            handoff_id,
            lambda staff, now: desk.take(staff, handoff_id, now),
            lambda _: "You took this conversation.",
        )

    @bp.post("/conversations/<handoff_id>/reply")
    async def reply(request: Request, handoff_id: str) -> HTTPResponse:
        text, holding = chosen_reply(
            form(request, "text"),
            form(request, "canned"),
            form(request, "holding") in ("on", "true", "1"),
            canned,
        )
        kind = "holding message" if holding else "reply"
        return await act(
            request,
            handoff_id,
            lambda staff, now: desk.reply(staff, handoff_id, text, now, holding=holding),
            lambda _: f"Your {kind} is on its way to the tenant.",
            typed={"text": form(request, "text"), "holding": holding},
        )

    @bp.post("/conversations/<handoff_id>/transfer")
    async def transfer(request: Request, handoff_id: str) -> HTTPResponse:
        team = form(request, "team").strip()
        return await act(
            request,
            handoff_id,
            lambda staff, now: desk.transfer(staff, handoff_id, team, now),
            lambda moved: f"Transferred to {moved.team}.",
        )

    def finished(handoff_id: str, state: State, verb: str):
        """The work and the message of a hand-back or close: the message says truly
        whether the assistant answers the tenant again or another team still has them."""
        held: List[Handoff] = []

        def work(staff: str, now: datetime) -> Handoff:
            moved, others = desk.finish(staff, handoff_id, state, now)
            held[:] = others
            return moved

        def done(_: Handoff) -> str:
            if not held:
                return f"{verb}: the assistant answers the tenant again."
            teams = " and ".join(sorted({h.team for h in held}))
            return (
                f"{verb}: {teams} still {'has' if len(held) == 1 else 'have'} the tenant,"
                " so the assistant stays quiet until that is handed back or closed."
            )

        return work, done

    @bp.post("/conversations/<handoff_id>/hand-back")
    async def hand_back(request: Request, handoff_id: str) -> HTTPResponse:
        return await act(
            request, handoff_id, *finished(handoff_id, State.HANDED_BACK, "Handed back")
        )

    @bp.post("/conversations/<handoff_id>/close")
    async def close(request: Request, handoff_id: str) -> HTTPResponse:
        return await act(request, handoff_id, *finished(handoff_id, State.CLOSED, "Closed"))

    return bp
