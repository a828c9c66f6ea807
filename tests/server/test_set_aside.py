"""What no message may be lost to (P2, P12): a retry after the emergency steps broke,
and a message that failed so often it was set aside.

The runtime runs on a real store (intake, outbox, handoffs); the dialogue is played
by small stand-ins, so a test can make one step fail where Rasa could.
"""

import contextlib
from datetime import datetime, timedelta, timezone

import pytest
from rasa.core.lock_store import LockError
from rasa.shared.core.events import ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.association import load_association
from bot.channels.wiring import build_runtime
from bot.events import InboundEvent
from bot.handoff.handoffs import Conversation, HandoffRepository, Priority, Reason, plan
from bot.handoff.working_hours import WorkingCalendar
from bot.intake import MAX_ATTEMPTS
from bot.outbox import PENDING
from bot.settings import Settings
from scripts import intake as intake_script
from tests.helpers import ROOT, keys_environment, settings_keys

NOW = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)
CONTACTS = "Gas leak? Call the National Gas Emergency Service on 0800 111 999."


def message(text, number=1):
    return InboundEvent(
        "facebook", "message", f"mid.{number}", "private", "123", text, NOW - timedelta(minutes=1)
    )


@pytest.fixture
def runtime(tmp_path):
    settings = Settings(
        ROOT / "association.yml", database_url=f"sqlite:///{tmp_path / 's.db'}", **settings_keys()
    )
    runtime = build_runtime(settings)
    runtime._clock = lambda: NOW
    return runtime


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


class Agent:
    """Reads every message as `intent`; runs the emergency steps as Rasa would.

    `break_at` names a step that raises the first time it is reached (a lock store or
    tracker store hiccup, a crash).
    """

    def __init__(self, handoffs, intent="report_emergency", break_at=None):
        self.tracker_store = Trackers()
        self.lock_store = Lock()
        self.processor = None
        self.handoffs = handoffs
        self.intent = intent
        self.break_at = break_at
        self.executed = []

    def is_ready(self):
        return True

    async def parse_message(self, text):
        return {"text": text, "intent": {"name": self.intent, "confidence": 0.95}, "entities": []}

    async def execute_action(self, conversation_id, action, output, _policy, _confidence):
        if action == self.break_at:
            self.break_at = None
            raise RuntimeError("the tracker store failed")
        self.executed.append(action)
        if action == "utter_emergency_contacts":
            await output.send_text_message(conversation_id, CONTACTS)
        elif action == "action_hand_off_emergency":
            # What the real action does: an open handoff is raised, once.
            handoff = self.handoffs.open_for(conversation_id)
            if handoff.priority is not Priority.URGENT:
                self.handoffs.raise_to_emergency(handoff.id, NOW, calendar(), "Repairs")
        elif action == "utter_handoff":
            await output.send_text_message(conversation_id, "I've made it urgent.")


def calendar():
    return WorkingCalendar.from_config(load_association(ROOT / "association.yml").monitoring)


def paused_conversation(agent, handoffs, event):
    tracker = DialogueStateTracker(event.conversation_id, [])
    tracker.update(ConversationPaused())
    agent.tracker_store.saved[event.conversation_id] = tracker
    conversation = Conversation(event.conversation_id, "facebook", "private", "123")
    handoffs.add(
        plan(
            Reason.REQUEST_HUMAN,
            conversation,
            NOW - timedelta(hours=1),
            calendar(),
            "Communications",
        )
    )


async def rasa_while_paused(agent, user_message):
    """Rasa with a paused conversation: it saves the message and predicts nothing."""
    tracker = agent.tracker_store.saved[user_message.sender_id]
    tracker.update(
        UserUttered(user_message.text, user_message.parse_data, message_id=user_message.message_id)
    )
    await agent.tracker_store.save(tracker)


def sent_texts(runtime):
    return [m.text for m in runtime.outbox.messages(PENDING)]


async def process_next(runtime, agent, dialogue):
    (claimed,) = runtime.intake.claim(NOW + timedelta(minutes=5))
    await runtime._process(agent, claimed, dialogue)


async def test_an_emergency_while_paused_survives_a_failure_after_the_message_was_saved(
    runtime,
):
    handoffs = HandoffRepository(runtime.intake._engine)
    agent = Agent(handoffs, break_at="utter_emergency_contacts")
    event = message("I can smell gas in the kitchen")
    paused_conversation(agent, handoffs, event)

    async def dialogue(user_message):
        await rasa_while_paused(agent, user_message)

    await runtime.accept([event])
    await process_next(runtime, agent, dialogue)  # saved, then the emergency step broke
    assert runtime.intake.waiting() == 1
    await process_next(runtime, agent, dialogue)  # the retry finds the message saved

    assert sent_texts(runtime).count(CONTACTS) == 1
    (handoff,) = handoffs.queue()
    assert handoff.priority is Priority.URGENT
    assert agent.executed.count("action_hand_off_emergency") == 1
    assert runtime.intake.waiting() == 0


async def test_a_redelivered_emergency_sends_the_contacts_once(runtime):
    handoffs = HandoffRepository(runtime.intake._engine)
    agent = Agent(handoffs)
    event = message("I can smell gas in the kitchen")
    paused_conversation(agent, handoffs, event)

    async def dialogue(user_message):
        await rasa_while_paused(agent, user_message)

    await runtime.accept([event])
    (claimed,) = runtime.intake.claim(NOW)
    await runtime._process(agent, claimed, dialogue)
    await runtime._process(agent, claimed, dialogue)  # marked processed, yet run again

    assert sent_texts(runtime) == [CONTACTS, "I've made it urgent."]
    (handoff,) = handoffs.queue()
    assert handoff.priority is Priority.URGENT


async def fail_every_time(runtime, agent, dialogue):
    for attempt in range(MAX_ATTEMPTS):
        claimed = runtime.intake.claim(NOW + timedelta(minutes=attempt + 1))
        assert claimed, f"attempt {attempt + 1} found nothing to claim"
        await runtime._process(agent, claimed[0], dialogue)
    assert runtime.intake.claim(NOW + timedelta(hours=1)) == []


async def test_a_message_set_aside_is_handed_to_people_with_one_apology(runtime, capsys):
    handoffs = HandoffRepository(runtime.intake._engine)
    agent = Agent(handoffs, intent="report_repair")

    async def dialogue(_user_message):
        raise RuntimeError("the model server crashed")

    await runtime.accept([message("my boiler is broken")])
    await fail_every_time(runtime, agent, dialogue)

    (handoff,) = handoffs.queue()
    assert handoff.conversation.conversation_id == "facebook-private-123"
    assert handoff.reason is Reason.PROCESSING_FAILED
    assert (handoff.team, handoff.priority) == ("Customer Experience", Priority.NORMAL)
    (apology,) = sent_texts(runtime)
    assert "something went wrong" in apology


async def test_an_emergency_set_aside_stays_urgent(runtime):
    handoffs = HandoffRepository(runtime.intake._engine)
    agent = Agent(handoffs)

    async def dialogue(_user_message):
        raise RuntimeError("the model server crashed")

    await runtime.accept([message("I can smell gas in the kitchen")])
    await fail_every_time(runtime, agent, dialogue)

    (handoff,) = handoffs.queue()
    assert handoff.priority is Priority.URGENT
    assert len(sent_texts(runtime)) == 1


async def test_staff_list_the_messages_set_aside_and_put_one_back(runtime, monkeypatch, capsys):
    agent = Agent(HandoffRepository(runtime.intake._engine), intent="report_repair")

    async def dialogue(_user_message):
        raise RuntimeError("the model server crashed")

    await runtime.accept([message("my boiler is broken")])
    await fail_every_time(runtime, agent, dialogue)
    monkeypatch.setenv("DATABASE_URL", str(runtime.intake._engine.url))
    for name, value in keys_environment().items():
        monkeypatch.setenv(name, value)

    assert intake_script.main(["failed"]) == 0
    listed = capsys.readouterr().out
    assert "facebook-private-123" in listed and "the model server crashed" in listed
    assert "boiler" not in listed
    row_id = int(listed.split()[0])

    assert intake_script.main(["retry", str(row_id)]) == 0
    assert runtime.intake.waiting() == 1
    assert intake_script.main(["retry", str(row_id)]) == 2
    capsys.readouterr()
    assert intake_script.main(["failed"]) == 0
    assert capsys.readouterr().out.strip() == ""


async def test_a_message_that_takes_the_server_down_every_time_is_set_aside_unread(runtime):
    """A message whose processing kills the process never reaches `failed`: each claim
    runs out instead. Past MAX_ATTEMPTS claims it is set aside without being read again
    (reading it is what took the server down) and handed to people, with one apology."""
    handoffs = HandoffRepository(runtime.intake._engine)
    agent = Agent(handoffs, intent="report_repair")
    await runtime.accept([message("a message that crashes the server")])
    for attempt in range(MAX_ATTEMPTS):  # each claim cut short: no outcome recorded
        assert runtime.intake.claim(NOW + timedelta(minutes=attempt + 1))

    read_again = []

    async def dialogue(user_message):
        read_again.append(user_message)

    async def parse(text):
        read_again.append(text)
        return {"text": text, "intent": {"name": "report_repair", "confidence": 0.9}}

    agent.parse_message = parse
    (claimed,) = runtime.intake.claim(NOW + timedelta(hours=1))
    await runtime._process(agent, claimed, dialogue)

    assert read_again == []

    assert runtime.intake.waiting() == 0
    assert [row.state for row in runtime.intake.set_aside()] == ["failed"]
    (handoff,) = handoffs.queue()
    assert handoff.reason is Reason.PROCESSING_FAILED
    (apology,) = sent_texts(runtime)
    assert "something went wrong" in apology


async def test_while_the_lock_store_is_down_a_message_waits_and_is_answered_when_it_is_back(
    runtime, caplog
):
    """P12, the cluster's Redis unavailable: Rasa raises LockError before it reads the
    message. That is no fault of the message: it waits without using up its attempts
    (an outage longer than five tries would otherwise set it aside), with a clear error
    in the log, and is answered once the lock store is back."""
    handoffs = HandoffRepository(runtime.intake._engine)
    agent = Agent(handoffs, intent="greet")
    answered = []

    async def dialogue(user_message):
        if agent.lock_store_down:
            raise LockError("Error while acquiring lock. Error:\nConnection refused")
        answered.append(user_message.text)

    agent.lock_store_down = True
    await runtime.accept([message("hello")])
    for minute in range(1, MAX_ATTEMPTS + 3):  # longer than the attempts allow
        claimed = runtime.intake.claim(NOW + timedelta(minutes=minute))
        assert claimed, f"minute {minute}: the message was set aside or lost"
        await runtime._process(agent, claimed[0], dialogue)
    assert handoffs.queue() == [] and answered == []
    assert "lock store" in caplog.text.lower()

    agent.lock_store_down = False
    (claimed,) = runtime.intake.claim(NOW + timedelta(hours=1))
    await runtime._process(agent, claimed, dialogue)
    assert answered == ["hello"]
    assert runtime.intake.waiting() == 0 and handoffs.queue() == []
