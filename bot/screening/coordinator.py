"""Screening every message before the dialogue sees it (P2, P5, P6, P7, P8).

A public comment, visitor's post or mention, new or edited, is triaged
(`bot.screening.public_threads`): one that breaks the rules, holds personal details or belongs in
private (an emergency on X too: its numbers in the post, the rest by DM) is dealt
with here, through the outbox, and never answered in public by the dialogue; anything
else goes on to the dialogue (an edit of it is only kept: it was answered as first
written). Every message, public or private, is read for abuse, so that strikes add up
and threats to staff block their author at once. What was done
goes to the moderation log, with reasons and never the details.

Screening a message again (the server died before it was marked processed) does the
same again and nothing twice: every call has its key in the outbox, every log entry
its key in the log, and a handoff is raised only where none is open.

No Rasa here: the runtime passes in the intent the model read, and records the outcome
in the conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, List, Mapping, Sequence, Tuple

from sqlalchemy.engine import Engine

from bot.association import Association
from bot.events import InboundEvent, Operation, Surface
from bot.handoff.handoffs import Conversation, Handoff, Reason, Teams
from bot.handoff.service import HandoffService
from bot.handoff.working_hours import WorkingCalendar, describe_when
from bot.moderation import Assessment, Category, assess, mask_swearing
from bot.moderation.log import DONE, FOR_STAFF, Action, History, ModerationLog, Subject
from bot.moderation.retention import PublicComments
from bot.moderation.strikes import Sanction, sanction
from bot.outbox import Call, Outbound, Outbox, OutboxListener, PlatformError
from bot.platforms.kit import Said
from bot.platforms.registry import KITS
from bot.platforms.routing import reply_route
from bot.privacy import Span, find, redact
from bot.screening.follow_ups import NOT_AN_ACCOUNT, Awaits, FollowUps, passed_on_words
from bot.screening.public_threads import Route, Triage, Wording, awaits, triage, wording
from bot.service_alerts.publishing import is_announcement

# How sure the model must be that a message is abuse for that alone to remove it.
ABUSE_CONFIDENCE = 0.8
PERSONAL_DETAILS = "personal details in public (P5)"
# Who is told what a private reply asked the author to tell us (P6, P11).
PASSED_TO = {
    Awaits.STAFF_NAMED: Reason.STAFF_NAMED,
    Awaits.ANTISOCIAL_BEHAVIOUR: Reason.ANTISOCIAL_BEHAVIOUR,
}
# What is wrong only in public: a staff name or a link in a private message is no offence.
PRIVATE_HARMLESS = frozenset({Category.STAFF_NAMED, Category.SUSPICIOUS_LINK})


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
    said: Tuple[Tuple[Surface, str], ...] = ()
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
        detector: Callable[[str], Sequence[Span]] = find,
        handoffs: HandoffService | None = None,
    ) -> None:
        """`detector` finds the personal details in a post: every kind it returns is one.

        `handoffs` opens handoffs (by default for the association's teams, telling no one).
        """
        self._detector = detector
        self._outbox = outbox
        self._association = association
        self._settings = association.moderation
        self._calendar = calendar
        self._handoffs = handoffs or HandoffService(
            engine, calendar, Teams.from_config(association.teams)
        )
        self.log = ModerationLog(engine, outbox)
        self.comments = PublicComments(engine, outbox, self.log)
        self.follow_ups = FollowUps(engine, self.log.accounts)

    @property
    def months_to_keep_comments(self) -> int:
        """How long public comments stay (P10), unless their platform's period differs."""
        return self._settings.comment_retention_months

    @property
    def months_to_keep_by_platform(self) -> Mapping[str, int]:
        """The platforms whose public comments stay another period (P10)."""
        return self._settings.comment_retention_by_platform

    def screen(self, event: InboundEvent, intent: Intent, now: datetime) -> Screened:
        """Screen one message; platform calls go to the outbox before this returns."""
        abusive = intent.name == "abuse" and intent.confidence >= ABUSE_CONFIDENCE
        assessment = assess(event.text, self._settings.rules, abusive_intent=abusive)
        if event.surface is not Surface.PUBLIC:
            # The dialogue answers first (a warning); a block follows its reply.
            later, blocked = self._sanction(event, assessment, now)
            # A message that earned a block is passed on to no one, whether or not the
            # platform has a call for the block (Instagram's is left to staff).
            passed = None if blocked else self._pass_on(event, intent, now)
            return passed or Screened(dialogue=True, text=event.text, later=tuple(later))
        spans = self._detector(event.text)
        decided = triage(event.text, intent.name, assessment, spans, event.platform)
        if event.kind.startswith("edited_") and decided.route in (Route.ANSWER, Route.MOVE_PRIVATE):
            # An edit was answered as first written; only what must come down is acted on.
            return Screened(dialogue=False, text=event.text, route=Route.ANSWER)
        if decided.route is Route.ANSWER:
            self._note_comment(event)
            return Screened(dialogue=True, text=event.text, route=decided.route)
        kept = mask_swearing(redact(event.text, spans))
        return self._take_down_or_move(event, decided, intent, kept, now)

    def send_later(self, event: InboundEvent, calls: Sequence[Call], now: datetime) -> None:
        """Queue the calls a screening left for after the dialogue (a block)."""
        self._enqueue(event, calls, now, "after")

    def hand_over_set_aside(self, event: InboundEvent, emergency: bool, now: datetime) -> Handoff:
        """P12: a message set aside after failing goes to people; an emergency is urgent.

        The tenant's open handoff is joined (an emergency raises it, or is a new
        urgent one beside a matter another team holds: `HandoffService.open`); else
        one is added.
        """
        reason = Reason.EMERGENCY if emergency else Reason.PROCESSING_FAILED
        return self._handoffs.open(reason, _conversation(event), now, words=event.text)

    def _pass_on(self, event: InboundEvent, intent: Intent, now: datetime) -> Screened | None:
        """Pass on what a private reply asked the author to tell us, if this is it.

        A greeting, thanks, an emergency (P2) and the like are the dialogue's, and the
        follow-up waits for the next message.
        """
        route = reply_route(event)
        if route is None or intent.name in NOT_AN_ACCOUNT or not event.text.strip():
            return None
        key = f"{event.platform}:{event.event_id}:pass_on"
        follow_up = self.follow_ups.pending(event.platform, event.author_id, now, key)
        if follow_up is None:
            return None
        handoff = self._handoffs.open(
            PASSED_TO[follow_up.awaits], _conversation(event), now, intent.name, event.text
        )
        self.follow_ups.passed_on(follow_up, handoff.id, now, key)
        reply_by = describe_when(handoff.reply_by, now, self._calendar.zone)
        told = passed_on_words(follow_up.awaits, handoff.team, reply_by, self._association)
        operation, target = route
        self._enqueue(event, [Call(operation, target, told)], now, "pass_on")
        return Screened(
            False, event.text, ((event.surface, told),), pause=True, route=Route.PASS_ON
        )

    def _take_down_or_move(
        self, event: InboundEvent, decided: Triage, intent: Intent, kept: str, now: datetime
    ) -> Screened:
        """REMOVE, PROTECT or MOVE_PRIVATE: the calls, the log, the handoff."""
        handoff = self._handoff(event, decided, intent, now)
        reply_by = describe_when(handoff.reply_by, now, self._calendar.zone) if handoff else None
        zone = self._calendar.zone
        back = None
        if not self._calendar.is_monitoring(now):
            back = describe_when(self._calendar.next_monitoring_start(now), now, zone)
        kit = KITS[event.platform]
        hideable = kit.can_hide(event)
        deleted = bool(
            decided.personal_details
            and kit.deletes_comments
            and self._settings.delete_personal_details
        )
        self._log_route(event, decided, hideable, deleted, now)
        # P2 first: an emergency earns no strike, whatever words it came in.
        punishment = (
            Sanction()
            if decided.route is not Route.REMOVE or decided.emergency
            else self._punishment(event, decided.assessment, now)
        )
        calls: List[Call] = []
        said = wording(
            decided,
            event.platform,
            self._association,
            reply_by=reply_by,
            removed=hideable,
            # Said only where the platform blocks: Instagram's block is staff's to make.
            blocked=punishment.block and kit.blocks,
            followed=self._settings.follow_to_receive_dms,
            back=back,
        )
        # What a private reply asks the author to tell us: none where there is none.
        asked = awaits(decided) if kit.messages else None
        if asked:
            # The private reply asks the author to tell us more: passed on when they do.
            self.follow_ups.promise(
                event.platform,
                event.author_id,
                event.conversation_id,
                Awaits(asked),
                now,
                f"{event.platform}:{event.event_id}:follow_up",
            )
        told = _said(said)
        if decided.route is Route.MOVE_PRIVATE:
            calls.append(kit.public_call(event, said.public or ""))
        else:
            # Out of public view where the platform allows, else asked in public.
            calls.extend(kit.hide_calls(event, told))
        private = kit.private_call(event, told, self._settings.follow_to_receive_dms)
        if private is not None:
            calls.append(private)
        if deleted:
            # After the private reply: Meta answers a deleted comment with no reply.
            calls.append(kit.delete_call(event))
        self._enqueue(event, calls, now, "screen")
        self._apply(event, decided.assessment, punishment, now, send=True)
        # What is gone needs no removing later (P10).
        gone = deleted or (
            decided.route is not Route.MOVE_PRIVATE and hideable and kit.hide_deletes
        )
        if not gone:
            self._note_comment(event)
        said_list = [(Surface.PUBLIC, said.public)] if said.public else []
        if private is not None:
            said_list.append((Surface.PRIVATE, said.private or ""))
        return Screened(
            False, kept, tuple(said_list), pause=handoff is not None, route=decided.route
        )

    def _handoff(self, event: InboundEvent, decided: Triage, intent: Intent, now: datetime):
        """The handoff a post raises, if any: open already (raised for an emergency), or new."""
        if decided.emergency:
            reason = Reason.EMERGENCY
        elif decided.topic == "negative" and (decided.route is not Route.REMOVE or decided.civil):
            reason = Reason.NEGATIVE_PUBLIC_COMMENT
        elif decided.topic == "person" and (decided.route is not Route.REMOVE or decided.civil):
            reason = Reason.REQUEST_HUMAN
        else:
            return None
        conversation = _conversation(event, Surface.PUBLIC)
        return self._handoffs.open(reason, conversation, now, intent.name, event.text)

    def _log_route(
        self, event: InboundEvent, decided: Triage, hidden: bool, deleted: bool, now: datetime
    ) -> None:
        kinds = decided.personal_details
        if decided.route is Route.REMOVE:
            reason = decided.assessment.reasons()
            if hidden:
                self._log(event, now, Action.HIDE, reason, kinds)
            elif kinds:
                self._log(event, now, Action.ASK_TO_DELETE, PERSONAL_DETAILS, kinds)
            self._log(event, now, Action.WARN, reason)
        elif decided.route is Route.PROTECT:
            hide = Action.HIDE if hidden else Action.ASK_TO_DELETE
            self._log(event, now, hide, PERSONAL_DETAILS, kinds)
        if deleted:
            self._log(event, now, Action.DELETE, PERSONAL_DETAILS, kinds)

    def _punishment(self, event: InboundEvent, assessment: Assessment, now: datetime) -> Sanction:
        """The sanction from the person's whole record, its strike logged in the same step."""
        policy = self._settings.strikes

        def decide(history: History) -> Sanction:
            return sanction(assessment, history.strikes, now, policy, history.staff_named)

        strike, warning = self._key(event, Action.STRIKE), self._key(event, Action.WARN)
        return self.log.judge(
            now, _subject(event), decide, assessment.reasons(), strike, besides=(warning,)
        )

    def _sanction(
        self, event: InboundEvent, assessment: Assessment, now: datetime
    ) -> Tuple[List[Call], bool]:
        """A private message's sanction: logged now, its calls left for after the reply;
        and whether it is a block."""
        # Naming staff or sharing a link in private hurts no one: only malice counts here.
        assessment = Assessment(
            tuple(f for f in assessment.findings if f.category not in PRIVATE_HARMLESS)
        )
        if not assessment.remove:
            return [], False
        decided = self._punishment(event, assessment, now)
        return self._apply(event, assessment, decided, now, send=False), decided.block

    def _apply(
        self,
        event: InboundEvent,
        assessment: Assessment,
        decided: Sanction,
        now: datetime,
        send: bool,
    ) -> List[Call]:
        """Block, report and flag as decided (the strike is logged already); returns the
        calls not yet queued."""
        if not decided.block:
            return []
        blocked = KITS[event.platform].block(event, decided.report)
        account, calls = blocked.account, list(blocked.calls)
        # Where the platform has no call for it (an Instagram block, a Facebook report),
        # staff do it by hand.
        state = DONE if calls else FOR_STAFF
        self._log(event, now, Action.BLOCK, decided.reason, state=state, target=account)
        if decided.report:
            state = DONE if blocked.reported else FOR_STAFF
            self._log(event, now, Action.REPORT, decided.reason, state=state, target=account)
        if decided.flag:
            # The review joins the tenant's open handoff, whatever its team (as a
            # request for a person does): its staff see the block in the log.
            self._handoffs.open(
                Reason.MODERATION_REVIEW,
                _conversation(event),
                now,
                words=event.text,
                details={"moderation": decided.reason},
            )
        if send:
            self.send_later(event, calls, now)
            return []
        return calls

    def _enqueue(self, event: InboundEvent, calls: Sequence[Call], now: datetime, tag: str) -> None:
        """Queue the calls in order, each once however often the event is screened."""
        self._outbox.enqueue_all(
            event.conversation_id,
            event.platform,
            calls,
            now,
            f"{event.platform}:{event.event_id}:{tag}",
            user_message_at=event.sent_at,
        )

    def _note_comment(self, event: InboundEvent) -> None:
        if KITS[event.platform].keeps_comments and event.comment_id:
            self.comments.note(
                event.comment_id,
                event.sent_at,
                event.post_id,
                event.author_id,
                platform=event.platform,
            )

    @staticmethod
    def _key(event: InboundEvent, action: Action) -> str:
        return f"{event.platform}:{event.event_id}:{action.value}"

    def _log(
        self,
        event: InboundEvent,
        now: datetime,
        action: Action,
        reason: str,
        kinds: Sequence[str] = (),
        state: str = DONE,
        target: str | None = None,
    ) -> None:
        subject, key = _subject(event, target), self._key(event, action)
        self.log.record(now, subject, action, reason, detail_kinds=kinds, state=state, key=key)


class ModerationListener(OutboxListener):
    """What the outbox tells moderation: the account's public replies and comments are
    public comments too (P10), a follow made is logged so that staff can undo it (P8), a
    private reply that reached a commenter links their Messenger id to their comments
    (P7), and a call the platform refused marks its log entry failed."""

    def __init__(self, comments: PublicComments, log: ModerationLog) -> None:
        self._comments = comments
        self._log = log

    def sent(self, message: Outbound, platform_id: str, now: datetime) -> None:
        """Note a public reply; log a follow."""
        kit = KITS.get(message.platform)
        if (
            message.operation in (Operation.PUBLIC_REPLY, Operation.PUBLIC_POST)
            and platform_id
            and kit
            and kit.keeps_comments
            and not is_announcement(message.conversation_id)
        ):
            self._comments.note(platform_id, now, by_page=True, platform=message.platform)
        if message.operation is Operation.PRIVATE_REPLY and (platform_id or "").startswith("psid:"):
            # The private reply reached the commenter in Messenger: both ids are theirs,
            # and their strikes add up (P7).
            commenter = message.conversation_id.removeprefix(f"{message.platform}-public-")
            self._log.link(message.platform, commenter, platform_id.removeprefix("psid:"))
        if message.operation is Operation.X_FOLLOW:
            followed = Subject(
                message.platform, message.target, message.conversation_id, message.target
            )
            why = "so that they can send a direct message (P8)"
            self._log.record(now, followed, Action.FOLLOW, why, key=f"follow:{message.id}")

    def refused(self, message: Outbound, error: PlatformError, now: datetime) -> None:
        """Mark the moderation action behind a refused call as failed."""
        kit = KITS.get(message.platform)
        action = kit.action_of.get(message.operation) if kit else None
        if action is not None:
            self._log.failed(message.platform, Action(action), message.target)


def _said(said: Wording) -> Said:
    """Screening's words, as a platform's kit takes them."""
    return Said(
        said.public, said.private, said.public_if_not_hidden, said.public_if_private_refused
    )


def _conversation(event: InboundEvent, surface: Surface | None = None) -> Conversation:
    """The conversation `event` is in, as a handoff records it."""
    return Conversation(
        event.conversation_id, event.platform, surface or event.surface, event.author_id
    )


def _subject(event: InboundEvent, target: str | None = None) -> Subject:
    """What a log entry about `event` is about: its author, and the post or `target`."""
    return Subject(
        event.platform,
        event.author_id,
        event.conversation_id,
        target or event.comment_id or event.tweet_id,
    )
