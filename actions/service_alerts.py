"""Service alerts in what the assistant says (bot/service_alerts/).

While an alert is live it is mentioned where it is relevant, in private only (a public
reply is kept short; a published alert is on the page and X already):
- after a repair report about an affected service (its words name heating or water,
  or the alert is about repairs), from a tenant in an affected area, known from the
  tenancy they were verified for, else from a postcode they wrote (actions/repairs.py);
- after the opening-hours answer, when offices are affected (`action_mention_office_alerts`,
  which the rule runs after `utter_opening_hours`);
- in the first reply of a private conversation when it is urgent for everyone
  (actions/session.py).

A tenant whose area is unknown hears only the alerts for everywhere: an alert is never
mentioned to a tenant outside its areas, nor once it has ended.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Dict, Iterable, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import dependencies
from actions.identity import current_verification
from actions.metadata import message_context, sender_account
from bot.events import Surface
from bot.handoff.working_hours import describe_when
from bot.service_alerts.alerts import ServiceAlert, relevant
from bot.service_alerts.store import ServiceAlerts
from bot.tenancy.identity import Verification
from bot.tenancy.records import TenancyRepository
from bot.tenancy.security_question import Sealer

# More than this many at once would bury the answer: the most recent are said.
MOST_MENTIONED = 2


def mention(
    dispatcher: CollectingDispatcher, alerts: Iterable[ServiceAlert], now: datetime
) -> List[str]:
    """Say each of `alerts` (the first MOST_MENTIONED); returns their ids."""
    said = []
    for alert in list(alerts)[:MOST_MENTIONED]:
        dispatcher.utter_message(
            response="utter_service_alert",
            alert_title=alert.title,
            alert_message=alert.message,
            alert_until=describe_when(alert.until, now),
        )
        said.append(alert.id)
    return said


def verified_postcode(
    tracker: Tracker, sealer: Sealer, tenancies: TenancyRepository, now: datetime
) -> str | None:
    """The postcode of the tenancy the conversation verified someone for, if any
    (blocking: the store)."""
    conversation = message_context(tracker)
    verification = current_verification(tracker, sealer, sender_account(conversation), now)
    return tenancy_postcode(verification, tenancies)


def tenancy_postcode(verification: Verification | None, tenancies: TenancyRepository) -> str | None:
    """The postcode of the tenancy `verification` is for (blocking: the store)."""
    if verification is None or verification.tenancy_id is None:
        return None
    tenancy = tenancies.get(verification.tenancy_id)
    return tenancy.postcode if tenancy else None


class ActionMentionOfficeAlerts(Action):
    """After the opening hours: a live alert that affects the offices, where the
    tenant is (P1 stays as it is: this adds to it)."""

    # Nothing in public: tests/unit/test_public_lengths.py reads this.
    said_in_public = ()

    def __init__(
        self,
        alerts: ServiceAlerts | None = None,
        tenancies: TenancyRepository | None = None,
        sealer: Sealer | None = None,
        clock: dependencies.Clock | None = None,
    ) -> None:
        self._alerts = alerts or dependencies.service_alerts()
        self._tenancies = tenancies or dependencies.tenancy_repository()
        self._sealer = sealer or dependencies.sealer()
        self._clock = clock or dependencies.utc_now

    def name(self) -> str:
        return "action_mention_office_alerts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        if message_context(tracker).surface is Surface.PUBLIC:
            return []
        now = self._clock()
        postcode = await asyncio.to_thread(
            verified_postcode, tracker, self._sealer, self._tenancies, now
        )
        current = await asyncio.to_thread(self._alerts.current, now)
        mention(dispatcher, relevant(current, now, {"offices"}, postcode), now)
        return []
