"""The moderation log page (P5, P7, P8): what moderation did and why, and undoing it.

Each entry shows when, on which platform, what was done (hide, delete, warn, strike,
block, report, follow, ask to delete) to whose post or account, and why, in the log's
own words, which never hold the personal details or the words that caused it; of the
details, only their kinds ("phone number"). Staff undo a hide, a block, a follow or a
strike with one button; the platform call that undoes it goes through the outbox
(bot/moderation/log.py), and the undoing is in the console's audit.

For the Communications and Customer Experience teams, who answer for the accounts'
moderation, and admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot.console.accounts import ACCOUNT_KEEPERS
from bot.console.web import Console, require_role, see_other
from bot.moderation.log import (
    DONE,
    FAILED,
    FOR_STAFF,
    UNDONE,
    Action,
    Entry,
    ModerationLog,
    NotUndoable,
)
from bot.outbox import Outbox
from bot.platforms.registry import KITS

SHOWN = 200

# What a button says for each action it undoes.
UNDO_LABELS = {
    Action.HIDE: "Show again",
    Action.BLOCK: "Unblock",
    Action.FOLLOW: "Unfollow",
    Action.STRIKE: "Withdraw strike",
}
ACTION_WORDS = {
    Action.HIDE: "hidden",
    Action.DELETE: "deleted",
    Action.ASK_TO_DELETE: "asked to delete",
    Action.WARN: "warned",
    Action.STRIKE: "strike",
    Action.BLOCK: "blocked",
    Action.REPORT: "reported",
    Action.FOLLOW: "followed",
}
STATE_WORDS = {
    DONE: "done",
    UNDONE: "undone",
    FAILED: "refused by the platform",
    FOR_STAFF: "for staff to do by hand",
}
PLATFORM_WORDS = {platform.value: kit.name for platform, kit in KITS.items()}
DETAIL_WORDS = {
    "phone": "phone number",
    "email": "email address",
    "postcode": "postcode",
    "street_address": "street address",
    "date_of_birth": "date of birth",
    "tenancy_reference": "tenancy reference",
    "national_insurance": "National Insurance number",
    "payment_card": "payment card",
    "bank_details": "bank details",
    "vulnerability": "something that could make them vulnerable",
}


@dataclass(frozen=True)
class EntryView:
    """One log entry as the page shows it."""

    entry: Entry
    platform: str
    action: str
    state: str
    details: str
    undo_label: str | None


def entry_view(entry: Entry) -> EntryView:
    """How the page words `entry`: never more than the log holds."""
    state = STATE_WORDS.get(entry.state, entry.state)
    if entry.state == UNDONE and entry.undone_by:
        state = f"undone by {entry.undone_by}"
    return EntryView(
        entry=entry,
        platform=PLATFORM_WORDS.get(entry.platform, entry.platform),
        action=ACTION_WORDS.get(entry.action, entry.action.value),
        state=state,
        details=", ".join(DETAIL_WORDS.get(k, k.replace("_", " ")) for k in entry.detail_kinds),
        undo_label=UNDO_LABELS.get(entry.action) if entry.undoable else None,
    )


def routes(console: Console) -> Blueprint:
    """The moderation log page and its Undo action."""
    bp = Blueprint("console_moderation")
    log = ModerationLog(console.engine, Outbox(console.engine, key=console.settings.outbox_key))
    platforms = [p.value for p in KITS]
    actions = [a.value for a in Action]

    @bp.get("/moderation")
    async def moderation(request: Request) -> HTTPResponse:
        require_role(request, *ACCOUNT_KEEPERS)
        platform = request.args.get("platform") or None
        action = request.args.get("action") or None
        platform = platform if platform in platforms else None
        chosen = Action(action) if action in actions else None
        entries: List[Entry] = await console.run(
            log.entries, SHOWN, platform=platform, action=chosen
        )
        return console.render(
            request,
            "moderation.html",
            entries=[entry_view(e) for e in entries],
            platforms=[(p, PLATFORM_WORDS.get(p, p)) for p in platforms],
            actions=[(a, ACTION_WORDS[Action(a)]) for a in actions],
            platform=platform or "",
            action=chosen.value if chosen else "",
            shown=SHOWN,
        )

    @bp.post("/moderation/<entry_id:int>/undo")
    async def undo(request: Request, entry_id: int) -> HTTPResponse:
        staff = require_role(request, *ACCOUNT_KEEPERS)
        back = _back(request)
        try:
            entry = await console.run(log.undo, entry_id, staff.name, console.clock())
        except KeyError:
            await console.flash(request, f"There is no moderation entry {entry_id}.")
            return see_other(back)
        except NotUndoable as refused:
            await console.flash(request, f"Entry {entry_id} was not undone: {refused}.")
            return see_other(back)
        await console.record(
            staff.name,
            "moderation_undone",
            str(entry_id),
            {"action": entry.action.value, "platform": entry.platform},
        )
        await console.flash(request, _undone_message(entry))
        return see_other(back)

    return bp


def _undone_message(entry: Entry) -> str:
    platform = PLATFORM_WORDS.get(entry.platform, entry.platform)
    if entry.action is Action.STRIKE:
        return f"Strike {entry.id} withdrawn: it no longer counts towards a block."
    undone = {Action.HIDE: "shown again", Action.BLOCK: "unblocked", Action.FOLLOW: "unfollowed"}
    what = "The post" if entry.action is Action.HIDE else "The account"
    return (
        f"Entry {entry.id} undone: {what} will be {undone[entry.action]} on {platform}"
        " once the platform takes the call (it waits in the outbox until then)."
    )


def _back(request: Request) -> str:
    """The log page with the filters the form was sent from, if any."""
    query = []
    for name in ("platform", "action"):
        value = request.form.get(name) if request.form else None
        if value and value.isidentifier():
            query.append(f"{name}={value}")
    return "/moderation" + (f"?{'&'.join(query)}" if query else "")
