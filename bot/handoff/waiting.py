"""A tenant waiting for a person is not met with silence (P3).

While a tenant's handoff is open, the assistant does not answer them in any of their
conversations: a person will. A message they send meanwhile is kept for staff, and at
most once an hour (per tenant, across their conversations) they are told it was added
and when the team aims to reply; out of hours, also when the team is back. A
message after staff's full reply makes the handoff due again (new deadlines from it)
and is noted the same way: the tenant is heard, not left in silence. An
emergency still gets the contacts at once (bot/channels/dialogue.py). A handoff that
needs no reply (a compliment passed on) neither pauses the tenant nor sends a note:
there is nothing to wait for.

The note goes through the outbox like any reply, once: its key names the handoff and
the clock hour, and no note is queued while one for the same handoff is under an hour
old, so a message handled again after a crash is not noted twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.events import InboundEvent
from bot.handoff.handoffs import Handoff, HandoffRepository, Priority
from bot.handoff.working_hours import WorkingCalendar, describe_when
from bot.outbox import Author, Outbox
from bot.platforms.routing import reply_route
from bot.store import outbox, to_utc

NOTE_EVERY = timedelta(hours=1)
# What the waiting tenant is told: the one place these words are written.
WAITING_NOTE = "Thanks, I've added your message for our team. They aim to reply by {reply_by}."
WAITING_NOTE_OUT_OF_HOURS = (
    "Thanks, I've added your message for our team. They're back {back} "
    "and aim to reply by {reply_by}."
)
# Past the reply-by time, no time is promised that has gone.
WAITING_NOTE_LATE = (
    "Thanks, I've added your message for our team. They'll reply as soon as they can."
)
WAITING_NOTE_LATE_OUT_OF_HOURS = (
    "Thanks, I've added your message for our team. They're back {back} "
    "and will reply as soon as they can."
)
KEY_PREFIX = "waiting-note"


def waiting_note(handoff: Handoff, now: datetime, calendar: WorkingCalendar) -> str:
    """The note for a tenant writing while `handoff` is open, with times in UK time.

    Out of hours it says when the team is back, except for an urgent handoff, which
    people answer on the clock rather than in working hours (P2).
    """
    late = handoff.reply_by <= now
    reply_by = describe_when(handoff.reply_by, now, calendar.zone)
    if calendar.is_monitoring(now) or handoff.priority is Priority.URGENT:
        return WAITING_NOTE_LATE if late else WAITING_NOTE.format(reply_by=reply_by)
    back = describe_when(calendar.next_monitoring_start(now), now, calendar.zone)
    # "9am" alone is today's; "tomorrow at 9am", "Monday at 9am" say their day.
    back = f"at {back}" if back[0].isdigit() else f"on {back}" if back[0].isupper() else back
    if late:
        return WAITING_NOTE_LATE_OUT_OF_HOURS.format(back=back)
    return WAITING_NOTE_OUT_OF_HOURS.format(back=back, reply_by=reply_by)


class WaitingNotes:
    """Finds a tenant's open handoff, and queues the note they get while waiting."""

    def __init__(self, engine: Engine, box: Outbox, calendar: WorkingCalendar) -> None:
        self._engine = engine
        self._outbox = box
        self._calendar = calendar
        self._handoffs = HandoffRepository(engine)

    @staticmethod
    def follows_tenant(handoff: Handoff) -> bool:
        """Whether `handoff` keeps the assistant quiet with its tenant: it awaits a reply."""
        return handoff.needs_reply

    def handoff_for(self, conversation_id: str) -> Handoff | None:
        """The open handoff of the conversation's tenant that awaits a person's reply."""
        handoff = self._handoffs.open_for(conversation_id)
        return handoff if handoff is not None and self.follows_tenant(handoff) else None

    def note(self, event: InboundEvent, handoff: Handoff, now: datetime) -> str | None:
        """Queue the note answering `event`, unless one for `handoff` went out in the
        last hour; returns its text when queued, else None."""
        # Written after staff's full reply ("that didn't fix it"): due again, with new
        # deadlines from this message, and told so like any waiting tenant. Every open
        # handoff of the tenant's is: with a repair and a complaint open, a reply to
        # Customer Experience's answer must reach the complaint, not only the newest.
        for other in self._handoffs.open_all_for(event.conversation_id):
            if other.id != handoff.id and other.replied_at is not None:
                self._handoffs.tenant_wrote_again(other.id, event.sent_at or now, self._calendar)
        if handoff.replied_at is not None:
            handoff = self._handoffs.tenant_wrote_again(
                handoff.id, event.sent_at or now, self._calendar
            )
        route = reply_route(event)
        if route is None or handoff.replied_at is not None:
            return None
        prefix = f"{KEY_PREFIX}:{handoff.id}:"
        recent = select(outbox.c.id).where(
            outbox.c.dedupe_key.like(prefix + "%"),
            outbox.c.created_at > to_utc(now - NOTE_EVERY),
        )
        with self._engine.connect() as connection:
            if connection.execute(recent).first() is not None:
                return None
        text = waiting_note(handoff, now, self._calendar)
        operation, target = route
        hour = int(now.timestamp() // NOTE_EVERY.total_seconds())
        queued = self._outbox.enqueue(
            event.conversation_id,
            event.platform,
            operation,
            target,
            now,
            text=text,
            author=Author.ASSISTANT,
            user_message_at=event.sent_at,
            # Two messages in the same hour, checked at once, still make one note.
            dedupe_key=f"{prefix}{hour}",
        )
        return text if queued is not None else None
