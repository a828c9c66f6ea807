"""Handing a conversation to people: record it, tell the tenant honestly, pause.

Rules run `action_hand_off_<reason>`, then `utter_handoff` (whose variation the
`handoff_case` slot picks), then `action_pause_for_staff`. While paused, the
assistant sends nothing and what the tenant writes stays in the conversation for staff.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import dependencies
from actions.metadata import message_context
from bot.handoff.handoffs import Conversation, Handoff, Reason, TenantNotice, notice
from bot.handoff.service import HandoffService


class HandOff(Action, ABC):
    """Base of the handoff actions: one concrete action for each reason.

    Sets the slots `utter_handoff` uses: `handoff_case`, `handoff_team`,
    `handoff_reply_by` and `monitoring_resumes`.
    """

    def __init__(
        self,
        service: HandoffService | None = None,
        clock: dependencies.Clock | None = None,
    ) -> None:
        self._service = service or dependencies.handoff_service()
        self._clock = clock or dependencies.utc_now

    # Whether the handoff keeps the tenant with people (the rules pause after it).
    holds_conversation = True

    @property
    @abstractmethod
    def reason(self) -> Reason:
        """Why this action hands the conversation over."""

    def name(self) -> str:
        return f"action_hand_off_{self.reason.value}"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[EventType]:
        now = self._clock()
        latest = tracker.latest_message or {}
        intent = (latest.get("intent") or {}).get("name")
        # The store is blocking: in a thread, so other tenants' replies are not held up.
        handoff = await asyncio.to_thread(
            self._record, message_context(tracker), now, intent, self.words(tracker)
        )
        told = notice(handoff, now, self._service.calendar)
        self.tell(dispatcher, told)
        return [
            SlotSet("handoff_case", told.case),
            SlotSet("handoff_team", told.team),
            SlotSet("handoff_reply_by", told.reply_by),
            SlotSet("monitoring_resumes", told.monitoring_resumes),
        ]

    def tell(self, dispatcher: CollectingDispatcher, told: TenantNotice) -> None:
        """Say anything of the handoff beyond `utter_handoff`, which the rules send; by
        default nothing."""

    def words(self, tracker: Tracker) -> str | None:
        """The tenant's words staff read in the summary: their latest message."""
        return (tracker.latest_message or {}).get("text")

    def _record(
        self, conversation: Conversation, now: datetime, intent: str | None, words: str | None
    ) -> Handoff:
        return self._service.open(
            self.reason,
            conversation,
            now,
            intent=intent,
            words=words,
            holds_conversation=self.holds_conversation,
        )


class ActionHandOffRequestHuman(HandOff):
    """The tenant asked for a person."""

    reason = Reason.REQUEST_HUMAN


class ActionHandOffComplaint(HandOff):
    """A complaint: to Customer Experience (P11)."""

    reason = Reason.COMPLAINT


class ActionHandOffComplaintWithRepair(HandOff):
    """A complaint that came with a repair (`report_repair+make_complaint`).

    The complaint goes to Customer Experience at once, as its own handoff (P11), and
    the tenant is told by when they aim to reply; the conversation is not paused, as
    the repair is triaged next like any repair (rules/repairs.yml), and pauses only
    when the repair is handed to Repairs, as its own handoff (bot.handoff.service).
    """

    reason = Reason.COMPLAINT
    # The tenant's answers to the repair questions must reach the assistant.
    holds_conversation = False

    def name(self) -> str:
        return "action_hand_off_complaint_with_repair"

    def tell(self, dispatcher: CollectingDispatcher, told: TenantNotice) -> None:
        """The complaint passed on, to whom and by when; the repair next."""
        dispatcher.utter_message(
            response="utter_complaint_passed_repair_next",
            handoff_team=told.team,
            handoff_reply_by=told.reply_by,
        )


class ActionHandOffRepeatedFallback(HandOff):
    """The assistant did not understand twice in a row."""

    reason = Reason.REPEATED_FALLBACK


class ActionHandOffIdentityCheckFailed(HandOff):
    """Three failed security checks: a person is offered (P4)."""

    reason = Reason.IDENTITY_CHECK_FAILED


class ActionHandOffEmergency(HandOff):
    """An emergency: urgent, to the Repairs team (P2)."""

    reason = Reason.EMERGENCY


class ActionPauseForStaff(Action):
    """Pause the conversation: the assistant stays silent until staff hand it back."""

    def name(self) -> str:
        return "action_pause_for_staff"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[EventType]:
        # Listening, so that a handed-back conversation picks up as a normal user turn.
        return [ConversationPaused(), ActionExecuted("action_listen")]
