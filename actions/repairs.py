"""A repair reported in private is triaged, not only linked (P2, P3, P4, P6).

After "not an emergency", `action_start_repair_triage` sets `repair_triage`: `public`
(a public comment gets the web link, as before: nothing is asked in public, P6) or
`private`, where `repair_form` asks what is wrong, where in the home, since when and
whether anyone in the home is vulnerable, and takes note of photos (a count and their
kinds, never the media). `validate_repair_form` reads each answer; "stop" ends the
questions with nothing kept (`repair_triage` `stopped`). An emergency or a request
for a person is no answer: the form turns it down and its own rules run, after
`action_leave_repair_form` (P2: the emergency contacts at once).

The answers given, the security questions follow (`tenancy_question` is
`repair_request`: the gate and the identity form of actions/identity.py), and
`action_record_repair_request` records the request and hands it to Repairs, with its
tenancy once verified; if the check stops or fails, without one (bot/repairs/requests.py
says why). The domain declares `utter_ask_<slot>` and `utter_invalid_<slot>` for each of
`REPAIR_SLOTS`, `utter_repair_photo_received`, `utter_repair_request_passed`,
`utter_repair_request_passed_unverified` and `utter_repair_vulnerable_noted`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import dependencies
from actions.identity import current_verification
from actions.metadata import message_context, sender_account
from actions.service_alerts import mention, tenancy_postcode
from bot.events import Surface
from bot.handoff.handoffs import Conversation, Handoff, Reason, notice
from bot.handoff.service import HandoffService
from bot.handoff.working_hours import WorkingCalendar
from bot.repairs import triage
from bot.repairs.requests import RepairRequest, RepairRequests, new_request
from bot.repairs.triage import Photos
from bot.service_alerts.alerts import postcode_given, relevant, services_named
from bot.service_alerts.store import ServiceAlerts
from bot.tenancy.records import TenancyRepository
from bot.tenancy.security_question import Sealer

REPAIR_SLOTS = ("repair_what", "repair_where", "repair_since", "repair_vulnerable")
REPAIR_REQUEST = "repair_request"  # the tenancy_question value
SEND_ATTACHMENT = "send_attachment"
# What a reply that holds no answer gets, before the form asks again.
INVALID_ANSWER_RESPONSES = {
    "repair_what": "utter_invalid_repair_what",
    "repair_where": "utter_invalid_repair_where",
    "repair_since": "utter_invalid_repair_since",
    "repair_vulnerable": "utter_invalid_repair_vulnerable",
}
# Everything the triage holds, emptied when it starts and when it ends.
TRIAGE_SLOTS = (*REPAIR_SLOTS, "repair_photos")


def _cleared() -> List[EventType]:
    return [SlotSet(slot, None) for slot in TRIAGE_SLOTS]


class ActionStartRepairTriage(Action):
    """Triage in private; in public, only the link (nothing is asked in public, P6)."""

    # All it can say on a public surface (P6): tests/unit/test_public_lengths.py reads
    # this instead of every response of this module; tests/actions/test_repairs.py holds
    # the action to it.
    said_in_public = ()

    def name(self) -> str:
        return "action_start_repair_triage"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if message_context(tracker).surface is Surface.PUBLIC:
            return [SlotSet("repair_triage", "public")]
        return [
            *_cleared(),
            SlotSet("tenancy_question", REPAIR_REQUEST),
            SlotSet("repair_triage", "private"),
        ]


class ValidateRepairForm(FormValidationAction):
    """Reads each answer of `repair_form`; notes photos; ends the form on a stop."""

    def name(self) -> str:
        return "validate_repair_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Validate the answer to the question asked, note a photo, or stop."""
        asked = tracker.get_slot("requested_slot") in REPAIR_SLOTS
        message = tracker.latest_message or {}
        if asked and triage.is_stop(message.get("text")):
            # Nothing is kept and nothing passed on; the rules tell the tenant so.
            return [
                *_cleared(),
                SlotSet("tenancy_question", None),
                SlotSet("repair_triage", "stopped"),
                SlotSet("requested_slot", None),
                ActiveLoop(None),
            ]
        if asked and (message.get("intent") or {}).get("name") == SEND_ATTACHMENT:
            # A photo answers no question: it is counted, and the question asked again.
            kind = (message.get("metadata") or {}).get("attachment") or "attachment"
            photos = Photos.from_dict(tracker.get_slot("repair_photos")).add(kind)
            dispatcher.utter_message(response="utter_repair_photo_received", photo_kind=kind)
            return [SlotSet("repair_photos", photos.as_dict())]
        return await super().run(dispatcher, tracker, domain)

    def _answer(
        self, slot: str, kind: str, value: Any, dispatcher: CollectingDispatcher
    ) -> Dict[str, Any]:
        answer = triage.answer(kind, value if isinstance(value, str) else None)
        if answer is None:
            dispatcher.utter_message(response=INVALID_ANSWER_RESPONSES[slot])
        return {slot: answer}

    def validate_repair_what(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._answer("repair_what", "what", value, dispatcher)

    def validate_repair_where(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._answer("repair_where", "where", value, dispatcher)

    def validate_repair_since(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._answer("repair_since", "since", value, dispatcher)

    def validate_repair_vulnerable(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        said = triage.vulnerable(value if isinstance(value, str) else None, intent)
        if said is None:
            dispatcher.utter_message(response=INVALID_ANSWER_RESPONSES["repair_vulnerable"])
            return {"repair_vulnerable": None}
        return {"repair_vulnerable": "yes" if said else "no"}


class ActionLeaveRepairForm(Action):
    """Ends the questions for an emergency or a person: their own rules follow (P2)."""

    # All it can say on a public surface (P6): tests/unit/test_public_lengths.py reads
    # this instead of every response of this module; tests/actions/test_repairs.py holds
    # the action to it.
    said_in_public = ()

    def name(self) -> str:
        return "action_leave_repair_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        # The answers stay in the conversation for whoever takes it; no request is made.
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            *_cleared(),
            SlotSet("tenancy_question", None),
            SlotSet("repair_triage", None),
        ]


class ActionRecordRepairRequest(Action):
    """Records the repair request and hands it to Repairs; tells the tenant when (P3).

    Run after the security questions: verified, the request carries the tenancy;
    stopped or failed, it carries none and Repairs confirm who the tenant is (the
    report is not lost). Sets the slots `utter_handoff` uses, like the handoff actions.
    """

    # All it can say on a public surface (P6), where nothing is recorded and the tenant
    # is moved to private: tests/unit/test_public_lengths.py reads this instead of every
    # response of this module; tests/actions/test_repairs.py holds the action to it.
    said_in_public = ("utter_tenancy_in_private",)

    def __init__(
        self,
        requests: RepairRequests | None = None,
        service: HandoffService | None = None,
        sealer: Sealer | None = None,
        calendar: WorkingCalendar | None = None,
        clock: dependencies.Clock | None = None,
        alerts: ServiceAlerts | None = None,
        tenancies: TenancyRepository | None = None,
    ) -> None:
        self._requests = requests or dependencies.repair_requests()
        self._handoffs = service or dependencies.handoff_service()
        self._sealer = sealer or dependencies.sealer()
        self._calendar = calendar or dependencies.calendar()
        self._clock = clock or dependencies.utc_now
        self._alerts = alerts or dependencies.service_alerts()
        self._tenancies = tenancies or dependencies.tenancy_repository()

    def name(self) -> str:
        return "action_record_repair_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        now = self._clock()
        conversation = message_context(tracker)
        if conversation.surface is Surface.PUBLIC:
            dispatcher.utter_message(response="utter_tenancy_in_private")
            return [SlotSet("repair_triage", None)]
        # The tenancy is the one verified for, read from the sealed verification
        # itself: a slot saying "verified" is not enough (P4).
        verification = current_verification(
            tracker, self._sealer, sender_account(conversation), now
        )
        request = new_request(
            conversation_id=conversation.conversation_id,
            tenancy_id=verification.tenancy_id if verification else None,
            what=tracker.get_slot("repair_what") or "",
            where=tracker.get_slot("repair_where") or "",
            since=tracker.get_slot("repair_since") or "",
            vulnerable=tracker.get_slot("repair_vulnerable") == "yes",
            photos=Photos.from_dict(tracker.get_slot("repair_photos")),
            now=now,
        )
        reported_by = tracker.get_slot("identity_verified_as") if verification else None
        # The store is blocking: in a thread, so other tenants' replies are not held up.
        handoff = await asyncio.to_thread(self._record, request, conversation, reported_by, now)
        told = notice(handoff, now, self._calendar)
        dispatcher.utter_message(
            response="utter_repair_request_passed"
            if request.identity_confirmed
            else "utter_repair_request_passed_unverified",
            handoff_team=told.team,
            handoff_reply_by=told.reply_by,
        )
        if request.vulnerable:
            dispatcher.utter_message(response="utter_repair_vulnerable_noted")
        # A live service alert about it, where the verified tenancy is.
        said = f"{request.what} {_first_words(tracker)}"
        postcode = await asyncio.to_thread(tenancy_postcode, verification, self._tenancies)
        services = {"repairs", *services_named(said)}
        # Where the tenant is: their verified tenancy, else a postcode they wrote.
        postcode = postcode or postcode_given(said)
        current = await asyncio.to_thread(self._alerts.current, now)
        mention(dispatcher, relevant(current, now, services, postcode), now)
        return [
            SlotSet("handoff_case", told.case),
            SlotSet("handoff_team", told.team),
            SlotSet("handoff_reply_by", told.reply_by),
            SlotSet("monitoring_resumes", told.monitoring_resumes),
            *_cleared(),
            SlotSet("tenancy_question", None),
            SlotSet("repair_triage", None),
        ]

    def _record(
        self,
        request: RepairRequest,
        conversation: Conversation,
        reported_by: str | None,
        now: datetime,
    ) -> Handoff:
        self._requests.add(request)
        details = request.details()
        if reported_by:
            details["reported by"] = reported_by
        handoff = self._handoffs.open(
            Reason.REPAIR_REQUEST,
            conversation,
            now,
            intent="report_repair",
            words=request.what,
            details=details,
        )
        self._requests.handed_off(request.id, handoff.id)
        return handoff


def _first_words(tracker: Tracker) -> str:
    """What the tenant said when they reported the repair (the message that started
    the triage: "my heating's off"), beside their answer to what is wrong."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in ("report_repair", "report_emergency"):
                return str(event.get("text") or "")
    return ""
