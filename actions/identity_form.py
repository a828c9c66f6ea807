"""The security questions' form validator (P4): each answer read, checked and sealed.

A reply that holds no answer is asked again with a hint, unless it is an interruption
(an emergency, a repair, a person); nothing is taken from a public message. Sealed
answers are checked by `identity.ActionVerifyIdentity`.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any, Callable, Dict, List

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import dependencies
from actions.identity import INTERRUPTIONS, INVALID_ANSWER_RESPONSES, sealed_answer
from actions.metadata import message_context
from bot.events import Surface
from bot.handoff.working_hours import WorkingCalendar
from bot.tenancy import answers as identity_answers
from bot.tenancy.answers import Locator
from bot.tenancy.masking import (
    SECURITY_SLOTS,
    answers_security_question,
    mark_turn,
    withhold_answers_from_logs,
)
from bot.tenancy.security_question import Sealer


class ValidateIdentityForm(FormValidationAction):
    """Takes each answer of `identity_form` and seals it in canonical form.

    A reply that holds no answer is asked again with a hint, unless its intent is one
    of `INTERRUPTIONS`: then the form turns it down and that intent's rules run.
    Nothing is taken from a public message.
    """

    def __init__(
        self,
        sealer: Sealer | None = None,
        calendar: WorkingCalendar | None = None,
        clock: dependencies.Clock | None = None,
    ) -> None:
        self._sealer = sealer or dependencies.sealer()
        self._calendar = calendar or dependencies.calendar()
        self._clock = clock or dependencies.utc_now
        withhold_answers_from_logs()

    def name(self) -> str:
        return "validate_identity_form"

    def _today(self) -> date:
        return self._clock().astimezone(self._calendar.zone).date()

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Validate the answer to the question asked, or end the check on a stop.

        The turn's log lines are withheld while it runs, and after it if it fails (P5).
        """
        mark_turn(answers_security_question(tracker.events) or self._answering(tracker))
        events = await self._run(dispatcher, tracker, domain)
        mark_turn(False)
        return events

    @staticmethod
    def _answering(tracker: Tracker) -> bool:
        return tracker.get_slot("requested_slot") in SECURITY_SLOTS

    async def _run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if self._asks_to_stop(tracker):
            # No answer is kept, the form ends, and action_verify_identity checks
            # nothing: it reports the stop (rules say so).
            return [
                *(SlotSet(slot, None) for slot in SECURITY_SLOTS),
                SlotSet("identity_status", "stopped"),
                SlotSet("requested_slot", None),
                ActiveLoop(None),
            ]
        return await super().run(dispatcher, tracker, domain)

    def _asks_to_stop(self, tracker: Tracker) -> bool:
        slot = tracker.get_slot("requested_slot")
        if slot not in SECURITY_SLOTS:
            return False
        text = tracker.latest_message.get("text") or ""
        if not identity_answers.is_stop(text):
            return False
        # A reference, address or date has a shape of its own; any two words read as
        # a name, "never mind" and "forget it" included, so a stop there is a stop.
        return slot == "security_name" or self._readers()[slot](text) is None

    def _readers(self) -> Dict[str, Callable[[str], Any]]:
        return {
            "security_locator": lambda text: _locator_dict(identity_answers.locator(text)),
            "security_name": identity_answers.full_name,
            "security_date_of_birth": lambda text: _iso(
                identity_answers.date_of_birth(text, self._today())
            ),
        }

    def _extract(self, slot: str, tracker: Tracker) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != slot:
            return {}
        if message_context(tracker).surface is Surface.PUBLIC:
            return {}
        text = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if self._readers()[slot](text) is None and intent in INTERRUPTIONS:
            return {}
        return {slot: text}

    def _validate(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict:
        if sealed_answer(self._sealer, slot, value):
            # Given before the check was interrupted, and kept for its resume.
            return {slot: value}
        if value is None or tracker.get_slot("requested_slot") != slot:
            # Emptied before the form starts, or never asked: nothing to answer yet.
            return {slot: None}
        answer = self._readers()[slot](value) if isinstance(value, str) else None
        if answer is None:
            dispatcher.utter_message(response=INVALID_ANSWER_RESPONSES[slot])
            return {slot: None}
        return {slot: self._sealer.seal([slot, answer])}

    async def extract_security_locator(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._extract("security_locator", tracker)

    async def extract_security_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._extract("security_name", tracker)

    async def extract_security_date_of_birth(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._extract("security_date_of_birth", tracker)

    def validate_security_locator(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._validate("security_locator", value, dispatcher, tracker)

    def validate_security_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._validate("security_name", value, dispatcher, tracker)

    def validate_security_date_of_birth(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._validate("security_date_of_birth", value, dispatcher, tracker)


def _locator_dict(found: Locator | None) -> Dict[str, Any] | None:
    return asdict(found) if found else None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
