"""Opening handoffs: the one way a conversation goes to people (P2, P3, P11).

Actions, screening and the identity checks all open handoffs here, so that each has
its team from the configuration, its summary for staff (the tenant's words with
personal details redacted, P5), and so that whoever listens (alerts) is told.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping

from sqlalchemy.engine import Engine

from bot.handoff.handoffs import (
    Conversation,
    Handoff,
    HandoffRepository,
    Priority,
    Reason,
    Summary,
    Teams,
    plan,
)
from bot.handoff.working_hours import WorkingCalendar
from bot.privacy import redact


class HandoffListener:
    """Told of handoffs as they open; the defaults do nothing."""

    def opened(self, handoff: Handoff, now: datetime) -> None:
        """A new handoff was stored."""

    def raised(self, handoff: Handoff, now: datetime) -> None:
        """An open handoff was raised to urgent: an emergency (P2)."""


class HandoffService:
    """Opens handoffs in one store, for the configured teams."""

    def __init__(
        self,
        engine: Engine,
        calendar: WorkingCalendar,
        teams: Teams,
        listeners: Iterable[HandoffListener] = (),
    ) -> None:
        self.repository = HandoffRepository(engine)
        self.calendar = calendar
        self.teams = teams
        self._listeners = tuple(listeners)

    def open(
        self,
        reason: Reason,
        conversation: Conversation,
        now: datetime,
        intent: str | None = None,
        words: str | None = None,
        details: Mapping[str, str] | None = None,
    ) -> Handoff:
        """The tenant's handoff for `reason`: their open one, else a new one.

        An open handoff is kept as it is, except that an emergency raises it to
        urgent for the emergency's team (P2). A new one is stored with its summary.

        Args:
            reason: why the conversation goes to people.
            conversation: where the tenant is.
            now: the time.
            intent: the intent the model read, if any.
            words: the tenant's words; stored with personal details redacted.
            details: facts gathered for staff (stored as given).
        """
        summary = Summary(
            reason=reason.value,
            intent=intent,
            words=redact(words) if words else None,
            details=dict(details or {}),
        )
        existing = self.repository.open_for(conversation.conversation_id)
        if existing is None:
            team = self.teams.for_reason(reason)
            handoff = self.repository.add(
                plan(reason, conversation, now, self.calendar, team, summary)
            )
            for listener in self._listeners:
                listener.opened(handoff, now)
            return handoff
        if reason is Reason.EMERGENCY and existing.priority is not Priority.URGENT:
            raised = self.repository.raise_to_emergency(
                existing.id, now, self.calendar, self.teams.for_reason(reason), summary
            )
            for listener in self._listeners:
                listener.raised(raised, now)
            return raised
        return existing
