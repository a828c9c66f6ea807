"""Opening handoffs: the one way a conversation goes to people (P2, P3, P11).

Actions, screening and the identity checks all open handoffs here, so that each has
its team from the configuration, its summary for staff (the tenant's words with
personal details redacted, P5), and so that whoever listens (alerts) is told.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Callable, Iterable, Mapping

from sqlalchemy.engine import Engine

from bot.handoff.handoffs import (
    FOLLOWS_THE_TENANT,
    NO_REPLY_NEEDED,
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
        longer_wait: Callable[[datetime], timedelta | None] | None = None,
    ) -> None:
        """`longer_wait(now)`: the wait for a full reply staff set for a live service
        alert (bot/service_alerts/), if any: a handoff opened meanwhile is due no sooner,
        and that is what the tenant is told (P3)."""
        self.repository = HandoffRepository(engine)
        self.calendar = calendar
        self.teams = teams
        self._listeners = tuple(listeners)
        self._longer_wait = longer_wait

    def open(
        self,
        reason: Reason,
        conversation: Conversation,
        now: datetime,
        intent: str | None = None,
        words: str | None = None,
        details: Mapping[str, str] | None = None,
        holds_conversation: bool = True,
    ) -> Handoff:
        """The tenant's handoff for `reason`: the open one it joins, else a new one.

        Each team holds at most one open handoff of a tenant's, so one message with two
        matters (a repair and a complaint) gives each team its own, and neither is lost
        to the other's queue (P11). A matter joins the tenant's open handoff of its own
        team; a wait for a person with no team's matter in it (`FOLLOWS_THE_TENANT`)
        joins whichever is open. An emergency raises the tenant's open handoff of its
        team, or one that only waits for a person, to urgent (P2); a matter another
        team holds (a complaint) stays with that team, and the emergency is a new
        urgent handoff. A compliment is a record of its own (P11). A matter joining
        its team's handoff adds its words to the summary, and one joining a handoff
        already answered in full makes it due again from `now` (a second complaint is
        not filed under the reply to the first): one handoff per team, so staff see
        the tenant's matters together, with fresh deadlines the tenant is told.

        Args:
            reason: why the conversation goes to people.
            conversation: where the tenant is.
            now: the time.
            intent: the intent the model read, if any.
            words: the tenant's words; stored with personal details redacted.
            details: facts gathered for staff (stored as given).
            holds_conversation: False for a complaint passed on while the assistant
                goes on to triage the repair that came with it: it keeps the tenant
                with people only once another handoff does (then every open one of
                theirs does, so one team's hand-back waits for the other's, P3).
        """
        handoff = self._open(reason, conversation, now, intent, words, details, holds_conversation)
        if handoff.needs_reply and holds_conversation:
            self.repository.hold(conversation.conversation_id)
            return self.repository.get(handoff.id) or handoff
        return handoff

    def _open(
        self,
        reason: Reason,
        conversation: Conversation,
        now: datetime,
        intent: str | None,
        words: str | None,
        details: Mapping[str, str] | None,
        holds_conversation: bool,
    ) -> Handoff:
        summary = Summary(
            reason=reason.value,
            intent=intent,
            words=redact(words) if words else None,
            details=dict(details or {}),
        )
        team = self.teams.for_reason(reason)
        if reason in NO_REPLY_NEEDED:
            return self._add(reason, conversation, now, team, summary, holds_conversation)
        tenants = self.repository.open_all_for(conversation.conversation_id)
        same_team = next((h for h in tenants if h.team == team), None)
        if reason is Reason.EMERGENCY:
            waiting = next((h for h in tenants if h.reason in FOLLOWS_THE_TENANT), None)
            existing = same_team or waiting
            if existing is None:
                return self._add(reason, conversation, now, team, summary, holds_conversation)
            if existing.priority is Priority.URGENT:
                return existing
            raised = self.repository.raise_to_emergency(
                existing.id, now, self.calendar, team, summary
            )
            for listener in self._listeners:
                listener.raised(raised, now)
            return raised
        if same_team is not None:
            # One handoff per team: a new matter joins it, its words added for staff.
            # Already answered in full, it is due again from now, so the new matter
            # is not filed under a reply the tenant has had (the note they get says
            # when the team now aims to reply).
            return self.repository.tenant_wrote_again(
                same_team.id, now, self.calendar, words=summary.words
            )
        if reason in FOLLOWS_THE_TENANT and tenants:
            return tenants[0]
        return self._add(reason, conversation, now, team, summary, holds_conversation)

    def _add(
        self,
        reason: Reason,
        conversation: Conversation,
        now: datetime,
        team: str,
        summary: Summary,
        holds_conversation: bool = True,
    ) -> Handoff:
        planned = plan(reason, conversation, now, self.calendar, team, summary, holds_conversation)
        longer = self._longer_wait(now) if self._longer_wait is not None else None
        # An emergency keeps its 2 hours (P2); another matter waits as staff said.
        if longer is not None and planned.priority is not Priority.URGENT:
            planned = replace(planned, reply_by=max(planned.reply_by, now + longer))
        handoff = self.repository.add(planned)
        for listener in self._listeners:
            listener.opened(handoff, now)
        return handoff
