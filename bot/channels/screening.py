"""Screening every message before the dialogue sees it (P5, P6, P7, P8).

A public comment or mention is triaged (`bot.public_threads`): one that breaks the
rules, holds personal details or belongs in private is dealt with here, through the
outbox, and never answered in public by the dialogue; anything else goes on to the
dialogue. Every message, public or private, is read for abuse, so that strikes add up
and threats to staff block their author at once. What was done goes to the moderation
log, with reasons and never the details.

No Rasa here: the runtime passes in the intent the model read, and records the outcome
in the conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Sequence, Tuple

from sqlalchemy.engine import Engine

from bot.association import Association
from bot.channels.events import InboundEvent
from bot.handoff import Conversation, HandoffRepository, Reason, plan
from bot.moderation import Assessment, assess, mask_swearing
from bot.moderation_log import FOR_STAFF, Action, ModerationLog
from bot.outbox import Author, Call, Operation, Outbox
from bot.privacy import find, redact
from bot.public_threads import Route, Triage, triage, wording
from bot.retention import PublicComments
from bot.strikes import Sanction, sanction
from bot.working_hours import WorkingCalendar, describe_when

# How sure the model must be that a message is abuse for that alone to remove it.
ABUSE_CONFIDENCE = 0.8
# A platform call, and what to do instead if the platform refuses it for good.
Planned = Tuple[Call, List[Call]]
# Which handoff a move to private raises, by topic (P6, P11).
HANDOFF_FOR_TOPIC = {"negative": Reason.NEGATIVE_PUBLIC_COMMENT, "person": Reason.REQUEST_HUMAN}


@dataclass(frozen=True)
class Intent:
    """What the model read in a message."""

    name: str | None = None
    confidence: float = 0.0


@dataclass(frozen=True)
class Screened:
    """What became of a message.

    `dialogue`: hand it to the dialogue as usual. Otherwise the conversation keeps
    `text` (personal details and swear words masked), what the assistant `said` in
    public and in private, and is paused when a person takes it over. `later` holds
    calls to queue once the dialogue has answered (`Screening.send_later`).
    """

    dialogue: bool
    text: str
    said: Tuple[Tuple[str, str], ...] = ()
    pause: bool = False
    route: Route = Route.ANSWER
    later: Tuple[Call, ...] = ()


class Screening:
    """Carries out the screening decisions for one store and one association."""

    def __init__(
        self,
        engine: Engine,
        outbox: Outbox,
        association: Association,
        calendar: WorkingCalendar,
    ) -> None:
        self._outbox = outbox
        self._association = association
        self._settings = association.moderation
        self._calendar = calendar
        self._handoffs = HandoffRepository(engine)
        self.log = ModerationLog(engine, outbox)
        self.comments = PublicComments(engine, outbox, self.log)

    @property
    def months_to_keep_comments(self) -> int:
        """How long public Facebook comments stay (P10)."""
        return self._settings.comment_retention_months

    def screen(self, event: InboundEvent, intent: Intent, now: datetime) -> Screened:
        """Screen one message; platform calls go to the outbox before this returns."""
        abusive = intent.name == "abuse" and intent.confidence >= ABUSE_CONFIDENCE
        assessment = assess(event.text, self._settings.rules, abusive_intent=abusive)
        if event.surface != "public":
            # The dialogue answers first (a warning); a block follows its reply.
            later: List[Call] = []
            self._sanction(event, assessment, now, calls=later, send=False)
            return Screened(dialogue=True, text=event.text, later=tuple(later))
        spans = find(event.text)
        decided = triage(event.text, intent.name, assessment, spans)
        kept = mask_swearing(redact(event.text, spans))
        if decided.route is Route.ANSWER:
            self._note_comment(event)
            return Screened(dialogue=True, text=event.text, route=decided.route)
        if decided.route is Route.REMOVE:
            return self._remove(event, decided, kept, now)
        if decided.route is Route.PROTECT:
            return self._protect(event, decided, kept, now)
        return self._move_private(event, decided, kept, now)

    def _remove(self, event: InboundEvent, decided: Triage, kept: str, now: datetime) -> Screened:
        calls: List[Planned] = []
        hidden = self._hide(event, calls)
        punishment = sanction(
            decided.assessment,
            self.log.strikes(event.platform, event.author_id),
            now,
            self._settings.strikes,
        )
        said = wording(decided, event.platform, self._association, blocked=punishment.block)
        calls.append(self._private_call(event, said.private))
        if not self._enqueue(event, calls, now):
            return self._already(kept, decided)
        reason = decided.assessment.reasons()
        if hidden:
            self._log(event, now, Action.HIDE, reason)
        self._log(event, now, Action.WARN, reason)
        self._sanction(event, decided.assessment, now, calls=[], decided=punishment)
        return Screened(False, kept, (("private", said.private or ""),), route=decided.route)

    def _protect(self, event: InboundEvent, decided: Triage, kept: str, now: datetime) -> Screened:
        calls: List[Planned] = []
        hidden = self._hide(event, calls)
        said = wording(decided, event.platform, self._association, removed=hidden,
                       followed=self._settings.follow_to_receive_dms)  # fmt: skip
        if said.public:
            calls.append(self._public_call(event, said.public))
        calls.append(self._private_call(event, said.private, said.public_if_private_refused))
        deleted = event.platform == "facebook" and self._settings.delete_personal_details and hidden
        if deleted:
            # After the private reply: Facebook answers a deleted comment with no reply.
            calls.append((Call(Operation.DELETE_COMMENT, str(event.comment_id)), []))
        if not self._enqueue(event, calls, now):
            return self._already(kept, decided)
        reason = "personal details in public (P5)"
        kinds = decided.personal_details
        self._log(event, now, Action.HIDE if hidden else Action.ASK_TO_DELETE, reason, kinds)
        if deleted:
            self._log(event, now, Action.DELETE, reason, kinds)
        else:
            self._note_comment(event)
        said_list = [("public", said.public)] if said.public else []
        said_list.append(("private", said.private or ""))
        return Screened(False, kept, tuple(said_list), route=decided.route)

    def _move_private(
        self, event: InboundEvent, decided: Triage, kept: str, now: datetime
    ) -> Screened:
        reason = HANDOFF_FOR_TOPIC.get(decided.topic or "")
        conversation = Conversation(
            event.conversation_id, event.platform, "public", event.author_id
        )
        handoff = None
        if reason is not None:
            handoff = self._handoffs.open_for(event.conversation_id) or plan(
                reason, conversation, now, self._calendar
            )
        reply_by = describe_when(handoff.reply_by, now, self._calendar.zone) if handoff else None
        said = wording(decided, event.platform, self._association, reply_by=reply_by,
                       followed=self._settings.follow_to_receive_dms)  # fmt: skip
        calls = [
            self._public_call(event, said.public or ""),
            self._private_call(event, said.private, said.public_if_private_refused),
        ]
        if not self._enqueue(event, calls, now):
            return self._already(kept, decided)
        if handoff is not None and self._handoffs.get(handoff.id) is None:
            self._handoffs.add(handoff)
        self._note_comment(event)
        said_list = (("public", said.public or ""), ("private", said.private or ""))
        return Screened(False, event.text, said_list, pause=handoff is not None,
                        route=decided.route)  # fmt: skip

    def _sanction(
        self,
        event: InboundEvent,
        assessment: Assessment,
        now: datetime,
        calls: List[Call],
        decided: Sanction | None = None,
        send: bool = True,
    ) -> None:
        """Strike, block, report and flag as the strike policy says.

        The calls are queued at once, or with `send=False` left in `calls` for
        `send_later`, once the dialogue has answered.
        """
        if decided is None:
            if not assessment.remove:
                return
            strikes = self.log.strikes(event.platform, event.author_id)
            decided = sanction(assessment, strikes, now, self._settings.strikes)
        if decided.strike:
            self._log(event, now, Action.STRIKE, f"{assessment.reasons()}: {decided.reason}")
        if not decided.block:
            return
        twitter = event.platform == "twitter"
        calls.append(Call(Operation.X_BLOCK if twitter else Operation.BLOCK_USER, event.author_id))
        if decided.report and twitter:
            calls.append(Call(Operation.X_REPORT_SPAM, event.author_id))
        if send:
            self.send_later(event, calls, now)
        self._log(event, now, Action.BLOCK, decided.reason)
        if decided.report:
            # Facebook has no call to report a person: staff report them by hand.
            state = "done" if twitter else FOR_STAFF
            self._log(event, now, Action.REPORT, decided.reason, state=state)
        if decided.flag and self._handoffs.open_for(event.conversation_id) is None:
            conversation = Conversation(
                event.conversation_id, event.platform, event.surface, event.author_id
            )
            self._handoffs.add(plan(Reason.MODERATION_REVIEW, conversation, now, self._calendar))

    def _hide(self, event: InboundEvent, calls: List[Planned]) -> bool:
        """Add the call that takes the post out of public view, if the platform allows."""
        if event.platform == "facebook":
            calls.append((Call(Operation.HIDE_COMMENT, str(event.comment_id)), []))
            return True
        if event.reply_to_account:
            calls.append((Call(Operation.X_HIDE_REPLY, str(event.tweet_id)), []))
            return True
        return False  # X hides only replies to the account's own posts

    def _public_call(self, event: InboundEvent, text: str) -> Planned:
        if event.platform == "facebook":
            return Call(Operation.PUBLIC_REPLY, str(event.comment_id), text), []
        return Call(Operation.X_REPLY, str(event.tweet_id), text), []

    def _private_call(
        self, event: InboundEvent, text: str | None, if_refused: str | None = None
    ) -> Planned:
        if event.platform == "facebook":
            # One private reply per comment: it opens the Messenger conversation.
            return Call(Operation.PRIVATE_REPLY, str(event.comment_id), text), []
        # P8: if the author accepts no DMs, follow them (where allowed) and ask in public.
        fallback = []
        if if_refused and self._settings.follow_to_receive_dms:
            fallback.append(Call(Operation.X_FOLLOW, event.author_id))
        if if_refused:
            fallback.append(Call(Operation.X_REPLY, str(event.tweet_id), if_refused))
        return Call(Operation.X_DM, event.author_id, text), fallback

    def _enqueue(self, event: InboundEvent, calls: Sequence[Planned], now: datetime) -> bool:
        """Queue the calls in order; False if this event was screened before (a crash)."""
        first = True
        for position, (call, fallback) in enumerate(calls):
            queued = self._outbox.enqueue(
                event.conversation_id,
                event.platform,
                call.operation,
                call.target,
                now,
                text=call.text,
                author=Author.ASSISTANT,
                user_message_at=event.sent_at,
                dedupe_key=f"{event.platform}:{event.event_id}:screen:{position}",
                fallback=fallback,
            )
            if first and queued is None:
                return False
            first = False
        return True

    def send_later(self, event: InboundEvent, calls: Sequence[Call], now: datetime) -> None:
        """Queue the calls a screening left for after the dialogue (a block)."""
        for position, call in enumerate(calls):
            self._outbox.enqueue(
                event.conversation_id,
                event.platform,
                call.operation,
                call.target,
                now,
                dedupe_key=f"{event.platform}:{event.event_id}:sanction:{position}",
            )

    def _note_comment(self, event: InboundEvent) -> None:
        if event.platform == "facebook" and event.comment_id:
            self.comments.note(event.comment_id, event.sent_at, event.post_id, event.author_id)

    def _log(
        self,
        event: InboundEvent,
        now: datetime,
        action: Action,
        reason: str,
        kinds: Sequence[str] = (),
        state: str = "done",
    ) -> None:
        target = event.comment_id or event.tweet_id
        self.log.record(now, event.platform, action, reason, author_id=event.author_id,
                        conversation_id=event.conversation_id, target=target,
                        detail_kinds=kinds, state=state)  # fmt: skip

    @staticmethod
    def _already(kept: str, decided: Triage) -> Screened:
        # Screened before a crash: its calls are queued and logged; record it once more.
        return Screened(False, kept, route=decided.route)
