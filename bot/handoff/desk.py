"""What staff do with handoffs: list, read, take, reply, transfer, hand back, close.

The staff API (bot/console/) is a thin HTTP skin over `StaffDesk`; each method here
is blocking (the store, Rasa's HTTP API) and is called off the event loop. Every one
writes the handoff audit: who, what, when (P9).

A reply goes through the outbox, as a person's (`Author.STAFF`), to where the tenant
can read it (P5, P6):

- a private conversation: Messenger's Send API or an X direct message, in it;
- a public one on X: a direct message (one user id in mentions and DMs; up to
  10,000 characters), falling back to a reply under their latest post if their DMs
  are closed: the reply itself if it fits a post (280 as X counts it, links 23;
  bot.platforms.limits) and holds no personal details, else a short post asking them
  to open their DMs or message us;
- a public one on Facebook: where the commenter last wrote of the surfaces that can
  still take the reply: Messenger, where they are linked to a Messenger conversation
  (bot.handoff.threads) and wrote there within 7 days, or a public reply under their
  latest comment.

Messenger takes a person's reply for 7 days after the tenant last wrote (with the
HUMAN_AGENT tag past 24 hours); past that the reply is refused here, with the reason,
rather than left to fail in the outbox. A public reply holding personal details is
refused too (P5). The reply is added to the tenant's Rasa conversation as a `bot`
event marked `author: staff`, so it is in the thread.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from bot.events import Operation, Platform, Surface
from bot.handoff.audit import AuditEntry, HandoffAudit
from bot.handoff.conversations import RasaConversations
from bot.handoff.handoffs import (
    OPEN_STATES,
    Handoff,
    HandoffRepository,
    State,
    Teams,
    TransitionError,
)
from bot.handoff.threads import (
    ConversationLinks,
    ThreadMessage,
    conversation_id_of,
    read_thread,
    split_conversation_id,
)
from bot.moderation.log import ModerationLog
from bot.outbox import Author, Call, Outbound, Outbox, OutboxListener, PlatformError
from bot.platforms.limits import X_POST
from bot.platforms.meta import OutsideWindow, messenger_tag
from bot.platforms.registry import kit_for, limit_of
from bot.privacy import find
from bot.store import outbox

PUBLIC_OPERATIONS = (Operation.PUBLIC_REPLY, Operation.X_REPLY)


class Refused(ValueError):
    """The request cannot be carried out as asked; the message says why and what to do."""


class NoSuchHandoff(KeyError):
    """No handoff has the id asked for."""


@dataclass(frozen=True)
class ReplyRoute:
    """Where a staff reply goes: the conversation it is kept in and the call that sends it.

    `user_message_at`: when the tenant last wrote there (Messenger's window counts from it).
    """

    conversation_id: str
    platform: Platform
    call: Call
    user_message_at: datetime | None = None


class StaffDesk:
    """Staff's actions on handoffs, each audited."""

    def __init__(
        self,
        engine: Engine,
        outbox: Outbox,
        rasa: RasaConversations,
        teams: Teams,
    ) -> None:
        self.engine = engine
        self.teams = teams
        self.repository = HandoffRepository(engine)
        self.audit = HandoffAudit(engine)
        self._links = ConversationLinks(engine)
        self._log = ModerationLog(engine, outbox)
        self._outbox = outbox
        self._rasa = rasa
        self._teams = teams

    def queue(self, staff: str, now: datetime) -> List[Handoff]:
        """Open handoffs: emergencies on top, then what is due first."""
        found = self.repository.queue()
        self.audit.record(AuditEntry(now, staff, "list", details={"count": len(found)}))
        return found

    def view(self, staff: str, handoff_id: str, now: datetime) -> Handoff:
        """One handoff.

        Raises:
            NoSuchHandoff: there is no such handoff.
        """
        handoff = self._get(handoff_id)
        self.audit.record(AuditEntry(now, staff, "view", handoff_id))
        return handoff

    def thread(
        self, staff: str, handoff_id: str, unmask: bool, now: datetime, refresh: bool = False
    ) -> List[ThreadMessage]:
        """Every message of the handoff's tenant, oldest first; personal details masked
        unless `unmask`, and each unmasking audited.

        `refresh`: the console re-reading, every few seconds, a masked thread already
        open on screen (its opening was audited): not audited again, so the audit says
        who opened what rather than how long it stayed open. An unmasked read is
        always audited.

        Raises:
            NoSuchHandoff: there is no such handoff.
            RasaError: Rasa could not be read.
        """
        handoff = self._get(handoff_id)
        messages = read_thread(handoff, self._rasa.tracker, unmask, links=self._links)
        if unmask or not refresh:
            action = "unmask_thread" if unmask else "read_thread"
            self.audit.record(AuditEntry(now, staff, action, handoff_id))
        return messages

    def take(self, staff: str, handoff_id: str, now: datetime) -> Handoff:
        """`staff` takes the handoff.

        Raises:
            NoSuchHandoff: there is no such handoff.
            TransitionError: it is taken by someone, handed back or closed.
        """
        self._get(handoff_id)
        # Checked in `move`, under the row's lock: two staff taking it at once, one
        # takes it and the other is told who did.
        return self.repository.move(handoff_id, State.TAKEN, now, staff=staff)

    def reply(
        self, staff: str, handoff_id: str, text: str, now: datetime, holding: bool = False
    ) -> Handoff:
        """Send `text` to the tenant as `staff`, through the outbox, and record it.

        `holding`: a holding message while the query is looked into (P3): it
        acknowledges the handoff but is not its full reply.

        Raises:
            NoSuchHandoff: there is no such handoff.
            TransitionError: it is handed back or closed.
            Refused: no reply can go (empty or too long, personal details in public,
                past Messenger's 7 days, no platform conversation).
            RasaError: Rasa could not be read or written; nothing was sent.
        """
        text = (text or "").strip()
        if not text:
            raise Refused("the reply has no text")
        handoff = self._get(handoff_id)
        if handoff.state not in OPEN_STATES:
            raise TransitionError(f"a {handoff.state.value} handoff cannot be replied to")
        route = self._route(handoff, text, now)
        _check_text(route.platform, route.call, text)
        if route.call.operation is Operation.MESSENGER_SEND:
            try:
                messenger_tag(Author.STAFF, route.user_message_at, now)
            except OutsideWindow as error:
                raise Refused(
                    f"{error}; the tenant last wrote on {route.user_message_at:%d %B %Y}:"
                    " contact them another way"
                ) from error
        surface = Surface.PUBLIC if route.call.operation in PUBLIC_OPERATIONS else Surface.PRIVATE
        event = {
            "event": "bot",
            "text": text,
            "timestamp": now.timestamp(),
            "metadata": {"author": "staff", "staff": staff, "surface": surface.value},
        }

        def send(connection: Connection) -> None:
            # Queued in the transaction that found the handoff open, then kept in the
            # thread: if Rasa cannot be written, the transaction is undone and nothing
            # goes out or is recorded.
            self._outbox.enqueue(
                route.conversation_id,
                route.platform,
                route.call.operation,
                route.call.target,
                now,
                text=text,
                author=Author.STAFF,
                user_message_at=route.user_message_at,
                fallback=route.call.fallback,
                dedupe_key=reply_key(handoff_id, holding, staff),
                connection=connection,
            )
            self._rasa.append(route.conversation_id, [event])

        details = {
            "operation": route.call.operation.value,
            "surface": surface.value,
            "conversation_id": route.conversation_id,
        }
        return self.repository.record_reply(handoff_id, staff, now, holding, details, send)

    def transfer(self, staff: str, handoff_id: str, team: str, now: datetime) -> Handoff:
        """Give the handoff to `team`, waiting to be taken there.

        Raises:
            NoSuchHandoff: there is no such handoff.
            TransitionError: it is handed back or closed.
            Refused: no such team, or it is with that team already.
        """
        if team not in self._teams.names:
            raise Refused(f"no team called {team!r}; one of: {', '.join(self._teams.names)}")
        handoff = self._get(handoff_id)
        if handoff.team == team:
            raise Refused(f"the handoff is with {team} already")
        return self.repository.transfer(handoff_id, team, staff, now)

    def hand_back(self, staff: str, handoff_id: str, now: datetime) -> Handoff:
        """Give the tenant back to the assistant, in every conversation of theirs,
        unless another team still holds an open handoff of theirs that needs a reply:
        then they stay with people until that one is handed back or closed.

        The move is checked first, so a refused one changes nothing; the record is
        marked handed back only once Rasa has resumed the conversations, so a failure
        can be retried.

        Raises:
            NoSuchHandoff: there is no such handoff.
            TransitionError: it cannot be handed back from its state.
            RasaError: Rasa did not resume a conversation.
        """
        return self._finish(staff, handoff_id, State.HANDED_BACK, now)

    def close(self, staff: str, handoff_id: str, now: datetime) -> Handoff:
        """The matter is finished: closed; the assistant answers the tenant again unless
        another team still holds an open handoff of theirs (as for `hand_back`).

        Raises:
            NoSuchHandoff, TransitionError, RasaError: as for `hand_back`.
        """
        return self._finish(staff, handoff_id, State.CLOSED, now)

    def _finish(self, staff: str, handoff_id: str, state: State, now: datetime) -> Handoff:
        moved, _ = self.finish(staff, handoff_id, state, now)
        return moved

    def finish(
        self, staff: str, handoff_id: str, state: State, now: datetime
    ) -> Tuple[Handoff, List[Handoff]]:
        """Hand back (`State.HANDED_BACK`) or close the handoff; returns it, and the
        tenant's other open handoffs that still keep them with people (empty when the
        assistant answers them again).

        Another team still owing the tenant a reply (a repair and a complaint in one
        message) keeps them with people: the last hand-back or close resumes (P3). The
        check and the move are atomic (`HandoffRepository.finish`).

        Raises:
            NoSuchHandoff, TransitionError, RasaError: as for `hand_back`.
        """
        handoff = self._get(handoff_id)
        tenant = self._links.conversations_of(handoff.conversation.conversation_id)

        def resume() -> None:
            for conversation_id in tenant:
                # Only a paused conversation is resumed: one Rasa never saw is left unmade.
                if self._rasa.tracker(conversation_id).get("paused"):
                    self._rasa.resume(conversation_id)

        try:
            return self.repository.finish(handoff_id, state, now, staff, resume)
        except KeyError:
            raise NoSuchHandoff(handoff_id) from None

    def _get(self, handoff_id: str) -> Handoff:
        handoff = self.repository.get(handoff_id)
        if handoff is None:
            raise NoSuchHandoff(handoff_id)
        return handoff

    def _route(self, handoff: Handoff, text: str, now: datetime) -> ReplyRoute:
        """Where a reply to `handoff` goes (see the module's docstring)."""
        conversation = handoff.conversation
        platform = Platform.named(conversation.platform)
        parsed = split_conversation_id(conversation.conversation_id)
        if platform is None or kit_for(platform) is None or parsed is None:
            raise Refused(
                f"this handoff has no {conversation.platform} conversation to reply in:"
                " contact the tenant by the means on their file"
            )
        _, surface, author = parsed
        if platform is Platform.TWITTER:
            private = conversation_id_of(platform, Surface.PRIVATE, author)
            fallback: Tuple[Call, ...] = ()
            if surface is Surface.PUBLIC:
                tweet = _latest(self._tracker(conversation.conversation_id)).get("tweet_id")
                if tweet:
                    # Their DMs closed: the reply goes under their latest post if it fits
                    # a post and holds no personal details (P5); else a short post asks
                    # them to open their DMs or message us.
                    public = text if X_POST.fits(text) and not find(text) else DMS_CLOSED
                    fallback = (Call(Operation.X_REPLY, str(tweet), public),)
            return ReplyRoute(private, platform, Call(Operation.X_DM, author, fallback=fallback))
        if surface is Surface.PRIVATE:
            written = _last_written(self._tracker(conversation.conversation_id))
            call = Call(Operation.MESSENGER_SEND, author)
            return ReplyRoute(conversation.conversation_id, platform, call, written)
        # A Facebook commenter: on the surface they last wrote on that can still take
        # the reply: Messenger (linked, written there within 7 days) or under their
        # latest comment.
        linked: List[Tuple[datetime, str, str]] = []
        for other in self._links.conversations_of(conversation.conversation_id):
            other_parsed = split_conversation_id(other)
            if other_parsed is None or other_parsed[1] is not Surface.PRIVATE:
                continue
            written = _last_written(self._tracker(other))
            if written is not None:
                linked.append((written, other, other_parsed[2]))
        routes: List[Tuple[datetime, ReplyRoute]] = []
        if linked:
            written, private, psid = max(linked)
            messenger = ReplyRoute(private, platform, Call(Operation.MESSENGER_SEND, psid), written)
            try:
                messenger_tag(Author.STAFF, written, now)
                routes.append((written, messenger))
            except OutsideWindow:
                pass
        public = self._tracker(conversation.conversation_id)
        latest = _latest(public)
        comment = latest.get("comment_id")
        kit = kit_for(platform)
        refuses = kit is not None and not kit.replies_under_hidden
        if comment and refuses and self._log.taken_down(platform, str(comment)):
            # Instagram, YouTube and LinkedIn take no reply under a comment taken down:
            # it would only fail in the outbox.
            if not linked:
                raise Refused(
                    f"the tenant's latest comment was taken down, and {kit.name} takes no "
                    "reply under it: answer them when they write to us in private, or "
                    "contact them by the means on their file"
                )
            comment = None
        if comment:
            commented = _last_written(public) or datetime.min.replace(tzinfo=timezone.utc)
            # Under the comment a reply is under, where the platform nests one level deep.
            call = Call(Operation.PUBLIC_REPLY, str(latest.get("parent_id") or comment))
            routes.append((commented, ReplyRoute(conversation.conversation_id, platform, call)))
        if routes:
            return max(routes, key=lambda found: found[0])[1]
        if linked:
            # Past Messenger's 7 days and no comment: refused in `reply`, with the reason.
            return messenger
        raise Refused("the tenant has no comment to reply under and no Messenger conversation")

    def _tracker(self, conversation_id: str) -> Mapping[str, Any]:
        return self._rasa.tracker(conversation_id)


# Posted under a public X tenant's post when their DMs are closed and the reply cannot
# go in public (longer than a post, or holding personal details): no personal details.
DMS_CLOSED = (
    "We have a reply for you. Please open your DMs or send us a direct message"
    " so that we can send it."
)
REPLY_KEY = "staff-reply"


def reply_key(handoff_id: str, holding: bool, staff: str) -> str:
    """The outbox key of one staff reply: whose, to which handoff, and whether holding."""
    kind = "holding" if holding else "full"
    return f"{REPLY_KEY}:{handoff_id}:{kind}:{uuid.uuid4().hex}:{staff}"


class StaffReplyListener(OutboxListener):
    """What the outbox tells the handoffs: a staff reply counts once the platform took
    it (acknowledged, answered, P3); one refused for good is kept on the handoff and in
    the audit, and the handoff stays due."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._handoffs = HandoffRepository(engine)

    def sent(self, message: Outbound, platform_id: str, now: datetime) -> None:
        """Record the reply behind `message` as made."""
        reply = self._reply_of(message)
        if reply is not None:
            handoff_id, holding, staff = reply
            self._handoffs.reply_sent(handoff_id, staff, now, holding)

    def refused(self, message: Outbound, error: PlatformError, now: datetime) -> None:
        """Record the reply behind `message` as failed, with the platform's reason."""
        reply = self._reply_of(message)
        if reply is not None:
            handoff_id, _, staff = reply
            self._handoffs.reply_refused(handoff_id, staff, now, str(error))

    def _reply_of(self, message: Outbound) -> Tuple[str, bool, str] | None:
        if message.author is not Author.STAFF:
            return None
        query = select(outbox.c.dedupe_key).where(outbox.c.id == message.id)
        with self._engine.connect() as connection:
            key = connection.execute(query).scalar()
        parts = (key or "").split(":", 4)
        if len(parts) != 5 or parts[0] != REPLY_KEY:
            return None
        _, handoff_id, kind, _, staff = parts
        if self._handoffs.get(handoff_id) is None:
            return None
        return handoff_id, kind == "holding", staff


def _check_text(platform: Platform, call: Call, text: str) -> None:
    """Refuse `text` if it is too long for where `call`, or its fallback, takes it on
    `platform`, or holds personal details and goes out in public."""
    _check_length(platform, call.operation, text)
    for fallback in call.fallback:
        _check_length(platform, fallback.operation, fallback.text or text)
    operation = call.operation
    if operation in PUBLIC_OPERATIONS:
        kinds = sorted({span.kind for span in find(text)})
        if kinds:
            raise Refused(
                "this reply goes out in public and holds personal details"
                f" ({', '.join(kinds)}): take them out (P5)"
            )


def _check_length(platform: Platform, operation: Operation, text: str) -> None:
    limit = limit_of(platform, operation)
    if limit is None or limit.fits(text):
        return
    if limit is X_POST:
        raise Refused(
            f"the reply counts {limit.count(text)} on X (links count 23, emoji 2) and a post"
            f" allows {limit.most}; it goes under the tenant's post if their DMs are closed:"
            " shorten it"
        )
    raise Refused(f"the reply is {limit.count(text)} characters; this one allows {limit.most}")


def _user_events(tracker: Mapping[str, Any]) -> Sequence[Dict[str, Any]]:
    return [e for e in tracker.get("events") or [] if e.get("event") == "user"]


def _last_written(tracker: Mapping[str, Any]) -> datetime | None:
    """When the tenant last wrote in the conversation, or None if they never did."""
    times = [float(e.get("timestamp") or 0) for e in _user_events(tracker)]
    return datetime.fromtimestamp(max(times), timezone.utc) if times else None


def _latest(tracker: Mapping[str, Any]) -> Dict[str, Any]:
    """The metadata of the tenant's latest message in the conversation ({} if none)."""
    events = _user_events(tracker)
    return dict(events[-1].get("metadata") or {}) if events else {}
