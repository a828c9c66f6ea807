"""The dead letters page (P12): platform calls that failed for good, sent again or
dismissed.

A dead letter shows its platform, what it was (a Messenger message, a reply, a hide),
to which id, how often it was tried and the platform's error; never what it said,
which stays sealed under OUTBOX_KEY (bot/outbox.py). Staff send it again once the cause
is mended, or dismiss it: it is then kept for the record and never sent. Both are in
the console's audit.

For the Communications and Customer Experience teams, who answer the accounts, and admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot.console.accounts import ACCOUNT_KEEPERS
from bot.console.web import Console, require_role, see_other
from bot.events import Operation
from bot.outbox import DEAD, DISMISSED, Outbound, Outbox, Unsealable
from bot.platforms.registry import KITS, kit_for

# How many dismissed letters the page lists, the latest first.
DISMISSED_SHOWN = 50

# Alerts are no platform's: their words are here; each platform's are its kit's.
ALERT_WORDS = {
    Operation.ALERT_EMAIL: "staff alert by email",
    Operation.ALERT_WEBHOOK: "staff alert to a webhook",
}
PLATFORM_WORDS = {
    **{platform.value: kit.name for platform, kit in KITS.items()},
    "alerts": "Staff alerts",
}


@dataclass(frozen=True)
class LetterView:
    """One dead or dismissed letter as the page shows it: never its words."""

    message: Outbound
    platform: str
    operation: str


def letter_view(message: Outbound) -> LetterView:
    """How the page words `message`."""
    return LetterView(
        message=message,
        platform=PLATFORM_WORDS.get(message.platform, message.platform),
        operation=operation_words(message.platform, message.operation),
    )


def routes(console: Console) -> Blueprint:
    """The dead letters page and its Send again and Dismiss actions."""
    bp = Blueprint("console_delivery")
    outbox = Outbox(console.engine, key=console.settings.outbox_key)

    def letters() -> tuple[List[Outbound], List[Outbound]]:
        dismissed = outbox.messages(DISMISSED)
        return outbox.messages(DEAD), dismissed[::-1][:DISMISSED_SHOWN]

    @bp.get("/outbox")
    async def dead_letters(request: Request) -> HTTPResponse:
        require_role(request, *ACCOUNT_KEEPERS)
        dead, dismissed = await console.run(letters)
        return console.render(
            request,
            "outbox.html",
            dead=[letter_view(m) for m in dead],
            dismissed=[letter_view(m) for m in dismissed],
            dismissed_shown=DISMISSED_SHOWN,
        )

    @bp.post("/outbox/<message_id:int>/send-again")
    async def send_again(request: Request, message_id: int) -> HTTPResponse:
        staff = require_role(request, *ACCOUNT_KEEPERS)
        try:
            queued = await console.run(outbox.send_again, message_id, console.clock())
        except Unsealable:
            await console.flash(
                request,
                f"Message {message_id} cannot be sent again: it was sealed under another"
                " OUTBOX_KEY than this console's. Start the console with the key the"
                " assistant ran with when it failed, or dismiss it.",
            )
            return see_other("/outbox")
        if not queued:
            await console.flash(request, f"Message {message_id} is not a dead letter (any more).")
            return see_other("/outbox")
        await console.record(staff.name, "dead_letter_sent_again", str(message_id))
        await console.flash(
            request, f"Message {message_id} is back in the queue: it goes out in a moment."
        )
        return see_other("/outbox")

    @bp.post("/outbox/<message_id:int>/dismiss")
    async def dismiss(request: Request, message_id: int) -> HTTPResponse:
        staff = require_role(request, *ACCOUNT_KEEPERS)
        done = await console.run(outbox.dismiss, message_id, console.clock())
        if not done:
            await console.flash(request, f"Message {message_id} is not a dead letter (any more).")
            return see_other("/outbox")
        await console.record(staff.name, "dead_letter_dismissed", str(message_id))
        await console.flash(
            request, f"Message {message_id} dismissed: it will not be sent, and stays on record."
        )
        return see_other("/outbox")

    return bp


def operation_words(platform: str, operation: Operation) -> str:
    """What staff call a call on `platform`: "Messenger message", "hide an X reply"."""
    kit = kit_for(platform)
    words = kit.operation_words if kit is not None else ALERT_WORDS
    return words.get(operation, operation.value)
