"""Stand-ins for Rasa's agent, for tests that hand a message to the Rasa server's real
runtime (bot/channels/runtime.py) without a model: the lock store, the tracker store,
the processor that logs a message the dialogue does not answer, and the agent that
reads every message as one intent."""

import contextlib

from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker


class Lock:
    @contextlib.asynccontextmanager
    async def lock(self, _conversation_id):
        yield


class Trackers:
    def __init__(self):
        self.saved = {}

    async def retrieve(self, conversation_id):
        return self.saved.get(conversation_id)

    async def save(self, tracker):
        self.saved[tracker.sender_id] = tracker


class Processor:
    def __init__(self, trackers):
        self.trackers = trackers

    async def log_message(self, message, should_save_tracker=True):
        tracker = self.trackers.saved.get(message.sender_id) or DialogueStateTracker(
            message.sender_id, []
        )
        tracker.update(UserUttered(message.text, message.parse_data))
        return tracker

    async def save_tracker(self, tracker):
        self.trackers.saved[tracker.sender_id] = tracker


class Agent:
    """Reads every message as `intent`; the dialogue is each test's."""

    def __init__(self, intent="greet"):
        self.tracker_store = Trackers()
        self.processor = Processor(self.tracker_store)
        self.lock_store = Lock()
        self.intent = intent

    def is_ready(self):
        return True

    async def parse_message(self, text):
        return {"text": text, "intent": {"name": self.intent, "confidence": 0.95}, "entities": []}
