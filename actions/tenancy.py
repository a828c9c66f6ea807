"""Answering a tenancy question for a verified tenant or authorised contact (P4).

Reads the rent account or the repairs from the records, and only those of the
tenancy the sender verified for; an authorised contact hears only about the matters
the tenant authorised. The domain declares `utter_rent_balance` (variables
`rent_balance`, `rent_as_of`, `last_payment`), `utter_repair_status` (`repairs_list`),
`utter_no_repairs`, `utter_not_authorised` and `utter_security_check_first`.
"""

from __future__ import annotations

import asyncio
from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import dependencies
from actions.identity import current_verification
from actions.metadata import message_context, sender_account
from bot.events import Surface
from bot.handoff.working_hours import WorkingCalendar
from bot.tenancy import disclosure
from bot.tenancy.identity import Verification
from bot.tenancy.records import Matter, Person, Tenancy, TenancyRepository
from bot.tenancy.security_question import Sealer


class ActionAnswerTenancyQuestion(Action):
    """Tells a verified sender what they asked about their tenancy."""

    def __init__(
        self,
        tenancies: TenancyRepository | None = None,
        sealer: Sealer | None = None,
        calendar: WorkingCalendar | None = None,
        clock: dependencies.Clock | None = None,
    ) -> None:
        self._tenancies = tenancies or dependencies.tenancy_repository()
        self._sealer = sealer or dependencies.sealer()
        self._calendar = calendar or dependencies.calendar()
        self._clock = clock or dependencies.utc_now

    def name(self) -> str:
        return "action_answer_tenancy_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        conversation = message_context(tracker)
        if conversation.surface is Surface.PUBLIC:
            dispatcher.utter_message(response="utter_tenancy_in_private")
            return [SlotSet("identity_status", "public")]
        account = sender_account(conversation)
        verification = current_verification(tracker, self._sealer, account, self._clock())
        # The store's queries block: in a worker thread, off the event loop.
        person, tenancy = await asyncio.to_thread(self._records, verification)
        if not person or not tenancy or person.tenancy_id != tenancy.id:
            dispatcher.utter_message(response="utter_security_check_first")
            return [SlotSet("identity_status", "unverified")]
        try:
            matter = Matter(tracker.get_slot("tenancy_question"))
        except ValueError:
            dispatcher.utter_message(response="utter_how_can_i_help")
            return []
        if not person.may_discuss(matter):
            dispatcher.utter_message(response="utter_not_authorised")
        elif matter is Matter.RENT:
            payments = await asyncio.to_thread(self._tenancies.last_payments, tenancy.id)
            dispatcher.utter_message(
                response="utter_rent_balance",
                rent_balance=disclosure.rent_balance(tenancy),
                rent_as_of=disclosure.uk_date(tenancy.rent_as_of),
                last_payment=disclosure.last_payment(payments),
            )
        else:
            jobs = await asyncio.to_thread(self._tenancies.repairs, tenancy.id)
            if jobs:
                dispatcher.utter_message(
                    response="utter_repair_status",
                    repairs_list=disclosure.repairs_list(jobs, self._calendar.zone),
                )
            else:
                dispatcher.utter_message(response="utter_no_repairs")
        return []

    def _records(self, verification: Verification | None) -> tuple[Person | None, Tenancy | None]:
        """The verified person and their tenancy, or Nones."""
        if verification is None:
            return None, None
        person = self._tenancies.person(verification.person_id)
        return person, self._tenancies.get(verification.tenancy_id)

    def _records(self, verification: Verification | None) -> tuple[Person | None, Tenancy | None]:
        """The verified person and their tenancy, or Nones."""
        if verification is None:
            return None, None
        person = self._tenancies.person(verification.person_id)
        return person, self._tenancies.get(verification.tenancy_id)
