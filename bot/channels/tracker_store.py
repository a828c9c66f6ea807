"""Rasa's SQL tracker store, with security answers masked before they are stored.

An adapter to Rasa, like the channel connectors: endpoints.yml names it as the
tracker store type (`bot.channels.tracker_store.MaskedSQLTrackerStore`), with the same
settings as Rasa's own `SQL` type. The masking itself is `bot.tenancy.masking`.

Rasa's own SQL store runs its queries inside its async methods, on the event loop:
one slow query there delays every conversation the server holds. Here each query
runs in a worker thread, so the loop goes on answering other tenants meanwhile.

Reading a conversation also marks the turn it serves: when that conversation waits
for the answer to a security question, every log line of the turn is withheld (P5).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Iterable

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import sessionmaker

from bot.privacy.logs import protect_logs
from bot.tenancy.masking import (
    awaits_security_answer,
    mark_turn,
    mask_security_answers,
    withhold_answers_from_logs,
)

logger = logging.getLogger(__name__)


class MaskedSQLTrackerStore(SQLTrackerStore):
    """Stores (and streams to any event broker) conversations with answers masked.

    The tracker in memory keeps the answers for the rest of its turn; what is
    written, and so what every later turn and every reader sees, is masked.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Rasa's SQL store, made when the Rasa server starts: logs are guarded then."""
        withhold_answers_from_logs()
        protect_logs()
        super().__init__(*args, **kwargs)
        # Rasa's engine puts the row it failed to write, a tenant's message with it, in
        # its errors, which are logged whole: the same engine, with the values hidden.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, hide_parameters=True, **create_engine_kwargs(url))
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def keys(self) -> Iterable[str]:
        """Every conversation id, read in a worker thread."""
        return await asyncio.to_thread(self._keys)

    def _keys(self) -> list[str]:
        with self.session_scope() as session:
            return [sender for (sender,) in session.query(self.SQLEvent.sender_id).distinct()]

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        events = await asyncio.to_thread(self._events, sender_id, fetch_events_from_all_sessions)
        # Set here, in the task handling the message, not in the worker thread: the
        # mark must hold for the rest of this task's turn.
        mark_turn(awaits_security_answer(events))
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _events(self, sender_id: str, fetch_events_from_all_sessions: bool) -> list[dict]:
        with self.session_scope() as session:
            query = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            )
            return [json.loads(row.data) for row in query.all()]

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Save the masked conversation, writing in a worker thread."""
        events = mask_security_answers([event.as_dict() for event in tracker.events])
        masked = DialogueStateTracker.from_dict(
            tracker.sender_id, events, slots=list(tracker.slots.values())
        )
        await self.stream_events(masked)
        await asyncio.to_thread(self._write, masked)

    def _write(self, tracker: DialogueStateTracker) -> None:
        """Rasa's SQLTrackerStore.save, less the streaming, as a plain function."""
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=intent,
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        logger.debug("Tracker %s stored", tracker.sender_id)
