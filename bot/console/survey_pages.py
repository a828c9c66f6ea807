"""Survey invitations in the console: Communications (and admin) add a survey's title,
link and closing date, and close one early (bot/feedback/invitations.py). While one is
open the assistant mentions it after the question that follows a conversation. Adding
and closing are in the audit.
"""

from __future__ import annotations

from datetime import datetime, time

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot.console.accounts import Role
from bot.console.web import UK, Console, require_role, see_other
from bot.feedback.invitations import InvalidInvitation, Invitation, Invitations, new_id

HOME = "/surveys"


def routes(console: Console) -> Blueprint:
    """The survey invitations page, adding one and closing one."""
    bp = Blueprint("console_surveys")
    invitations = Invitations(console.engine)

    @bp.get(HOME)
    async def page(request: Request) -> HTTPResponse:
        require_role(request, Role.COMMUNICATIONS)
        now = console.clock()
        recent = await console.run(invitations.recent)
        return console.render(
            request,
            "surveys.html",
            open=[i for i in recent if i.open(now)],
            closed=[i for i in recent if not i.open(now)],
        )

    @bp.post(HOME)
    async def add(request: Request) -> HTTPResponse:
        staff = require_role(request, Role.COMMUNICATIONS)
        form = request.form
        now = console.clock()
        try:
            closes = datetime.strptime((form.get("closes") or "").strip(), "%Y-%m-%d")
            invitation = Invitation(
                id=new_id(),
                title=(form.get("title") or "").strip(),
                url=(form.get("url") or "").strip(),
                # Open to the end of its closing day, UK time.
                closes_at=datetime.combine(closes.date(), time(23, 59), UK),
                created_by=staff.name,
                created_at=now,
            )
        except ValueError as problem:
            said = problem if isinstance(problem, InvalidInvitation) else "give the closing date"
            await console.flash(request, f"The invitation was not added: {said}.")
            return see_other(HOME)
        await console.run(invitations.add, invitation)
        await console.record(
            staff.name, "survey_invitation_added", invitation.id, {"title": invitation.title}
        )
        await console.flash(
            request,
            f"Added: {invitation.title}. The assistant mentions it after the question that "
            "follows a conversation, until it closes.",
        )
        return see_other(HOME)

    @bp.post(f"{HOME}/<invitation_id>/close")
    async def close(request: Request, invitation_id: str) -> HTTPResponse:
        staff = require_role(request, Role.COMMUNICATIONS)
        if await console.run(invitations.close, invitation_id, console.clock()):
            await console.record(staff.name, "survey_invitation_closed", invitation_id, {})
            await console.flash(request, "Closed: the assistant no longer offers it.")
        else:
            await console.flash(request, "There is no open invitation of that name.")
        return see_other(HOME)

    return bp
