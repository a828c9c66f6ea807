"""Security questions before any tenancy matter (P4).

`action_tenancy_gate` runs on every tenancy question and sets `identity_status`:
`public` (never checked or discussed in public), `verified` (a current verification
for this sender), `locked` (this account failed three times) or `unverified` (rules
start `identity_form`). The form asks for the tenancy, the full name and the date of
birth; `validate_identity_form` seals each answer at once, so no answer is kept in
clear. `action_verify_identity` runs the check and sets `identity_status` to
`verified`, `failed` or `locked`, or `stopped` when the tenant said stop.

A repair typed at a question cuts the check short: `action_interrupt_identity_check`
ends the form with its sealed answers kept and `identity_status` `interrupted`, so once
the repair is dealt with the tenant is asked whether to carry on.
`action_resume_identity_check` reads the reply: yes starts the form again at the
question reached (answers more than `ANSWERS_KEPT_FOR` old are dropped, and a locked
account is refused as the gate refuses it); no or stop ends the check, nothing kept.

Only the question asked is read and answered: a slot set to nothing before the form
starts gets no "Sorry, I couldn't read that". "Stop", "cancel" or "never mind" at any
question ends the check (and is no answer). A reply that holds no answer and whose
intent is one of `INTERRUPTIONS` (a repair, an emergency, a person) is turned down by
the form, so its own rules run and it stays readable for staff.

The domain declares the slots in `SESSION_SLOTS`, the form `identity_form` and the
responses `utter_ask_<slot>` and `utter_invalid_<slot>` for each security slot.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from datetime import date, datetime, timezone
from typing import Any, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import dependencies
from actions.metadata import message_context, sender_account
from bot.events import Surface
from bot.handoff.working_hours import WorkingCalendar, describe_when
from bot.tenancy import answers as identity_answers
from bot.tenancy.answers import Locator
from bot.tenancy.identity import (
    Account,
    Answers,
    IdentityChecks,
    Outcome,
    Verification,
    answers_still_kept,
)
from bot.tenancy.masking import (
    SECURITY_SLOTS,
    answers_security_question,
    mark_turn,
    withhold_answers_from_logs,
)
from bot.tenancy.records import Matter
from bot.tenancy.security_question import Sealer

TENANCY_INTENTS = {"ask_rent_balance": Matter.RENT, "ask_repair_status": Matter.REPAIRS}
# Intents that, when a reply is no answer at all, leave the form to their own rules.
INTERRUPTIONS = {"report_emergency", "report_repair", "request_human", "deny"}
# Slots that belong to one session: they never carry over to the next.
# What a reply that holds no answer gets, before the form asks again.
INVALID_ANSWER_RESPONSES = {
    "security_locator": "utter_invalid_security_locator",
    "security_name": "utter_invalid_security_name",
    "security_date_of_birth": "utter_invalid_security_date_of_birth",
}
SESSION_SLOTS = (
    "tenancy_question",
    "identity_status",
    "identity_verification",
    "identity_verified_as",
    "identity_verified_at",
    "identity_locked_until",
    *SECURITY_SLOTS,
)


def current_verification(
    tracker: Tracker, sealer: Sealer, account: Account, now: datetime
) -> Verification | None:
    """The conversation's verification, if it still holds for `account` now."""
    verification = Verification.from_dict(sealer.open(tracker.get_slot("identity_verification")))
    if verification is None:
        return None
    message_times = [
        datetime.fromtimestamp(event["timestamp"], timezone.utc)
        for event in tracker.events
        if event.get("event") == "user" and event.get("timestamp")
    ]
    if verification.is_current(account, tracker.sender_id, message_times, now):
        return verification
    return None


class IdentityAction(Action, ABC):
    """Base of the actions that run or read identity checks: their dependencies."""

    def __init__(
        self,
        checks: IdentityChecks | None = None,
        sealer: Sealer | None = None,
        calendar: WorkingCalendar | None = None,
        clock: dependencies.Clock | None = None,
    ) -> None:
        self._checks = checks or dependencies.identity_checks()
        self._sealer = sealer or dependencies.sealer()
        self._calendar = calendar or dependencies.calendar()
        self._clock = clock or dependencies.utc_now
        withhold_answers_from_logs()

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """`act`, with its turn's log lines withheld if it answered a question (P5).

        The mark stays when `act` fails: the server's log of the failure is withheld.
        """
        mark_turn(answers_security_question(tracker.events))
        events = await self.act(dispatcher, tracker, domain)
        mark_turn(False)
        return events

    @abstractmethod
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """What the action does."""


class ActionTenancyGate(IdentityAction):
    """Decides whether a tenancy question may be answered, checked, or neither."""

    def name(self) -> str:
        return "action_tenancy_gate"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        now = self._clock()
        conversation = message_context(tracker)
        account = sender_account(conversation)
        events: List[EventType] = []
        matter = TENANCY_INTENTS.get((tracker.latest_message.get("intent") or {}).get("name"))
        if matter is not None:
            events.append(SlotSet("tenancy_question", matter.value))
        if conversation.surface is Surface.PUBLIC:
            status = "public"
        elif current_verification(tracker, self._sealer, account, now):
            status = "verified"
        elif locked_until := await asyncio.to_thread(
            self._checks.account_locked_until, account, now
        ):
            status = "locked"
            when = describe_when(locked_until, now, self._calendar.zone)
            events.append(SlotSet("identity_locked_until", when))
        else:
            status = "unverified"
            # Answers left by a check that was stopped or cut short would be taken
            # again when the form starts: a check asked for starts empty (only
            # action_resume_identity_check carries one on).
            events += [SlotSet(slot, None) for slot in SECURITY_SLOTS]
        return [*events, SlotSet("identity_status", status)]


class ActionInterruptIdentityCheck(Action):
    """Ends the form for another matter; its sealed answers stay for a resume."""

    def name(self) -> str:
        return "action_interrupt_identity_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("identity_status", "interrupted"),
        ]


class ActionResumeIdentityCheck(IdentityAction):
    """Carries on with an interrupted check, or ends it, as the tenant replied.

    Sets `identity_status`: `unverified` (the form starts again and asks the first
    question not yet answered), `locked`, or `stopped` (no, or stop: nothing kept).
    Nothing is checked here: a resumed check is checked once, when it is complete.
    """

    def name(self) -> str:
        return "action_resume_identity_check"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        now = self._clock()
        cleared: List[EventType] = [SlotSet(slot, None) for slot in SECURITY_SLOTS]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "deny" or identity_answers.is_stop(tracker.latest_message.get("text") or ""):
            return [*cleared, SlotSet("identity_status", "stopped")]
        conversation = message_context(tracker)
        if conversation.surface is Surface.PUBLIC:
            return [*cleared, SlotSet("identity_status", "public")]
        account = sender_account(conversation)
        locked_until = await asyncio.to_thread(self._checks.account_locked_until, account, now)
        if locked_until:
            when = describe_when(locked_until, now, self._calendar.zone)
            return [
                *cleared,
                SlotSet("identity_locked_until", when),
                SlotSet("identity_status", "locked"),
            ]
        given_at = [
            self._sealer.sealed_at(value) if sealed_answer(self._sealer, slot, value) else None
            for slot in SECURITY_SLOTS
            if (value := tracker.get_slot(slot)) is not None
        ]
        if answers_still_kept(given_at, now):
            return [SlotSet("identity_status", "unverified")]
        # Too old, or not sealed by this server: the check starts from the first question.
        return [*cleared, SlotSet("identity_status", "unverified")]


class ActionVerifyIdentity(IdentityAction):
    """Checks the sealed answers; sets `identity_status` and clears the answers."""

    def name(self) -> str:
        return "action_verify_identity"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        now = self._clock()
        conversation = message_context(tracker)
        events: List[EventType] = [SlotSet(slot, None) for slot in SECURITY_SLOTS]
        if tracker.get_slot("identity_status") == "stopped":
            return [*events, SlotSet("identity_status", "stopped")]
        if conversation.surface is Surface.PUBLIC:
            return [*events, SlotSet("identity_status", "public")]
        answers = self._answers(tracker)
        if answers is None:
            # Sealed with a key this server no longer has: ask again, count nothing.
            return [*events, SlotSet("identity_status", "failed")]
        account = sender_account(conversation)
        # scrypt and the store's queries block: in a worker thread, the action server
        # goes on answering other tenants meanwhile.
        result = await asyncio.to_thread(
            self._checks.attempt, account, conversation.conversation_id, answers, now
        )
        if result.outcome is Outcome.VERIFIED:
            verification = Verification(
                account=account.key,
                conversation_id=conversation.conversation_id,
                tenancy_id=result.person.tenancy_id,
                person_id=result.person.id,
                verified_at=now,
            )
            return [
                *events,
                SlotSet("identity_verification", self._sealer.seal(verification.as_dict())),
                # For staff: who and when, never an answer (bot.tenancy.identity.staff_view).
                SlotSet("identity_verified_as", result.person.describe()),
                SlotSet("identity_verified_at", now.isoformat()),
                SlotSet("identity_status", "verified"),
            ]
        if result.outcome is Outcome.FAILED:
            return [*events, SlotSet("identity_status", "failed")]
        when = describe_when(result.locked_until, now, self._calendar.zone)
        return [
            *events,
            SlotSet("identity_locked_until", when),
            SlotSet("identity_status", "locked"),
        ]

    def _answers(self, tracker: Tracker) -> Answers | None:
        opened = {}
        for slot in SECURITY_SLOTS:
            sealed = self._sealer.open(tracker.get_slot(slot))
            if not isinstance(sealed, list) or len(sealed) != 2 or sealed[0] != slot:
                return None
            opened[slot] = sealed[1]
        try:
            return Answers(
                locator=Locator(**opened["security_locator"]),
                name=opened["security_name"],
                date_of_birth=date.fromisoformat(opened["security_date_of_birth"]),
            )
        except (TypeError, ValueError):
            return None


def sealed_answer(sealer: Sealer, slot: str, value: Any) -> bool:
    """Whether `value` is an answer to `slot` that this server sealed."""
    opened = sealer.open(value)
    return isinstance(opened, list) and len(opened) == 2 and opened[0] == slot
