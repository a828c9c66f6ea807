"""How the intake hands a platform message to Rasa, and what it must never let Rasa do.

- A tenant's words are read as words (P2, P3): Rasa takes text starting with "/" as
  a command (`/restart` resets the conversation and un-pauses it; `/intent{...}`
  sets any intent and slot), so that syntax is never read from a platform message.
- A message with only a photo, video, voice note, sticker or file is the
  `send_attachment` intent, set here: there are no words for the model (P12).
- A failed action call is noticed (P12): Rasa logs it and carries on, which would
  send what follows ("I've passed your conversation...") as if it had worked.
- Conversations are never kept only in memory (P12): Rasa falls back to an
  in-memory tracker store when the configured one does not load or fails.
"""

from __future__ import annotations

import asyncio
import re
import threading
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List

import aiohttp
import yaml
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.constants import (
    USER_INTENT_BACK,
    USER_INTENT_RESTART,
    USER_INTENT_SESSION_START,
)
from rasa.shared.core.events import (
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.events import InboundEvent
from bot.screening.coordinator import Intent, Screened

if TYPE_CHECKING:
    from rasa.core.agent import Agent

# Puts the assistant's reply to an event, at a position in its turn, in the outbox.
EnqueueReply = Callable[[InboundEvent, str, int], Awaitable[None]]

SEND_ATTACHMENT = "send_attachment"
# A postback's payload is the page's own button, never the tenant's typing.
COMMANDS_ALLOWED = frozenset({"postback"})
# The action server is unreachable or overloaded, rather than an action raising.
SERVER_DOWN = frozenset({502, 503, 504})
# Rasa's own intents: a platform message is never read as one (it would reset, undo
# or restart the conversation, and un-pause it).
RASA_COMMANDS = frozenset({USER_INTENT_RESTART, USER_INTENT_BACK, USER_INTENT_SESSION_START})
NOT_UNDERSTOOD = "nlu_fallback"
# "/", "/ /", " // /": every leading slash goes, with the spaces between them.
_LEADING_SLASHES = re.compile(r"^[\s/]+")

# How sure the model must be that a message reports an emergency for P2 to apply.
EMERGENCY_CONFIDENCE = 0.5
# P2: a tenant waiting for a person who reports an emergency hears this at once.
EMERGENCY_WHILE_PAUSED = ("utter_emergency_contacts", "action_hand_off_emergency", "utter_handoff")

_action_failures: ContextVar[List[BaseException] | None] = ContextVar(
    "action_failures", default=None
)


class ActionsFailed(RuntimeError):
    """An action call failed while a platform message was being answered."""

    def __init__(self, failures: List[BaseException]) -> None:
        super().__init__("; ".join(repr(failure) for failure in failures))
        self.failures = list(failures)

    @property
    def server_down(self) -> bool:
        """Whether the action server could not be reached (rather than an action failing)."""
        return all(_unreachable(failure) for failure in self.failures)


class TrackerStoreMissing(SystemExit):
    """The configured tracker store did not load: the server must not start."""


def as_words(event: InboundEvent) -> str:
    """The text the model reads for `event`: leading slashes are not Rasa syntax here."""
    if event.kind in COMMANDS_ALLOWED:
        return event.text
    words = _LEADING_SLASHES.sub("", event.text).strip()
    return words or event.text.replace("/", " ")


def without_commands(parsed: Dict[str, Any], event: InboundEvent) -> Dict[str, Any]:
    """`parsed` with no Rasa command in it: such a reading is taken as not understood."""
    if event.kind in COMMANDS_ALLOWED:
        return parsed
    ranking = [i for i in parsed.get("intent_ranking") or [] if i.get("name") not in RASA_COMMANDS]
    intent = parsed.get("intent") or {}
    if intent.get("name") in RASA_COMMANDS:
        intent = {"name": NOT_UNDERSTOOD, "confidence": 1.0}
    return {**parsed, "intent": intent, "intent_ranking": ranking}


def attachment_reading(event: InboundEvent) -> Dict[str, Any]:
    """The reading of a message with only an attachment: no words, so no model."""
    intent = {"name": SEND_ATTACHMENT, "confidence": 1.0}
    return {"text": event.text, "intent": intent, "entities": [], "intent_ranking": [intent]}


def has_message(tracker: Any, event: InboundEvent) -> bool:
    """Whether `tracker` holds `event` as a message still in the conversation.

    A message taken back after its actions failed (UserUtteranceReverted) is not.
    """
    if tracker is None:
        return False
    return any(
        isinstance(e, UserUttered) and e.message_id == event.event_id
        for e in tracker.applied_events()
    )


def paused_when_received(tracker: Any, event: InboundEvent) -> bool:
    """Whether the conversation was paused when `event` came into it (P2).

    A message already saved (a retry after a crash) is judged by the pause before it;
    one not saved yet, by the pause now.
    """
    if tracker is None:
        return False
    paused = False
    for e in tracker.applied_events():
        if isinstance(e, UserUttered) and e.message_id == event.event_id:
            return paused
        if isinstance(e, ConversationPaused):
            paused = True
        elif isinstance(e, (ConversationResumed, Restarted, SessionStarted)):
            # A new session starts unpaused (Rasa resets the tracker); its
            # action_session_start pauses it again while a handoff is open.
            paused = False
    return bool(tracker.is_paused())


class WatchedActionEndpoint(EndpointConfig):
    """The action server's endpoint, noting every failed call for the message in hand,
    its connections kept open between calls.

    Rasa 3.6 opens a new client session, and so a new connection, for every call to
    the action server (`EndpointConfig.session`): with py-spy on a server under `make
    bench-load`, opening them took 1.7% of its time, and making the session more. One
    session per event loop serves every call here; a connection idle for
    `KEEP_ALIVE` is closed by this side, before the action server's own 5 s (Sanic's
    default) could close it under a call.
    """

    KEEP_ALIVE = 2.0

    @classmethod
    def around(cls, endpoint: EndpointConfig) -> WatchedActionEndpoint:
        """`endpoint`, watched."""
        return cls(
            endpoint.url,
            endpoint.params,
            endpoint.headers,
            endpoint.basic_auth,
            endpoint.token,
            endpoint.token_name,
            endpoint.cafile,
            **endpoint.kwargs,
        )

    def session(self) -> Any:
        """The event loop's one client session, lent to a call (not closed after it)."""
        loop = asyncio.get_running_loop()
        shared: aiohttp.ClientSession | None = getattr(self, "_shared", None)
        if shared is None or shared.closed or getattr(self, "_shared_loop", None) is not loop:
            auth = None
            if self.basic_auth:
                auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
            shared = aiohttp.ClientSession(
                headers=self.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=self.KEEP_ALIVE),
            )
            self._shared, self._shared_loop = shared, loop
        return _Lent(shared)

    async def request(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().request(*args, **kwargs)
        except ClientResponseError as error:
            if error.status != 400:  # 400 is a form refusing an answer: a normal turn
                _note(error)
            raise
        except Exception as error:
            _note(error)
            raise


class _Lent:
    """`async with` a session that stays open after the block."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc: Any) -> None:
        return None


def watch_actions(agent: Agent) -> List[BaseException]:
    """Start noting failed action calls for the message this task handles.

    Returns the list they are added to; other tasks (the REST channel, other
    messages) keep their own.
    """
    processor = getattr(agent, "processor", None)
    endpoint = getattr(processor, "action_endpoint", None)
    if isinstance(endpoint, EndpointConfig) and not isinstance(endpoint, WatchedActionEndpoint):
        processor.action_endpoint = WatchedActionEndpoint.around(endpoint)
    failures: List[BaseException] = []
    _action_failures.set(failures)
    return failures


def action_failures() -> List[BaseException]:
    """The failed action calls noted so far for the message this task handles."""
    return list(_action_failures.get() or [])


def insist_on_the_tracker_store(agent: Agent | None, configured: str | None) -> None:
    """Refuse to run with conversations kept only in memory (P12).

    Rasa replaces a tracker store it cannot import with an in-memory one, with only a
    warning, and its fail-safe wrapper falls back to memory when a save or a read
    fails. A conversation kept in memory is lost at the next restart, pauses and
    handoffs with it. So a missing store stops the server, and a failing one raises:
    the message being processed is then kept in the intake and tried again.

    Raises:
        TrackerStoreMissing: the agent's tracker store is an in-memory one.
    """
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return
    primary = getattr(store, "_tracker_store", store)
    primary = getattr(primary, "_tracker_store", primary)
    if isinstance(primary, InMemoryTrackerStore):
        raise TrackerStoreMissing(
            f"Refusing to start: the tracker store {configured or '(none configured)'} "
            "could not be loaded, and conversations would be kept only in memory. "
            "Check tracker_store in the endpoints file and that its module imports."
        )
    if isinstance(store, FailSafeTrackerStore):
        store._on_tracker_store_error = _raise


def configured_tracker_store(argv: List[str]) -> str | None:
    """The tracker store type named by the endpoints file `rasa run` was given."""
    path = "endpoints.yml"
    for flag, value in zip(argv, argv[1:], strict=False):
        if flag == "--endpoints":
            path = value
    try:
        with open(path, encoding="utf-8") as source:
            endpoints = yaml.safe_load(source) or {}
    except (OSError, yaml.YAMLError):
        return None
    return str((endpoints.get("tracker_store") or {}).get("type") or "") or None


def _note(error: BaseException) -> None:
    failures = _action_failures.get()
    if failures is not None:
        failures.append(error)


def _unreachable(error: BaseException) -> bool:
    if isinstance(error, ClientResponseError):
        return error.status in SERVER_DOWN
    return isinstance(error, (aiohttp.ClientConnectionError, asyncio.TimeoutError))


def _raise(error: Exception) -> None:
    raise error


class OutboxOutput(OutputChannel):
    """Rasa's output for one inbound message: every reply goes to the outbox."""

    def __init__(self, enqueue: EnqueueReply, event: InboundEvent) -> None:
        self._enqueue = enqueue
        self._event = event
        self._position = 0

    @classmethod
    def name(cls) -> str:
        return "outbox"

    @property
    def replied(self) -> bool:
        """Whether the dialogue answered the message."""
        return self._position > 0

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        # What follows a failed action assumes it worked ("I've passed your
        # conversation..."): nothing more is sent, and the turn is not saved.
        raise_if_actions_failed()
        self._position += 1
        await self._enqueue(self._event, text, self._position)


def raise_if_actions_failed() -> None:
    """Raise ActionsFailed if an action call failed while this message was answered."""
    failures = action_failures()
    if failures:
        raise ActionsFailed(failures)


def user_message(
    event: InboundEvent,
    output: OutputChannel,
    parsed: Dict[str, Any],
    text: str | None = None,
    metadata: Dict[str, Any] | None = None,
) -> UserMessage:
    """The message Rasa is given: the model read it once already, and the dialogue
    is given that reading."""
    return UserMessage(
        text=event.text if text is None else text,
        output_channel=output,
        sender_id=event.conversation_id,
        parse_data=parsed,
        input_channel=event.platform.value,
        message_id=event.event_id,
        metadata=metadata or event.metadata(),
    )


async def record_screened(
    agent: Agent, event: InboundEvent, screened: Screened, parsed: Dict[str, Any]
) -> None:
    """Keep a screened message in its conversation, as staff should see it.

    The dialogue does not answer it: the conversation gets the message (details
    and swear words masked), what the assistant said in public and in private, and
    a pause when a person takes it over.
    """
    # What is stored holds the masked text only, in the reading as well.
    masked = {**parsed, "text": screened.text, "entities": []}
    metadata = {**event.metadata(), "screening": screened.route.value}
    message = user_message(event, CollectingOutputChannel(), masked, screened.text, metadata)
    async with agent.lock_store.lock(event.conversation_id):
        tracker = await agent.processor.log_message(message, should_save_tracker=False)
        for surface, text in screened.said:
            tracker.update(BotUttered(text, metadata={"surface": surface.value}))
        if screened.pause and not tracker.is_paused():
            tracker.update(ConversationPaused())
        await agent.processor.save_tracker(tracker)


async def pause_for_people(agent: Agent, conversation_id: str) -> bool:
    """Pause a conversation under way whose tenant is waiting for a person (P3, P6).

    A handoff follows the tenant: raised in public, it keeps their private conversation
    quiet too, from its next message. A conversation with nothing in it yet is left
    alone: `action_session_start` pauses it (and a pause before the session started
    would keep the session from starting). Returns whether it paused the conversation.
    """
    async with agent.lock_store.lock(conversation_id):
        tracker = await agent.tracker_store.retrieve(conversation_id)
        if tracker is None or not tracker.events or tracker.is_paused():
            return False
        tracker.update(ConversationPaused())
        await agent.tracker_store.save(tracker)
        return True


async def paused_on_arrival(agent: Agent, event: InboundEvent) -> bool:
    """Whether `event`, now in its conversation, came into it paused (so the dialogue
    did not answer it): a new session starts paused while the tenant waits for a person."""
    return paused_when_received(await agent.tracker_store.retrieve(event.conversation_id), event)


async def record_answered(
    agent: Agent, event: InboundEvent, parsed: Dict[str, Any], text: str
) -> None:
    """Keep a message answered outside the dialogue (the answer to the question after a
    conversation, bot/feedback/surveys.py) in its conversation, with what was said back,
    as staff read it."""
    message = user_message(event, CollectingOutputChannel(), parsed)
    async with agent.lock_store.lock(event.conversation_id):
        tracker = await agent.processor.log_message(message, should_save_tracker=False)
        tracker.update(BotUttered(text, metadata={"surface": event.surface.value}))
        await agent.processor.save_tracker(tracker)


async def record_said(agent: Agent, event: InboundEvent, text: str) -> None:
    """Keep what the assistant said outside the dialogue in the conversation, as staff
    read it."""
    async with agent.lock_store.lock(event.conversation_id):
        tracker = await agent.tracker_store.retrieve(event.conversation_id)
        if tracker is None:
            return
        tracker.update(BotUttered(text, metadata={"surface": event.surface.value}))
        await agent.tracker_store.save(tracker)


async def reading(agent: Agent, event: InboundEvent) -> Dict[str, Any]:
    """The model's reading of `event`, which the dialogue is given as it is."""
    if event.attachment:
        return attachment_reading(event)
    parsed = await parse_off_the_loop(agent, as_words(event))
    return {**without_commands(parsed, event), "text": event.text}


async def parse_off_the_loop(agent: Agent, text: str) -> Dict[str, Any]:
    """`agent.parse_message(text)`, run in a worker thread (P12: speed).

    Rasa's `parse_message` is a coroutine that never waits: it runs the NLU pipeline
    (the featurizers, then DIET's TensorFlow graph) on the event loop, holding it for
    the whole reading, about a quarter of a loaded server's time. Meanwhile no webhook
    was acknowledged and no other conversation moved. In a thread, the loop carries on
    between the reading's steps, and TensorFlow's work, which lets go of Python's lock,
    runs beside it. An NLU server over HTTP (`http_interpreter`) does wait, on the loop,
    as does an agent with no model loaded yet (no processor), which Rasa refuses at once.
    """
    processor = getattr(agent, "processor", None)
    if processor is None or getattr(processor, "http_interpreter", None) is not None:
        return await agent.parse_message(text)
    return await asyncio.get_running_loop().run_in_executor(None, _parse, agent, text)


_thread = threading.local()


def _parse(agent: Agent, text: str) -> Dict[str, Any]:
    """`agent.parse_message(text)` to its end, on this worker thread's own event loop."""
    loop = getattr(_thread, "loop", None)
    if loop is None:
        loop = _thread.loop = asyncio.new_event_loop()
    return loop.run_until_complete(agent.parse_message(text))


async def emergency_while_paused(agent: Agent, event: InboundEvent, output: OutputChannel) -> None:
    """P2: a conversation with people still gets the emergency contacts at once.

    The dialogue answers nothing while paused; an emergency is the exception: the
    contacts, the handoff raised to urgent, and the tenant told it was.
    """
    async with agent.lock_store.lock(event.conversation_id):
        for action in EMERGENCY_WHILE_PAUSED:
            await agent.execute_action(
                event.conversation_id, action, output, "emergency_while_paused", 1.0
            )
            raise_if_actions_failed()


async def forget(agent: Agent, event: InboundEvent) -> None:
    """Take `event` back out of its conversation, so that it is answered again."""
    async with agent.lock_store.lock(event.conversation_id):
        tracker = await agent.tracker_store.retrieve(event.conversation_id)
        if has_message(tracker, event):
            tracker.update(UserUtteranceReverted())
            await agent.tracker_store.save(tracker)


def intent_of(parsed: Dict[str, Any]) -> Intent:
    """The intent the model read in `parsed`, and how sure it was."""
    intent = parsed.get("intent") or {}
    return Intent(intent.get("name"), float(intent.get("confidence") or 0.0))


def is_emergency(intent: Intent) -> bool:
    """Whether the model is sure enough that the message reports an emergency (P2)."""
    return intent.name == "report_emergency" and intent.confidence >= EMERGENCY_CONFIDENCE
