"""The start of every conversation session."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import dependencies
from actions.identity import SESSION_SLOTS
from actions.service_alerts import mention
from bot.association import Association, slot_names
from bot.events import Surface
from bot.handoff.handoffs import HandoffRepository
from bot.handoff.threads import split_conversation_id
from bot.service_alerts.alerts import urgent
from bot.service_alerts.store import ServiceAlerts


class ActionSessionStart(Action):
    """Start a session with the association's details in slots.

    Responses interpolate these slots, so the association's name, website, phone
    numbers and emergency contacts are written once, in the association file.
    Other slots carry over when the domain's session config says so, except an
    identity check's: verification ends with the session (P4).

    A new session (Rasa's SessionStarted resets the conversation, its pause too, after
    an idle hour or a restart) stays paused while its handoff is open: a conversation
    handed to people stays with them until staff hand it back (P3).
    """

    def __init__(
        self,
        association: Association | None = None,
        handoffs: HandoffRepository | None = None,
        alerts: ServiceAlerts | None = None,
        clock: dependencies.Clock | None = None,
    ) -> None:
        self._association = association or dependencies.association()
        self._handoffs = handoffs or dependencies.handoff_repository()
        self._alerts = alerts or dependencies.service_alerts()
        self._clock = clock or dependencies.utc_now

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        if domain.get("session_config", {}).get("carry_over_slots_to_new_session", True):
            fresh = set(slot_names()) | set(SESSION_SLOTS)
            events += [
                SlotSet(name, value)
                for name, value in tracker.current_slot_values().items()
                if name not in fresh and value is not None
            ]
        events += [SlotSet(name, value) for name, value in self._association.as_slots().items()]
        # The store is blocking: in a thread, so other tenants' replies are not held up.
        handoff = await asyncio.to_thread(self._handoffs.open_for, tracker.sender_id)
        # A handoff that needs no reply (a compliment passed on) keeps no one waiting.
        if handoff is not None and handoff.needs_reply:
            events.append(ConversationPaused())
        # A live alert marked urgent for everyone opens a private conversation. The
        # tenant's area is not known yet: only the alerts for everywhere are said.
        conversation = split_conversation_id(tracker.sender_id)
        if conversation is not None and conversation[1] is Surface.PRIVATE:
            now = self._clock()
            current = await asyncio.to_thread(self._alerts.current, now)
            mention(dispatcher, urgent(current, now, None), now)
        events.append(ActionExecuted("action_listen"))
        return events
