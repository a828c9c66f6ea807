"""Antisocial behaviour: the tenant's own account goes to the Neighbourhoods team (P6).

`antisocial_behaviour_form` asks one free-text question; once answered, the rule runs
`action_hand_off_antisocial_behaviour`, `utter_handoff` (when the team aims to reply,
P3) and `action_pause_for_staff`.
"""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.handoff import HandOff
from bot.handoff.handoffs import Reason


class ActionHandOffAntisocialBehaviour(HandOff):
    """The tenant's account of antisocial behaviour, to Neighbourhoods."""

    reason = Reason.ANTISOCIAL_BEHAVIOUR

    def words(self, tracker: Tracker) -> str | None:
        """The account the form took, rather than whatever was said last."""
        return tracker.get_slot("antisocial_behaviour_account") or super().words(tracker)
