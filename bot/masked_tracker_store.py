"""Rasa's SQL tracker store, with security answers masked before they are stored.

An adapter to Rasa, like the channel connectors: endpoints.yml names it as the
tracker store type (`bot.masked_tracker_store.MaskedSQLTrackerStore`), with the same
settings as Rasa's own `SQL` type. The masking itself is `bot.answer_masking`.
"""

from __future__ import annotations

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from bot.answer_masking import mask_security_answers


class MaskedSQLTrackerStore(SQLTrackerStore):
    """Stores (and streams to any event broker) conversations with answers masked.

    The tracker in memory keeps the answers for the rest of its turn; what is
    written, and so what every later turn and every reader sees, is masked.
    """

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Save the masked conversation."""
        events = mask_security_answers([event.as_dict() for event in tracker.events])
        masked = DialogueStateTracker.from_dict(
            tracker.sender_id, events, slots=list(tracker.slots.values())
        )
        await super().save(masked)
