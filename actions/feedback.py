"""Compliments: passed to Customer Experience with whom they are about (P11). Getting
involved: the survey Communications invite tenants to, while one is open (P11).

The rule runs `action_record_compliment` before `utter_compliment`, which tells the
tenant it was passed on. A compliment needs no reply: nothing pauses, the assistant
keeps helping. A compliment in public is thanked in public and recorded the same way.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import dependencies
from actions.metadata import message_context
from bot.association import Association
from bot.events import Surface
from bot.feedback.compliments import compliment_about
from bot.feedback.invitations import Invitations, invited
from bot.handoff.handoffs import Reason
from bot.handoff.service import HandoffService
from bot.handoff.working_hours import WorkingCalendar


class ActionRecordCompliment(Action):
    """Open a low-priority Customer Experience handoff, needing no reply, for a compliment."""

    def __init__(
        self,
        service: HandoffService | None = None,
        association: Association | None = None,
        clock: dependencies.Clock | None = None,
    ) -> None:
        self._service = service or dependencies.handoff_service()
        self._association = association or dependencies.association()
        self._clock = clock or dependencies.utc_now

    def name(self) -> str:
        return "action_record_compliment"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[EventType]:
        latest = tracker.latest_message or {}
        words = latest.get("text") or ""
        staff = self._association.moderation.rules.staff
        about = compliment_about(words, staff, self._service.teams.names)
        # The store is blocking: in a thread, so other tenants' replies are not held up.
        await asyncio.to_thread(
            self._service.open,
            Reason.COMPLIMENT,
            message_context(tracker),
            self._clock(),
            intent=(latest.get("intent") or {}).get("name"),
            words=words,
            details={"about": about},
        )
        return []


class ActionOfferSurveys(Action):
    """After the answer about jobs and getting involved (one intent to the model,
    `ask_job_vacancies`): the survey Communications invite tenants to, the newest open
    one, in private; nothing while none is open, and nothing in public."""

    # Nothing in public: tests/unit/test_public_lengths.py reads this.
    said_in_public = ()

    def __init__(
        self,
        invitations: Invitations | None = None,
        calendar: WorkingCalendar | None = None,
        clock: dependencies.Clock | None = None,
    ) -> None:
        self._invitations = invitations or dependencies.invitations()
        self._calendar = calendar or dependencies.calendar()
        self._clock = clock or dependencies.utc_now

    def name(self) -> str:
        return "action_offer_surveys"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[EventType]:
        if message_context(tracker).surface is Surface.PUBLIC:
            return []
        found = await asyncio.to_thread(self._invitations.open, self._clock())
        if found:
            dispatcher.utter_message(text=invited(found[0], self._calendar.zone))
        return []
