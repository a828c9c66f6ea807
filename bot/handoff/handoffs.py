"""Handing conversations to people (P1, P2, P3, P11).

A handoff is a stored record: who the conversation is with, why it was handed over,
which team takes it (configuration: `teams:` in association.yml), how urgent it is,
a short summary for staff, and when a person must acknowledge it (2 working hours)
and reply in full (4 working hours), counted on the monitoring calendar; an urgent one
runs on the clock. The first reply by a person acknowledges it; a reply that is not a
holding message is the full reply. Each deadline is recorded as met or missed. What
the tenant is told comes from the same calendar.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Callable, Iterable, List, Mapping, Tuple

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection, Engine

from bot.association import TeamConfig
from bot.events import Platform, Surface
from bot.handoff.audit import AuditEntry, write
from bot.handoff.threads import ConversationLinks
from bot.handoff.working_hours import WorkingCalendar, describe_when
from bot.store import as_aware, handoffs, to_utc

ACKNOWLEDGE_WITHIN_HOURS = 2  # P3
REPLY_WITHIN_HOURS = 4  # P3
# P2, P3: an emergency is raised at any hour and cannot wait for the next working day,
# so an urgent handoff runs on the clock: the on-call person acknowledges it within 30
# minutes and the tenant has a full reply within 2 hours, day or night, weekend or not.
URGENT_ACKNOWLEDGE_WITHIN = timedelta(minutes=30)
URGENT_REPLY_WITHIN = timedelta(hours=2)


class Reason(str, Enum):
    """Why a conversation went to a person."""

    REQUEST_HUMAN = "request_human"
    COMPLAINT = "complaint"
    REPEATED_FALLBACK = "repeated_fallback"
    EMERGENCY = "emergency"
    IDENTITY_CHECK_FAILED = "identity_check_failed"
    NEGATIVE_PUBLIC_COMMENT = "negative_public_comment"
    # An author blocked by moderation (P7): staff review the block and any report.
    MODERATION_REVIEW = "moderation_review"
    # A message the assistant failed to answer, set aside after its last attempt (P12).
    PROCESSING_FAILED = "processing_failed"
    # A compliment, passed on with the team or person it is about (P11).
    COMPLIMENT = "compliment"
    # A post hidden for naming staff (P7), whose author then explained in private.
    STAFF_NAMED = "staff_named"
    # Antisocial behaviour, with the tenant's account of it.
    ANTISOCIAL_BEHAVIOUR = "antisocial_behaviour"
    # A repair reported in private and triaged: a repair request for the Repairs team.
    REPAIR_REQUEST = "repair_request"
    # A rating of 1 or 2 with words, after a conversation (bot/feedback/surveys.py, P11).
    LOW_RATING = "low_rating"


class Priority(str, Enum):
    """Urgent handoffs come first in the staff queue; low ones need no reply."""

    URGENT = "urgent"
    NORMAL = "normal"
    LOW = "low"


class State(str, Enum):
    """Where a handoff is in its life."""

    WAITING = "waiting"
    TAKEN = "taken"
    ANSWERED = "answered"
    HANDED_BACK = "handed_back"
    CLOSED = "closed"


# Which team takes which reason is configuration (`Teams`); how urgent a reason is, is
# policy: an emergency is urgent (P2), a compliment is passed on and needs no reply (P11).
PRIORITIES = {
    Reason.EMERGENCY: Priority.URGENT,
    Reason.COMPLIMENT: Priority.LOW,
    Reason.LOW_RATING: Priority.LOW,
}
NO_REPLY_NEEDED = frozenset({Reason.COMPLIMENT, Reason.LOW_RATING})
# A wait for a person that holds no team's own matter: it joins the tenant's open
# handoff whatever its team, and an emergency may take it over (P2). Every other reason
# is a matter its team keeps (a complaint stays with Customer Experience, P11). A
# moderation review is staff looking at a block (P7), nothing the tenant waits on: it
# joins their open handoff, whose staff see the block in the moderation log, rather
# than keep a tenant with people after the team they wrote to has finished.
FOLLOWS_THE_TENANT = frozenset(
    {
        Reason.REQUEST_HUMAN,
        Reason.REPEATED_FALLBACK,
        Reason.PROCESSING_FAILED,
        Reason.MODERATION_REVIEW,
    }
)

TRANSITIONS = {
    State.WAITING: {State.TAKEN, State.HANDED_BACK, State.CLOSED},
    State.TAKEN: {State.ANSWERED, State.HANDED_BACK, State.CLOSED, State.WAITING},
    State.ANSWERED: {State.HANDED_BACK, State.CLOSED, State.TAKEN},
    State.HANDED_BACK: set(),
    State.CLOSED: set(),
}
OPEN_STATES = (State.WAITING, State.TAKEN, State.ANSWERED)


class TransitionError(ValueError):
    """A handoff cannot move from its state to the one asked for."""


class TeamsError(ValueError):
    """The teams configuration does not give every handoff reason one team."""


@dataclass(frozen=True)
class Teams:
    """The teams that take handoffs, and which reasons each takes (association.yml)."""

    by_reason: Mapping[Reason, str]
    names: Tuple[str, ...]

    @classmethod
    def from_config(cls, teams: Iterable[TeamConfig]) -> Teams:
        """Check the configured teams: every reason goes to exactly one team.

        Raises:
            TeamsError: a reason is unknown, taken by two teams, or by none.
        """
        by_reason: dict = {}
        names: List[str] = []
        known = {r.value: r for r in Reason}
        for team in teams:
            names.append(team.name)
            for value in team.reasons:
                if value not in known:
                    raise TeamsError(f"teams: {team.name} names unknown reason {value!r}")
                reason = known[value]
                if reason in by_reason:
                    raise TeamsError(
                        f"teams: {value} is taken by both {by_reason[reason]} and {team.name}"
                    )
                by_reason[reason] = team.name
        missing = [r.value for r in Reason if r not in by_reason]
        if missing:
            raise TeamsError(f"teams: no team takes {', '.join(missing)}; add them to a team")
        return cls(by_reason=by_reason, names=tuple(names))

    def for_reason(self, reason: Reason) -> str:
        """The name of the team that takes `reason`."""
        return self.by_reason[reason]


@dataclass(frozen=True)
class Summary:
    """What staff read first: why, what the model read, the tenant's words redacted.

    `details` are facts an action gathered (a repair's room, who a compliment is for).
    """

    reason: str
    intent: str | None = None
    words: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """The summary as stored."""
        return json.dumps(
            {
                "reason": self.reason,
                "intent": self.intent,
                "words": self.words,
                "details": dict(self.details),
            }
        )

    @classmethod
    def from_json(cls, raw: str | None) -> Summary | None:
        """A stored summary, or None for a handoff stored without one."""
        if not raw:
            return None
        data = json.loads(raw)
        return cls(data["reason"], data.get("intent"), data.get("words"), data.get("details") or {})


# The platform of a handoff about a locked tenancy rather than a conversation.
TENANCY = "tenancy"


@dataclass(frozen=True)
class Conversation:
    """Where a conversation is: its id and what the platform says about its author."""

    conversation_id: str
    # A Platform, or "tenancy" for a handoff about a locked tenancy rather than a chat.
    platform: str = Platform.REST
    surface: Surface = Surface.PRIVATE
    platform_user_id: str | None = None

    def __post_init__(self) -> None:
        # Stored rows give plain strings; the enum is what code compares.
        object.__setattr__(self, "surface", Surface(self.surface))

    @property
    def is_tenancy(self) -> bool:
        """Whether this is a locked tenancy's (bot.tenancy.identity), not a chat: no
        messages, nowhere to reply; staff contact the tenant by the means on file."""
        return str(self.platform) == TENANCY


@dataclass(frozen=True)
class Handoff:
    """One conversation handed to people."""

    id: str
    conversation: Conversation
    reason: Reason
    team: str
    priority: Priority
    state: State
    created_at: datetime
    acknowledge_by: datetime
    reply_by: datetime
    updated_at: datetime
    summary: Summary | None = None
    needs_reply: bool = True
    acknowledged_at: datetime | None = None
    # P3: True met, False missed, None still to come. A missed deadline's time is the
    # deadline itself; the late acknowledgement or reply, if any, has its own time.
    acknowledge_met: bool | None = None
    replied_at: datetime | None = None
    reply_met: bool | None = None
    taken_by: str | None = None
    # Why the platform refused the latest staff reply for good (None once one is sent).
    reply_failed: str | None = None
    # Whether it keeps the tenant with people (the assistant quiet, P3): False for a
    # complaint passed on while the assistant still triages the repair that came with it,
    # until another handoff of the tenant's holds them (HandoffRepository.hold).
    holds_conversation: bool = True

    @property
    def due(self) -> datetime | None:
        """The next deadline still to meet: acknowledging, then replying; None if none.

        A handoff that needs no reply (a compliment) is due only to be acknowledged.
        """
        if self.acknowledged_at is None:
            return self.acknowledge_by
        if self.needs_reply and self.replied_at is None:
            return self.reply_by
        return None


@dataclass(frozen=True)
class Breach:
    """A deadline found passed with nothing done: `deadline` is "acknowledge" or "reply"."""

    handoff: Handoff
    deadline: str
    due: datetime


@dataclass(frozen=True)
class TenantNotice:
    """What the tenant is told about a handoff, with times in UK local time.

    `case` names the response variation: `in_hours`, `out_of_hours`,
    `emergency_in_hours` or `emergency_out_of_hours`.
    """

    case: str
    team: str
    reply_by: str
    monitoring_resumes: str


def plan(
    reason: Reason,
    conversation: Conversation,
    now: datetime,
    calendar: WorkingCalendar,
    team: str,
    summary: Summary | None = None,
    holds_conversation: bool = True,
) -> Handoff:
    """A new handoff for `reason`, its deadlines counted in working hours from `now` (P3),
    or on the clock for an urgent one (P2).

    Args:
        reason: why the conversation goes to people; sets priority and whether a
            reply is needed.
        conversation: where the tenant is.
        now: when it is handed over.
        calendar: the monitoring calendar the deadlines are counted on.
        team: the team that takes it (`Teams.for_reason`).
        summary: what staff read first.
        holds_conversation: whether it keeps the tenant with people from now on.

    A conversation handed over out of hours, or at the weekend, is due from when
    monitoring next starts: first thing on the next working day.
    """
    priority = PRIORITIES.get(reason, Priority.NORMAL)
    if priority is Priority.URGENT:
        acknowledge_by, reply_by = now + URGENT_ACKNOWLEDGE_WITHIN, now + URGENT_REPLY_WITHIN
    else:
        acknowledge_by = calendar.add_working_hours(now, ACKNOWLEDGE_WITHIN_HOURS)
        reply_by = calendar.add_working_hours(now, REPLY_WITHIN_HOURS)
    return Handoff(
        id=str(uuid.uuid4()),
        conversation=conversation,
        reason=reason,
        team=team,
        priority=priority,
        state=State.WAITING,
        created_at=now,
        acknowledge_by=acknowledge_by,
        reply_by=reply_by,
        updated_at=now,
        summary=summary,
        needs_reply=reason not in NO_REPLY_NEEDED,
        holds_conversation=holds_conversation,
    )


def notice(handoff: Handoff, now: datetime, calendar: WorkingCalendar) -> TenantNotice:
    """What to tell the tenant: honest about when a person will look (P1, P2, P3)."""
    timing = "in_hours" if calendar.is_monitoring(now) else "out_of_hours"
    emergency = handoff.reason is Reason.EMERGENCY
    return TenantNotice(
        case=f"emergency_{timing}" if emergency else timing,
        team=handoff.team,
        reply_by=describe_when(handoff.reply_by, now, calendar.zone),
        monitoring_resumes=describe_when(calendar.next_monitoring_start(now), now, calendar.zone),
    )


class HandoffRepository:
    """Handoff records in the project's store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, handoff: Handoff) -> Handoff:
        """Store a new handoff."""
        with self._engine.begin() as connection:
            connection.execute(handoffs.insert().values(**_row(handoff)))
        return handoff

    def get(self, handoff_id: str) -> Handoff | None:
        """The handoff with this id, or None."""
        with self._engine.connect() as connection:
            row = connection.execute(select(handoffs).where(handoffs.c.id == handoff_id)).first()
        return _handoff(row) if row else None

    def open_for(self, conversation_id: str) -> Handoff | None:
        """The latest open handoff that keeps the conversation's tenant with people,
        raised in any of their conversations (bot.handoff.threads), if they have one."""
        found = [h for h in self.open_all_for(conversation_id) if h.holds_conversation]
        return found[0] if found else None

    def hold(self, conversation_id: str) -> None:
        """The tenant is with people now: each open handoff of theirs keeps them there
        until it is handed back or closed (a complaint passed on beside a repair, once
        the repair is handed over too)."""
        tenant = ConversationLinks(self._engine).conversations_of(conversation_id)
        with self._engine.begin() as connection:
            connection.execute(
                handoffs.update()
                .where(handoffs.c.conversation_id.in_(tenant))
                .where(handoffs.c.state.in_([s.value for s in OPEN_STATES]))
                .where(handoffs.c.holds_conversation == 0)
                .values(holds_conversation=1)
            )

    def open_all_for(self, conversation_id: str) -> List[Handoff]:
        """Every open handoff of the conversation's tenant that needs a reply, the latest
        first: one for each team that holds a matter of theirs."""
        tenant = ConversationLinks(self._engine).conversations_of(conversation_id)
        with self._engine.connect() as connection:
            return _open_of(connection, tenant)

    def finish(
        self,
        handoff_id: str,
        state: State,
        now: datetime,
        staff: str,
        resume: Callable[[], object],
    ) -> Tuple[Handoff, List[Handoff]]:
        """Hand back or close a handoff, calling `resume()` first if no other open
        handoff of the tenant's holds them; returns it moved, and those others.

        The check and the move are one transaction with every open handoff of the
        tenant's locked (in id order, so two finishers never wait on each other): two
        teams handing back at the same moment are taken one after the other, and the
        second sees the first's done, so the tenant is never left paused with nothing
        open. A `resume` that raises leaves everything as it was, to be retried.

        Raises:
            KeyError: there is no such handoff.
            TransitionError: it cannot move to `state` from its state.
        """
        current = self.get(handoff_id)
        if current is None:
            raise KeyError(handoff_id)
        tenant = ConversationLinks(self._engine).conversations_of(
            current.conversation.conversation_id
        )
        with self._engine.connect() as connection:
            ids = {h.id for h in _open_of(connection, tenant)} | {handoff_id}
        with self._engine.begin() as connection:
            for each in sorted(ids):
                _locked(connection, each)
            current = _locked(connection, handoff_id)
            if state not in TRANSITIONS[current.state]:
                verb = "handed back" if state is State.HANDED_BACK else "closed"
                raise TransitionError(f"a {current.state.value} handoff cannot be {verb}")
            others = [
                h
                for h in _open_of(connection, tenant)
                if h.id != handoff_id and h.holds_conversation
            ]
            if not others:
                resume()
            moved = replace(current, state=state, updated_at=now)
            if not current.needs_reply:
                moved = _acknowledged(moved, now)
            _update(connection, moved)
            write(connection, AuditEntry(now, staff, _ACTION_OF[state], handoff_id))
        return moved, others

    def queue(self) -> List[Handoff]:
        """Open handoffs: urgent first, then by what is due first, then the oldest.

        What is due is the next deadline still to meet (`Handoff.due`); a handoff with
        nothing left due (answered, or a compliment acknowledged) comes last.
        """
        query = select(handoffs).where(handoffs.c.state.in_([s.value for s in OPEN_STATES]))
        with self._engine.connect() as connection:
            found = [_handoff(row) for row in connection.execute(query)]
        return sorted(found, key=_queue_order)

    def move(
        self, handoff_id: str, state: State, now: datetime, staff: str | None = None
    ) -> Handoff:
        """Move a handoff to `state`; `staff`, if given, is audited as having moved it.

        A handoff that needs no reply is acknowledged by the person who takes or
        closes it: reading it is all it asks.

        Raises:
            KeyError: there is no such handoff.
            TransitionError: the move is not allowed from the handoff's state.
        """
        with self._engine.begin() as connection:
            current = _locked(connection, handoff_id)
            if state is State.TAKEN and current.state is State.TAKEN:
                raise TransitionError(f"the handoff is already taken by {current.taken_by}")
            if state not in TRANSITIONS[current.state]:
                raise TransitionError(
                    f"a {current.state.value} handoff cannot become {state.value}"
                )
            moved = replace(current, state=state, updated_at=now)
            if state is State.TAKEN and staff is not None:
                moved = replace(moved, taken_by=staff)
            if staff is not None and not current.needs_reply and state is not State.WAITING:
                moved = _acknowledged(moved, now)
            _update(connection, moved)
            if staff is not None:
                write(connection, AuditEntry(now, staff, _ACTION_OF[state], handoff_id))
        return moved

    def record_reply(
        self,
        handoff_id: str,
        staff: str,
        now: datetime,
        holding: bool,
        details: Mapping,
        send: Callable[[Connection], object] | None = None,
    ) -> Handoff:
        """A person's reply to the tenant is queued: audited, and the handoff is theirs.

        It counts (acknowledged, answered) once the platform takes it: `reply_sent`.
        `send(connection)` queues the reply, in the same transaction, once the handoff
        is found open under its lock: a reply that cannot be queued is not recorded,
        and none is queued for a handoff closed or handed back meanwhile.

        Raises:
            KeyError: there is no such handoff.
            TransitionError: the handoff is handed back or closed.
        """
        with self._engine.begin() as connection:
            current = _locked_open(connection, handoff_id, "be replied to")
            if send is not None:
                send(connection)
            replied = replace(
                current,
                state=State.TAKEN if current.state is State.WAITING else current.state,
                taken_by=current.taken_by or staff,
                updated_at=now,
            )
            _update(connection, replied)
            entry = {**details, "holding": holding}
            write(connection, AuditEntry(now, staff, "reply", handoff_id, entry))
        return replied

    def reply_sent(self, handoff_id: str, staff: str, now: datetime, holding: bool) -> Handoff:
        """The platform took a person's reply: the handoff is acknowledged, and answered
        unless `holding`.

        The first reply sent acknowledges the handoff; the first that is not a holding
        message is its full reply (P3). Each deadline is recorded met or missed then.

        Raises:
            KeyError: there is no such handoff.
        """
        with self._engine.begin() as connection:
            current = _locked(connection, handoff_id)
            replied = replace(_acknowledged(current, now), reply_failed=None, updated_at=now)
            if current.state is State.WAITING:
                replied = replace(replied, state=State.TAKEN, taken_by=staff)
            if not holding and replied.replied_at is None:
                met = replied.reply_met is not False and now <= replied.reply_by
                replied = replace(replied, replied_at=now, reply_met=met)
                if current.state in OPEN_STATES:
                    replied = replace(replied, state=State.ANSWERED)
            _update(connection, replied)
            details = {"holding": holding}
            write(connection, AuditEntry(now, staff, "reply_sent", handoff_id, details))
        return replied

    def reply_refused(self, handoff_id: str, staff: str, now: datetime, error: str) -> Handoff:
        """The platform refused a person's reply for good: kept on the handoff and in the
        audit for staff to see, and the handoff stays due.

        Raises:
            KeyError: there is no such handoff.
        """
        with self._engine.begin() as connection:
            current = _locked(connection, handoff_id)
            refused = replace(current, reply_failed=error, updated_at=now)
            _update(connection, refused)
            details = {"error": error}
            write(connection, AuditEntry(now, staff, "reply_refused", handoff_id, details))
        return refused

    def tenant_wrote_again(
        self, handoff_id: str, at: datetime, calendar: WorkingCalendar, words: str | None = None
    ) -> Handoff:
        """The tenant wrote after staff's full reply ("that didn't fix it"): the handoff
        is due again, with new deadlines from their message `at` (working hours; an
        urgent one on the clock), its acknowledgement and reply cleared, so it rises
        in the queue, alerts apply and the tenant's waiting notes resume (P3). A
        handoff not yet fully answered, or no longer open, is returned unchanged.

        `words` (already redacted), a new matter the tenant raised for the same team
        (a second complaint), are added to the summary staff read, answered or not.

        Raises:
            KeyError: there is no such handoff.
        """
        with self._engine.begin() as connection:
            current = _locked(connection, handoff_id)
            if words and current.state in OPEN_STATES:
                current = replace(current, summary=_with_words(current.summary, words))
                _update(connection, current)
            if current.replied_at is None or current.state not in OPEN_STATES:
                return current
            if current.priority is Priority.URGENT:
                acknowledge_by, reply_by = at + URGENT_ACKNOWLEDGE_WITHIN, at + URGENT_REPLY_WITHIN
            else:
                acknowledge_by = calendar.add_working_hours(at, ACKNOWLEDGE_WITHIN_HOURS)
                reply_by = calendar.add_working_hours(at, REPLY_WITHIN_HOURS)
            again = replace(
                current,
                state=State.TAKEN if current.taken_by else State.WAITING,
                acknowledge_by=acknowledge_by,
                reply_by=reply_by,
                acknowledged_at=None,
                acknowledge_met=None,
                replied_at=None,
                reply_met=None,
                updated_at=at,
            )
            _update(connection, again)
            details = {"previously_replied_at": _iso(current.replied_at)}
            write(connection, AuditEntry(at, "tenant", "tenant_wrote_again", handoff_id, details))
        return again

    def transfer(self, handoff_id: str, team: str, staff: str, now: datetime) -> Handoff:
        """Give an open handoff to another team, to be taken there; its deadlines stay.

        Raises:
            KeyError: there is no such handoff.
            TransitionError: the handoff is handed back or closed.
        """
        with self._engine.begin() as connection:
            current = _locked_open(connection, handoff_id, "be transferred")
            moved = replace(current, team=team, state=State.WAITING, taken_by=None, updated_at=now)
            _update(connection, moved)
            details = {"from": current.team, "to": team}
            write(connection, AuditEntry(now, staff, "transfer", handoff_id, details))
        return moved

    def record_missed(self, now: datetime) -> List[Breach]:
        """Record as missed every open handoff's deadline that passed with nothing done.

        Returns the deadlines recorded missed by this call (each is recorded once,
        so a watcher that calls this often alerts once per breach). A handoff that
        needs no reply has no reply deadline to miss.
        """
        at = to_utc(now)
        open_states = [s.value for s in OPEN_STATES]
        query = (
            select(handoffs)
            .where(handoffs.c.state.in_(open_states))
            .where(
                (handoffs.c.acknowledged_at.is_(None) & handoffs.c.acknowledge_met.is_(None))
                | (handoffs.c.replied_at.is_(None) & handoffs.c.reply_met.is_(None))
            )
            .with_for_update()
        )
        breaches: List[Breach] = []
        with self._engine.begin() as connection:
            for row in connection.execute(query).all():
                handoff = _handoff(row)
                missed = handoff
                if (
                    handoff.acknowledged_at is None
                    and handoff.acknowledge_met is None
                    and handoff.acknowledge_by < at
                ):
                    missed = replace(missed, acknowledge_met=False)
                    breaches.append(Breach(missed, "acknowledge", handoff.acknowledge_by))
                if (
                    handoff.needs_reply
                    and handoff.replied_at is None
                    and handoff.reply_met is None
                    and handoff.reply_by < at
                ):
                    missed = replace(missed, reply_met=False)
                    breaches.append(Breach(missed, "reply", handoff.reply_by))
                if missed is not handoff:
                    _update(connection, missed)
        return breaches

    def raise_to_emergency(
        self,
        handoff_id: str,
        now: datetime,
        calendar: WorkingCalendar,
        team: str,
        summary: Summary | None = None,
    ) -> Handoff:
        """An open handoff becomes an urgent one for the emergency's `team` (P2).

        A tenant already waiting for a person who then reports an emergency is not
        left in the normal queue: the handoff takes the emergency's team, priority
        and `summary` (if given). Its acknowledgement and reply are cleared, as the
        emergency is a new matter that nobody has answered yet: it is due again on
        the clock, alerts apply, and met or missed is recorded for it. A deadline of
        the old matter still ahead and earlier is kept. What was done before stays
        in the audit.

        Raises:
            KeyError: there is no such handoff.
        """
        with self._engine.begin() as connection:
            current = _locked(connection, handoff_id)
            fresh = plan(Reason.EMERGENCY, current.conversation, now, calendar, team)
            waiting = current.acknowledged_at is None
            acknowledge_by = fresh.acknowledge_by
            if waiting and now < current.acknowledge_by < acknowledge_by:
                acknowledge_by = current.acknowledge_by
            reply_by = fresh.reply_by
            if current.replied_at is None and now < current.reply_by < reply_by:
                reply_by = current.reply_by
            raised = replace(
                current,
                reason=fresh.reason,
                team=fresh.team,
                priority=fresh.priority,
                state=State.TAKEN if current.state is State.ANSWERED else current.state,
                acknowledge_by=acknowledge_by,
                reply_by=reply_by,
                acknowledged_at=None,
                acknowledge_met=None,
                replied_at=None,
                reply_met=None,
                updated_at=now,
                summary=summary or current.summary,
                needs_reply=True,
            )
            _update(connection, raised)
            details = {
                "from_reason": current.reason.value,
                "from_team": current.team,
                "previously_acknowledged_at": _iso(current.acknowledged_at),
                "previously_replied_at": _iso(current.replied_at),
            }
            write(
                connection, AuditEntry(now, "assistant", "raise_to_emergency", handoff_id, details)
            )
        return raised


def _row(h: Handoff) -> dict:
    return {
        "id": h.id,
        "conversation_id": h.conversation.conversation_id,
        "platform": h.conversation.platform,
        "platform_user_id": h.conversation.platform_user_id,
        "surface": h.conversation.surface,
        "reason": h.reason.value,
        "team": h.team,
        "priority": h.priority.value,
        "state": h.state.value,
        "created_at": to_utc(h.created_at),
        "acknowledge_by": to_utc(h.acknowledge_by),
        "reply_by": to_utc(h.reply_by),
        "updated_at": to_utc(h.updated_at),
        "summary": h.summary.to_json() if h.summary else None,
        "needs_reply": int(h.needs_reply),
        "acknowledged_at": to_utc(h.acknowledged_at) if h.acknowledged_at else None,
        "acknowledge_met": None if h.acknowledge_met is None else int(h.acknowledge_met),
        "replied_at": to_utc(h.replied_at) if h.replied_at else None,
        "reply_met": None if h.reply_met is None else int(h.reply_met),
        "taken_by": h.taken_by,
        "reply_failed": h.reply_failed,
        "holds_conversation": int(h.holds_conversation),
    }


def _handoff(row) -> Handoff:
    m = row._mapping
    return Handoff(
        id=m["id"],
        conversation=Conversation(
            conversation_id=m["conversation_id"],
            platform=m["platform"],
            surface=m["surface"],
            platform_user_id=m["platform_user_id"],
        ),
        reason=Reason(m["reason"]),
        team=m["team"],
        priority=Priority(m["priority"]),
        state=State(m["state"]),
        created_at=as_aware(m["created_at"]),
        acknowledge_by=as_aware(m["acknowledge_by"]),
        reply_by=as_aware(m["reply_by"]),
        updated_at=as_aware(m["updated_at"]),
        summary=Summary.from_json(m["summary"]),
        # Stored before the column existed: every handoff then needed a reply.
        needs_reply=m["needs_reply"] is None or bool(m["needs_reply"]),
        acknowledged_at=as_aware(m["acknowledged_at"]),
        acknowledge_met=None if m["acknowledge_met"] is None else bool(m["acknowledge_met"]),
        replied_at=as_aware(m["replied_at"]),
        reply_met=None if m["reply_met"] is None else bool(m["reply_met"]),
        taken_by=m["taken_by"],
        reply_failed=m["reply_failed"],
        # Stored before the column existed: every handoff then held the conversation.
        holds_conversation=m["holds_conversation"] is None or bool(m["holds_conversation"]),
    )


# What the audit calls each move staff make.
_ACTION_OF = {
    State.TAKEN: "take",
    State.WAITING: "release",
    State.ANSWERED: "answered",
    State.HANDED_BACK: "hand_back",
    State.CLOSED: "close",
}


def _iso(at: datetime | None) -> str | None:
    return to_utc(at).isoformat() if at is not None else None


def _acknowledged(handoff: Handoff, now: datetime) -> Handoff:
    """`handoff` acknowledged at `now`, unless it was already; met if in time (P3)."""
    if handoff.acknowledged_at is not None:
        return handoff
    met = handoff.acknowledge_met is not False and now <= handoff.acknowledge_by
    return replace(handoff, acknowledged_at=now, acknowledge_met=met)


def _update(connection: Connection, handoff: Handoff) -> None:
    values = _row(handoff)
    del values["id"]
    connection.execute(handoffs.update().where(handoffs.c.id == handoff.id).values(**values))


def _queue_order(handoff: Handoff) -> tuple:
    due = handoff.due
    return (
        handoff.priority is not Priority.URGENT,
        due is None,
        to_utc(due or handoff.created_at),
        to_utc(handoff.created_at),
    )


def _open_of(connection: Connection, tenant: Iterable[str]) -> List[Handoff]:
    """The open handoffs of the tenant's conversations that need a reply, latest first."""
    rows = connection.execute(_OPEN_OF, {"conversations": list(tenant)})
    return [_handoff(row) for row in rows]


# Built once: it runs for every message (bot/store.py says why).
_OPEN_OF = (
    select(handoffs)
    .where(handoffs.c.conversation_id.in_(bindparam("conversations", expanding=True)))
    .where(handoffs.c.state.in_([s.value for s in OPEN_STATES]))
    .order_by(handoffs.c.created_at.desc())
    # One needing no reply (a compliment, P11) keeps no tenant waiting: the
    # conversation is not paused for it, and a complaint after it is its own.
    .where(handoffs.c.needs_reply.is_(None) | (handoffs.c.needs_reply != 0))
)


def _with_words(summary: Summary | None, words: str) -> Summary:
    """`summary` with the tenant's further `words` after those it had."""
    if summary is None:
        return Summary(reason="", words=words)
    joined = f"{summary.words}\n\n{words}" if summary.words else words
    return replace(summary, words=joined)


def _locked_open(connection: Connection, handoff_id: str, to: str) -> Handoff:
    """The open handoff, locked as `_locked` locks it; TransitionError if it is handed
    back or closed (`to` says what it cannot: "be transferred")."""
    current = _locked(connection, handoff_id)
    if current.state not in OPEN_STATES:
        raise TransitionError(f"a {current.state.value} handoff cannot {to}")
    return current


def _locked(connection: Connection, handoff_id: str) -> Handoff:
    """The handoff, its row locked until the transaction ends; KeyError if none.

    The lock is taken by writing the row (to itself) before reading it: SELECT ...
    FOR UPDATE locks the row on PostgreSQL but does nothing on SQLite, whose driver
    begins no transaction until the first write. An UPDATE locks the row on both
    (SQLite: the whole database), so a second mover waits here until the first
    commits, then reads what the first wrote: two staff cannot both take a handoff,
    nor a reply be recorded on one closed meanwhile.
    """
    claimed = connection.execute(
        handoffs.update().where(handoffs.c.id == handoff_id).values(id=handoffs.c.id)
    )
    if claimed.rowcount == 0:
        raise KeyError(handoff_id)
    row = connection.execute(
        select(handoffs).where(handoffs.c.id == handoff_id).with_for_update()
    ).first()
    if row is None:
        raise KeyError(handoff_id)
    return _handoff(row)
