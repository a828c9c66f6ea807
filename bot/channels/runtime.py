"""What the connectors share inside one Rasa server: intake, outbox and their workers.

A webhook only checks, records and acknowledges; the intake loop then hands each
recorded message to Rasa, one at a time per conversation, and the output channel puts
every reply in the outbox, which the outbox loops send. Blocking work (the store, the
platform calls) runs in threads, never in the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import deque
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Deque, Dict, List, Mapping, Set

from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import LockError
from sanic import Sanic
from sqlalchemy.engine import Engine

from bot import clock
from bot.alerts.alerts import AlertWatcher
from bot.channels.dialogue import (
    ActionsFailed,
    OutboxOutput,
    configured_tracker_store,
    emergency_while_paused,
    forget,
    has_message,
    insist_on_the_tracker_store,
    intent_of,
    is_emergency,
    pause_for_people,
    paused_on_arrival,
    paused_when_received,
    raise_if_actions_failed,
    reading,
    record_answered,
    record_said,
    record_screened,
    user_message,
    watch_actions,
)
from bot.channels.heap import freeze_loaded_model
from bot.channels.sending import IDLE_WAIT, OUTBOX_SENDERS, SendingProcess
from bot.events import InboundEvent, Platform, Surface
from bot.feedback.surveys import SurveyDesk
from bot.handoff.handoffs import Handoff
from bot.handoff.waiting import WaitingNotes
from bot.intake import MAX_ATTEMPTS, RENEW_EVERY, Claimed, IntakeStore
from bot.outbox import Author, Outbox, PlatformError
from bot.outbox_worker import OutboxWorker
from bot.platforms.kit import Listing
from bot.platforms.registry import KITS
from bot.platforms.routing import reply_route
from bot.protection.notice import PrivacyNotices
from bot.protection.retention import ConversationRetention, RetentionRun
from bot.screening.coordinator import Screening
from bot.store import clear_write_ahead_log

if TYPE_CHECKING:
    from rasa.core.agent import Agent

logger = logging.getLogger(__name__)
# How often the outbox's process is checked, and started again if it has stopped.
SENDING_CHECK_EVERY = 5.0
# How long after the runtime starts the outbox's process is started.
SENDING_START_AFTER = 1.0
# How often old public comments are looked for (P10); the first look is at start-up.
RETENTION_EVERY = 3600.0
# How often each platform's posts are listed for comments never seen (P10): the ones the
# assistant sees are noted as they come, so a day's wait costs little, and a listing of
# every post is many calls (LinkedIn's daily limits are not published).
SWEEP_EVERY = timedelta(days=1)
# How often open handoffs are checked for alerts due (bot/alerts/): deadlines near or missed.
ALERTS_EVERY = 60.0
# How often a SQLite store's write-ahead log is emptied: what is erased is gone from it
# within this (P9, bot.store.clear_write_ahead_log).
CLEAR_LOG_EVERY = 60.0
# How soon it is tried again when other connections kept it from being emptied.
CLEAR_LOG_RETRY = 5.0
# What ends a conversation the assistant resolved on its own (P11's question follows).
RESOLVED = ("goodbye", "thank")
# Conversations handled at once by one server: one slow conversation holds up no other.
INTAKE_WORKERS = 16
# While the action server is down, a message waits this long between tries.
ACTIONS_DOWN_RETRY = timedelta(seconds=10)
# How long a message waits when the lock store cannot lock its conversation.
LOCK_STORE_DOWN_RETRY = timedelta(seconds=5)
# P12: what a tenant hears, once, when the assistant cannot answer them now.
APOLOGY = (
    "Sorry, something went wrong on our side and I can't answer just now. "
    "I've kept your message and will reply here as soon as I can."
)


def utc_now() -> datetime:
    """The server's clock (bot/clock.py: real, unless a test fakes it)."""
    return clock.utc_now()


def rasa_agent(app: Sanic) -> Agent | None:
    """The agent Rasa loaded for `app` (Rasa keeps it on `app.ctx.agent`), if any yet."""
    return getattr(app.ctx, "agent", None)


async def refuse_memory_tracker_store(app: Sanic) -> None:
    """Stop the server at start-up if its conversations would be kept in memory (P12)."""
    configured = await in_thread(configured_tracker_store, sys.argv)
    insist_on_the_tracker_store(rasa_agent(app), configured)


async def server_started(app: Sanic) -> None:
    """What every Rasa server with the project's channels does once started, its model
    loaded: refuse a tracker store in memory, then keep the model out of full garbage
    collections (bot/channels/heap.py)."""
    await refuse_memory_tracker_store(app)
    freeze_loaded_model(rasa_agent(app))


class ChannelRuntime:
    """The intake and outbox of one Rasa server, and the loops that drain them."""

    def __init__(
        self,
        intake: IntakeStore,
        box: Outbox,
        worker: OutboxWorker,
        screening: Screening,
        clock: Callable[[], datetime] = utc_now,
        listings: Mapping[Platform, Listing] | None = None,
        waiting: WaitingNotes | None = None,
        alerts: AlertWatcher | None = None,
        retention: ConversationRetention | None = None,
        notices: PrivacyNotices | None = None,
        notice: str = "",
    ) -> None:
        self.intake = intake
        self.outbox = box
        self.screening = screening
        # P10: each platform's listing of the account's public comments (those it keeps),
        # and when each was last read.
        self.listings = dict(listings or {})
        self._swept: Dict[Platform, datetime] = {}
        # A tenant waiting for a person: not answered, told at most once an hour.
        self.waiting = waiting
        self._worker = worker
        self._clock = clock
        self._alerts = alerts
        # P9: conversations, and the store's records, older than the setting go.
        self.retention = retention
        # P9: the first private answer to an account is followed by `notice`, once.
        self._notices = notices
        self._notice = notice
        # P11: the one question after a conversation, and its answer (set by wiring).
        self.surveys: SurveyDesk | None = None
        self._tasks: List[asyncio.Task] = []
        self._working: Set[asyncio.Task] = set()
        self._intake_ready = asyncio.Event()
        self._outbox_ready: Doorbell | SendingProcess = Doorbell()
        # Set (by wiring) for the outbox to be sent from a process of its own.
        self.sending: SendingProcess | None = None

    def start(self, app: Sanic, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Start the loops, once, on the server's event loop."""
        if self._tasks:
            return
        self._intake_ready = asyncio.Event()
        self._tasks.append(asyncio.ensure_future(self._intake_loop(app, on_new_message)))
        if self.sending is not None:
            self._outbox_ready = self.sending
            self._tasks.append(asyncio.ensure_future(self._keep_sending(self.sending)))
        else:
            bell = self._outbox_ready = Doorbell()
            for _ in range(OUTBOX_SENDERS):
                self._tasks.append(asyncio.ensure_future(self._outbox_loop(bell)))
        self._tasks.append(asyncio.ensure_future(self._retention_loop()))
        self._tasks.append(asyncio.ensure_future(clear_log_regularly(self.intake.engine)))
        if self._alerts is not None or self.surveys is not None:
            self._tasks.append(asyncio.ensure_future(self._alerts_loop()))

    async def stop(self) -> None:
        """Stop the loops; what they had not finished is picked up at the next start."""
        tasks = [*self._tasks, *self._working]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._working.clear()
        if self.sending is not None:
            await in_thread(self.sending.stop)

    def remove_old_comments(self) -> int:
        """P10, once: sweep each platform's comments (once a day), then queue the old
        ones' deletion."""
        comments, now = self.screening.comments, self._clock()
        for platform, listing in self.listings.items():
            last = self._swept.get(platform)
            if last is not None and now - last < SWEEP_EVERY:
                continue
            try:
                comments.note_all(listing(), platform)
                self._swept[platform] = now
            except PlatformError as error:
                # The comments already noted are still removed; the sweep runs again.
                logger.warning("Could not list the %s comments: %s", platform.value, error)
            except Exception:  # a fault of ours in one listing costs the others nothing
                logger.exception("The %s comment listing failed", platform.value)
        screening = self.screening
        return comments.remove_old(
            now, screening.months_to_keep_comments, screening.months_to_keep_by_platform
        )

    def remove_old_conversations(self) -> RetentionRun | None:
        """P9, once: erase what is older than the conversation retention setting."""
        return self.retention.run(self._clock()) if self.retention is not None else None

    def watch_alerts(self) -> int:
        """Queue the staff alerts open handoffs are due now, once each, and the question
        after each handoff closed lately; returns how many."""
        now = self._clock()
        queued = self._alerts.run_once(now) if self._alerts is not None else 0
        if self.surveys is not None:
            queued += self.surveys.ask_after_closed(now)
        return queued

    def drain_outbox(self) -> int:
        """Send every call that is due now, here (for commands); returns how many."""
        count = 0
        while self._worker.run_once():
            count += 1
        return count

    async def accept(self, events: List[InboundEvent]) -> List[InboundEvent]:
        """Record a webhook's events durably; returns those not seen before."""
        accepted = await in_thread(self.intake.accept, events, self._clock())
        if accepted:
            self._intake_ready.set()
        return accepted

    async def enqueue_reply(
        self, event: InboundEvent, text: str, position: int, key: str | None = None
    ) -> None:
        """Put the assistant's reply to `event` in the outbox.

        `key` names the reply instead of its position (the apology is sent once).
        """
        route = reply_route(event)
        if route is None:
            logger.info(
                "No reply to a %s %s: another app has the thread", event.platform, event.kind
            )
            return
        operation, target = route
        # A reply longer than the platform takes there goes as several messages.
        pieces = KITS[event.platform].pieces(operation, text)
        for part, piece in enumerate(pieces):
            # Handled twice (a crash before it was marked processed), it is sent once.
            dedupe_key = f"{event.platform}:{event.event_id}:{key or position}"
            await in_thread(
                self.outbox.enqueue,
                event.conversation_id,
                event.platform,
                operation,
                target,
                self._clock(),
                text=piece,
                author=Author.ASSISTANT,
                user_message_at=event.sent_at,
                dedupe_key=dedupe_key if part == 0 else f"{dedupe_key}:{part}",
            )
        self._outbox_ready.set()

    async def _notice_after(self, notices: PrivacyNotices, event: InboundEvent) -> None:
        """Put the privacy notice in the outbox after the assistant's answer to a
        private message, if the account has not had it (P9; bot/protection/notice.py).
        Enqueued, then recorded: handled again after a crash between the two, its dedupe
        key sends it once, and then it is recorded."""
        if event.surface is not Surface.PRIVATE or reply_route(event) is None:
            return
        platform = event.platform.value
        if await in_thread(notices.queued, platform, event.author_id):
            return
        await in_thread(
            self.send_private,
            event.conversation_id,
            platform,
            event.author_id,
            self._notice,
            event.sent_at,
            f"{platform}:{event.event_id}:privacy-notice",
        )
        await in_thread(
            notices.note_queued, platform, event.author_id, event.conversation_id, self._clock()
        )

    async def _intake_loop(
        self, app: Sanic, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """Hand accepted messages to Rasa, up to INTAKE_WORKERS conversations at once.

        A conversation whose message is slow (a slow action, a long model) holds up
        only itself: the others are claimed as soon as a worker is free. Nothing that
        goes wrong here stops the loop; what was claimed is claimed again.
        """
        while True:
            try:
                agent = rasa_agent(app)
                if agent is None or not agent.is_ready():
                    await asyncio.sleep(0.5)
                    continue
                room = INTAKE_WORKERS - len(self._working)
                claimed = await in_thread(self.intake.claim, self._clock(), room) if room else []
                for item in claimed:
                    task = asyncio.ensure_future(self._process(agent, item, on_new_message))
                    self._working.add(task)
                    task.add_done_callback(self._finished)
                if not claimed:
                    await _wait(self._intake_ready, IDLE_WAIT)
            except asyncio.CancelledError:
                raise
            except Exception:  # the store is unreachable, or worse: keep trying
                logger.exception("The intake loop failed; trying again")
                await asyncio.sleep(IDLE_WAIT)

    def _finished(self, task: asyncio.Task) -> None:
        self._working.discard(task)
        # A worker is free, and its conversation may have a next message waiting.
        self._intake_ready.set()

    async def _process(
        self, agent: Agent, item: Claimed, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        event = item.event
        if item.attempts > MAX_ATTEMPTS:
            # Claimed this often with no outcome recorded: each attempt died with its
            # process. Reading it again could take the server down again, for ever.
            await self._set_aside_unread(item)
            return
        heartbeat = asyncio.ensure_future(self._keep_claim(item))
        try:
            watch_actions(agent)
            await self._handle(agent, event, on_new_message)
        except ActionsFailed as error:
            heartbeat.cancel()  # the retry time set next must not be renewed away
            logger.warning(
                "Actions failed for %s event %s: %s", event.platform, event.event_id, error
            )
            await self._after_failed_actions(agent, item, error)
        except LockError as error:
            # The lock store (Redis, in the cluster) is unreachable, or another server
            # held the conversation too long: nothing of the message was read, and it is
            # no fault of its own. It waits, without using up its attempts (P12).
            heartbeat.cancel()
            logger.error(
                "The lock store could not lock the conversation of %s event %s (%s); the "
                "message waits and is tried again in %s",
                event.platform,
                event.event_id,
                error,
                LOCK_STORE_DOWN_RETRY,
            )
            await self._postpone(item, repr(error), LOCK_STORE_DOWN_RETRY)
        except Exception as error:
            heartbeat.cancel()
            logger.exception("Processing %s event %s failed", event.platform, event.event_id)
            await self._try_again_later(item, repr(error), agent)
        else:
            heartbeat.cancel()
            try:
                await in_thread(self.intake.processed, item.row_id, self._clock())
            except Exception as error:  # handled: a retry finds it in the conversation
                logger.exception("Could not mark event %s processed", item.row_id)
                await self._try_again_later(item, repr(error), agent)
        finally:
            heartbeat.cancel()

    async def _handle(
        self,
        agent: Agent,
        event: InboundEvent,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        # Screening is done again when a message is processed again after a crash:
        # it queues and logs nothing twice, and finishes what the crash cut short.
        tracker = await agent.tracker_store.retrieve(event.conversation_id)
        handled = has_message(tracker, event)
        paused = paused_when_received(tracker, event)
        parsed = await reading(agent, event)
        intent = intent_of(parsed)
        screened = await in_thread(self.screening.screen, event, intent, self._clock())
        if screened.dialogue:
            output = OutboxOutput(self.enqueue_reply, event)
            waiting = await self._waiting_handoff(event)
            if not handled and await self._answered_survey(agent, event, parsed):
                self._outbox_ready.set()
                return
            if not handled:
                # The tenant's handoff follows them here: the dialogue must not answer.
                if waiting is not None and not paused:
                    paused = await pause_for_people(agent, event.conversation_id)
                await on_new_message(user_message(event, output, parsed))
                raise_if_actions_failed()
                paused = paused or await paused_on_arrival(agent, event)
            # Also when the message was saved before a failure: its dedupe keys send the
            # contacts once, and the handoff is raised once.
            if paused and is_emergency(intent):
                await emergency_while_paused(agent, event, output)
            elif paused and waiting is not None:
                await self._note_waiting(agent, event, waiting)
            if screened.later:
                now = self._clock()
                await in_thread(self.screening.send_later, event, screened.later, now)
            # P9: the account's first private conversation carries the privacy notice,
            # after the answer (an emergency's contacts never wait; its notice, and that
            # of a warning for abuse, waits for the next conversation).
            quiet = is_emergency(intent) or intent.name == "abuse"
            if output.replied and not quiet and self._notices is not None:
                await self._notice_after(self._notices, event)
            # P11: a conversation the assistant resolved on its own ends with one question.
            resolved = intent.name in RESOLVED and output.replied and not paused
            private = event.surface is Surface.PRIVATE and event.platform in KITS
            if resolved and private and self.surveys is not None:
                await in_thread(
                    self.surveys.ask_after_resolved,
                    event.conversation_id,
                    event.platform.value,
                    event.author_id,
                    self._clock(),
                )
        elif not handled:
            await record_screened(agent, event, screened, parsed)
        self._outbox_ready.set()

    async def _answered_survey(
        self, agent: Agent, event: InboundEvent, parsed: Dict[str, Any]
    ) -> bool:
        """Read a private message as the answer to the question after a conversation,
        when one waits: thank the tenant (or take their no) and keep it in the
        conversation; False when it is no answer, for the dialogue."""
        if self.surveys is None or event.surface is not Surface.PRIVATE or not event.text:
            return False
        if event.platform not in KITS:  # the local REST channel is asked nothing
            return False
        said = await in_thread(
            self.surveys.read,
            event.conversation_id,
            event.platform.value,
            event.author_id,
            event.text,
            self._clock(),
        )
        if said is None:
            return False
        await self.enqueue_reply(event, said.text, 0, key="survey-answer")
        await record_answered(agent, event, parsed, said.text)
        return True

    def send_private(
        self,
        conversation_id: str,
        platform: str,
        account: str,
        text: str,
        last_message_at: datetime | None,
        key: str,
    ) -> None:
        """Queue a message of the assistant's to a tenant's private conversation (the
        privacy notice, the question after a conversation), once per `key` (blocking)."""
        kit = KITS[Platform(platform)]
        now = self._clock()
        route = InboundEvent(platform, "message", key, "private", account, "", now)
        operation, target = kit.reply_route(route)
        for part, piece in enumerate(kit.pieces(operation, text)):
            self.outbox.enqueue(
                conversation_id,
                platform,
                operation,
                target,
                now,
                text=piece,
                author=Author.ASSISTANT,
                user_message_at=last_message_at,
                dedupe_key=f"{key}:{part}",
            )

    async def _waiting_handoff(self, event: InboundEvent) -> Handoff | None:
        """The open handoff the message's tenant is waiting on, if any (P3)."""
        if self.waiting is None:
            return None
        return await in_thread(self.waiting.handoff_for, event.conversation_id)

    async def _note_waiting(self, agent: Agent, event: InboundEvent, handoff: Handoff) -> None:
        """Tell a waiting tenant, whose message the dialogue left to people, that it was
        added for the team: at most once an hour."""
        if self.waiting is None:
            return
        said = await in_thread(self.waiting.note, event, handoff, self._clock())
        if said is not None:
            await record_said(agent, event, said)

    async def _after_failed_actions(
        self, agent: Agent, item: Claimed, error: ActionsFailed
    ) -> None:
        """Apologise once, take the message back out of the conversation, try again.

        While the action server is down the message waits without using up its
        attempts, and is answered in full when the server is back (P12).
        """
        event = item.event
        try:
            await self.enqueue_reply(event, APOLOGY, 0, key="apology")
            await forget(agent, event)
            if error.server_down:
                now = self._clock()
                await in_thread(self.intake.postpone, item, now, repr(error), ACTIONS_DOWN_RETRY)
                return
        except Exception:
            logger.exception("Could not set %s event %s aside", event.platform, event.event_id)
        await self._try_again_later(item, repr(error), agent)

    async def _postpone(self, item: Claimed, error: str, delay: timedelta) -> None:
        try:
            await in_thread(self.intake.postpone, item, self._clock(), error, delay)
        except Exception:
            # The store failed too: the claim runs out and the event is claimed again.
            logger.exception("Could not postpone event %s", item.row_id)

    async def _try_again_later(self, item: Claimed, error: str, agent: Agent) -> None:
        try:
            aside = await in_thread(self.intake.failed, item, self._clock(), error)
        except Exception:
            # The store failed too: the claim runs out and the event is claimed again.
            logger.exception(
                "Could not record the failure of event %s; it is tried again in %s",
                item.row_id,
                self.intake.lease,
            )
            return
        if aside:
            await self._hand_over_set_aside(agent, item.event)

    async def _set_aside_unread(self, item: Claimed) -> None:
        error = f"processing was cut short {item.attempts - 1} times"
        try:
            aside = await in_thread(self.intake.failed, item, self._clock(), error)
        except Exception:
            logger.exception("Could not set event %s aside", item.row_id)
            return
        if aside:
            await self._hand_over_set_aside(None, item.event)

    async def _hand_over_set_aside(self, agent: Agent | None, event: InboundEvent) -> None:
        """P12: a message set aside is seen by a person, and the tenant told once.

        An emergency read by the model is handed over as one, urgent (P2); with no
        `agent`, the message is not read again (reading it took the server down).
        """
        try:
            emergency = agent is not None and is_emergency(intent_of(await reading(agent, event)))
        except Exception:  # the model is what fails: a person reads the message anyway
            emergency = False
        logger.error("Set aside %s event %s for staff", event.platform, event.event_id)
        try:
            now = self._clock()
            await in_thread(self.screening.hand_over_set_aside, event, emergency, now)
        except Exception:
            logger.exception("Could not hand over %s event %s", event.platform, event.event_id)
        try:
            # The same key as the apology for failed actions: the tenant hears it once.
            await self.enqueue_reply(event, APOLOGY, 0, key="apology")
        except Exception:
            logger.exception("Could not apologise for %s event %s", event.platform, event.event_id)

    async def _retention_loop(self) -> None:
        """P10: remove public comments once they are older than their platform's setting;
        P9: and conversations older than theirs."""
        while True:
            try:
                removed = await in_thread(self.remove_old_comments)
                if removed:
                    logger.info(
                        "Asked for %d public comments past their retention period (P10) to "
                        "be removed",
                        removed,
                    )
                    self._outbox_ready.set()
            except Exception:
                logger.exception("The retention job failed; trying again later")
            try:
                run = await in_thread(self.remove_old_conversations)
                if run is not None and run.total:
                    logger.info(
                        "Retention: %d conversations and %d older records removed",
                        run.conversations,
                        sum(run.removed.values()),
                    )
            except Exception:
                logger.exception("The conversation retention job failed; trying again later")
            await asyncio.sleep(RETENTION_EVERY)

    async def _alerts_loop(self) -> None:
        """P2, P3: alert staff of deadlines near or missed, and of urgent handoffs whose
        alert a crash lost; the first look is at start-up."""
        while True:
            try:
                if await in_thread(self.watch_alerts):
                    self._outbox_ready.set()
            except Exception:
                logger.exception("The alerts watcher failed; trying again later")
            await asyncio.sleep(ALERTS_EVERY)

    async def _keep_claim(self, item: Claimed) -> None:
        """Renew the claim on `item` while it is processed, however slow the model is."""
        while True:
            await asyncio.sleep(RENEW_EVERY.total_seconds())
            try:
                await in_thread(self.intake.renew, item.row_id, self._clock())
            except Exception:  # the store is unreachable for a moment: try again
                logger.exception("Could not renew the claim on event %s", item.row_id)

    async def _keep_sending(self, sending: SendingProcess) -> None:
        """Start the outbox's process, and start it again whenever it has stopped.

        It starts `SENDING_START_AFTER` after the runtime: a server stopped sooner (a
        test client's request) never starts one. Calls queued meanwhile are stored, and
        the child's senders look for what is due as they start.
        """
        first = True
        await asyncio.sleep(SENDING_START_AFTER)
        while True:
            if not sending.running():
                if not first:
                    logger.error("The outbox's process stopped; starting it again")
                try:
                    await in_thread(sending.start)
                except Exception:
                    logger.exception("Could not start the outbox's process; trying again")
                first = False
            await asyncio.sleep(SENDING_CHECK_EVERY)

    async def _outbox_loop(self, bell: Doorbell) -> None:
        while True:
            try:
                worked = await in_thread(self._worker.run_once)
            except Exception:
                logger.exception("The outbox worker failed; trying again")
                worked = False
            if not worked:
                await bell.wait(IDLE_WAIT)


async def clear_log_regularly(engine: Engine) -> None:
    """P9: empty the store's write-ahead log every `CLEAR_LOG_EVERY` seconds, so that
    what is erased from a SQLite store is gone from its log too (one Rasa server's loop
    clears it for every process writing the file). Emptying it never waits for others
    (`clear_write_ahead_log`): while they are busy, it is tried again sooner."""
    wait, tries = CLEAR_LOG_EVERY, 0
    while True:
        await asyncio.sleep(wait)
        try:
            cleared = await in_thread(clear_write_ahead_log, engine, tries=1)
        except Exception:
            logger.exception("Could not empty the store's write-ahead log; trying again later")
            cleared = False
        if cleared:
            wait, tries = CLEAR_LOG_EVERY, 0
        else:
            wait, tries = CLEAR_LOG_RETRY, tries + 1
            if tries * CLEAR_LOG_RETRY >= CLEAR_LOG_EVERY:
                logger.warning(
                    "The store's write-ahead log could not be emptied for %.0f s: other "
                    "connections kept using it; still trying",
                    tries * CLEAR_LOG_RETRY,
                )
                tries = 0


async def in_thread(function: Callable, *args: Any, **kwargs: Any) -> Any:
    """`function(*args, **kwargs)` in a thread: blocking work kept off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(
        None, partial(function, *args, **kwargs)
    )


class Doorbell:
    """Wakes one waiting loop each time it is rung, for one more piece of work.

    An `asyncio.Event` would wake every outbox loop for each reply queued: all of them
    would read the outbox for it, and all but one would find it taken. A loop that finds
    work looks again before it waits, so a burst of replies wakes a loop for each, and
    the work is shared. A ring while no loop waits is kept for the next one to wait.
    """

    def __init__(self) -> None:
        self._waiting: Deque[asyncio.Future] = deque()
        self._rung = False

    def set(self) -> None:
        """Ring: wake one waiting loop, or the next to wait."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._rung = True

    async def wait(self, seconds: float) -> None:
        """Until rung, or `seconds` have passed."""
        if self._rung:
            self._rung = False
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            await asyncio.wait_for(waiter, timeout=seconds)
        except asyncio.TimeoutError:
            pass


async def _wait(signal: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(signal.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass
    signal.clear()
