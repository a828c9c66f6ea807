"""The Data protection page (P9), for admin: export what is held about a tenant, and
erase a conversation.

The same two actions as `python -m scripts.subject` (bot/protection/subject.py). An
export downloads as a JSON file and is never kept by the browser's cache; an erasure
is asked for, then confirmed on a second page that names what will go. Both are in
the console's audit under the admin's name; an erasure's entry names the conversation
only by a keyed HMAC of its id.
"""

from __future__ import annotations

import re
from datetime import datetime

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from bot.console.accounts import Role
from bot.console.web import Console, require_role, see_other
from bot.protection.subject import (
    SubjectRights,
    UnknownSubject,
    export_json,
    parse_account,
    subject_rights,
)
from bot.store import keys_of

PAGE = "/data-protection"
# A conversation id as the assistant names them (bot/events.py): no spaces, no markup.
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9:_.@+\-]{1,255}$")


def routes(console: Console) -> Blueprint:
    """The Data protection page, its export download and its erasure (admin only)."""
    bp = Blueprint("console_protection")

    def rights() -> SubjectRights:
        engine = console.engine
        return subject_rights(engine, keys_of(engine.dialect), console.settings.endpoints_file)

    def form(request: Request, name: str) -> str:
        return ((request.form.get(name) if request.form else None) or "").strip()

    @bp.get(PAGE)
    async def page(request: Request) -> HTTPResponse:
        require_role(request, Role.ADMIN)
        return console.render(request, "data_protection.html", error=None, account="", tenancy="")

    @bp.post(f"{PAGE}/export")
    async def export(request: Request) -> HTTPResponse:
        staff = require_role(request, Role.ADMIN)
        account, tenancy = form(request, "account"), form(request, "tenancy")
        now = console.clock()
        try:
            if bool(account) == bool(tenancy):
                raise UnknownSubject("Give either a platform account or a tenancy reference.")
            if account:
                platform, account_id = parse_account(account)
                held = await console.run(
                    rights().export_account, platform, account_id, staff.name, now
                )
            else:
                held = await console.run(rights().export_tenancy, tenancy, staff.name, now)
        except UnknownSubject as error:
            return console.render(
                request,
                "data_protection.html",
                status=422,
                error=str(error),
                account=account,
                tenancy=tenancy,
            )
        return raw(
            export_json(held).encode("utf-8"),
            content_type="application/json; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{_file_name(now)}"',
                "Cache-Control": "no-store",
            },
        )

    @bp.post(f"{PAGE}/erase")
    async def erase(request: Request) -> HTTPResponse:
        staff = require_role(request, Role.ADMIN)
        conversation = form(request, "conversation")
        if not CONVERSATION_ID.match(conversation):
            return console.render(
                request,
                "data_protection.html",
                status=422,
                error="Give the conversation's id, as facebook-private-1234.",
                account="",
                tenancy="",
            )
        if form(request, "confirm") != "yes":
            return console.render(request, "data_protection_erase.html", conversation=conversation)
        erasure = await console.run(
            rights().erase_conversation, conversation, staff.name, console.clock()
        )
        counts = ", ".join(f"{place} {count}" for place, count in erasure.removed.items())
        # The message waits in the store for the next page: it names nothing erased.
        await console.flash(
            request, f"Conversation erased: {erasure.total} records removed ({counts})."
        )
        return see_other(PAGE)

    return bp


def _file_name(now: datetime) -> str:
    return f"subject-export-{now:%Y%m%d-%H%M%S}.json"
