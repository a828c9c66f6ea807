"""The outbox worker: sends the stored calls through each platform's deliverer (P12).

It claims one message at a time with a lease, renews the lease while the call runs,
and marks the message sent, retried later (with backoff, after `Retry-After` when the
platform gives one) or dead. Which platform a message goes to is only a key into
`deliverers`: the worker knows no platform (bot/platforms/<name>/delivery.py does).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Callable, Mapping, Sequence, Tuple

from bot.events import Operation
from bot.outbox import GIVE_UP_AFTER, Outbound, Outbox, OutboxListener, PlatformError
from bot.secret_masking import hide_secrets

logger = logging.getLogger(__name__)
# Calls that are done when what they act on is gone: a comment deleted already (with the
# comment it was under: Facebook, Instagram and LinkedIn delete a comment's replies).
DONE_WHEN_GONE = frozenset({Operation.DELETE_COMMENT})


def backoff(attempts: int, retry_after: float | None, base: float, cap: float) -> timedelta:
    """How long to wait before attempt `attempts + 1`: the platform's word, or doubling."""
    if retry_after is not None:
        return timedelta(seconds=max(retry_after, 0.0))
    # The exponent is bounded: after a thousand attempts 2 ** n is too big for a float.
    return timedelta(seconds=min(cap, base * 2 ** min(max(attempts - 1, 0), 32)))


Deliver = Callable[[Outbound, datetime], str]
# What the account sent lately where a message goes, newest first, as the platform
# lists it: (its id for each, the text, when it was written if the platform says).
# Empty where the platform cannot tell.
Lately = Callable[[Outbound], Sequence[Tuple[str, str, datetime | None]]]
# How far the platform's clock may be behind ours when the worker asks what went out.
PLATFORM_CLOCK_MARGIN = timedelta(seconds=5)


class OutboxWorker:
    """Sends stored calls through the platform clients, one claim at a time.

    `deliverers` maps a platform to a function that makes the call and returns the
    platform's id for it, raising `PlatformError`. Safe to run several at once, in
    one process or many.
    """

    def __init__(
        self,
        box: Outbox,
        deliverers: Mapping[str, Deliver],
        clock: Callable[[], datetime],
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        listener: OutboxListener | None = None,
        renew_every: float | None = None,
        lately: Mapping[str, Lately] | None = None,
    ) -> None:
        """`renew_every` (seconds of real time): how often a running call's claim is
        renewed; a third of the outbox's lease unless given. `lately`: per platform, how
        to ask what the account sent lately, for a message in doubt."""
        self._lately = lately or {}
        self._renew_every = renew_every or box.lease.total_seconds() / 3
        self._box = box
        self._deliverers = deliverers
        self._clock = clock
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._listener = listener or OutboxListener()

    def run_once(self) -> bool:
        """Send the next due call, if there is one; True if there was."""
        now = self._clock()
        # Only calls it can make: another worker may have the deliverer this one lacks.
        message = self._box.claim(now, platforms=list(self._deliverers))
        if message is None:
            return False
        claim = message.attempts
        try:
            platform_id = self._call(message, now)
        except PlatformError as error:
            if error.gone and message.operation in DONE_WHEN_GONE:
                # Deleted already: with the comment it was under, or by someone else.
                logger.info("Outbox message %s: its target is gone already", message.id)
                platform_id = message.target
            else:
                self._failed(message, error, claim)
                return True
        except Exception as error:  # a fault of ours, not the platform's: retrying won't help
            logger.exception("Sending outbox message %s failed", message.id)
            reason = hide_secrets(f"{error.__class__.__name__}: {error}")
            self._box.dead(message.id, reason, claim=claim)
            return True
        done = self._clock()
        if self._box.sent(message.id, done, platform_id, claim=claim):
            self._listener.sent(message, platform_id, done)
        return True

    def _sent_before(self, message: Outbound) -> str | None:
        """The platform's id for `message` if a worker that died sent it already.

        Messages of a conversation go out in order, so if it went out it is among the
        newest the account sent there: the platform's list is read for the same text
        from the newest down, and stops at the first one recorded sent (in any
        conversation of ours) or written before the message was stored (less a margin
        for the platform's clock): an older message is never taken for it. Where the
        platform cannot tell, or refuses to be read, None: it is sent again rather than
        lost.

        Raises:
            PlatformError: the platform or the store could not be read now (a timeout,
                a 5xx, an odd answer): still in doubt, asked again at the next attempt.
        """
        lately = self._lately.get(message.platform)
        if not message.in_doubt or lately is None or not message.text:
            return None
        try:
            listed = list(lately(message))
            recorded = self._box.sent_as([platform_id for platform_id, _, _ in listed])
        except PlatformError as error:
            if not error.transient:
                logger.warning(
                    "Could not ask whether outbox message %s went out: %s", message.id, error
                )
                return None
            raise PlatformError(
                f"could not ask whether it went out: {error}",
                transient=True,
                retry_after=error.retry_after,
                maybe_done=True,
            ) from None
        except Exception as error:  # the store, or an answer not as documented
            reason = hide_secrets(f"{error.__class__.__name__}: {error}")
            raise PlatformError(
                f"could not ask whether it went out: {reason}", transient=True, maybe_done=True
            ) from None
        since = message.created_at - PLATFORM_CLOCK_MARGIN
        for platform_id, text, written in listed:
            if platform_id in recorded or (written is not None and written < since):
                return None
            if text == message.text:
                logger.info("Outbox message %s had gone out before its worker died", message.id)
                return platform_id
        return None

    def _failed(self, message: Outbound, error: PlatformError, claim: int) -> None:
        """Try `message` again later, or give it up to the dead letters."""
        done = self._clock()
        if not error.transient or done - message.created_at > GIVE_UP_AFTER:
            if self._box.dead(message.id, str(error), claim=claim):
                self._fall_back(message, done)
                self._listener.refused(message, error, done)
        else:
            wait = backoff(message.attempts, error.retry_after, self._base_delay, self._max_delay)
            doubt = done if error.maybe_done else None
            self._box.retry(message.id, done + wait, str(error), claim=claim, in_doubt_since=doubt)

    def _call(self, message: Outbound, now: datetime) -> str:
        """Make the platform call, unless a message in doubt went out already, renewing
        the claim on `message` while it runs (asking too may be slow)."""
        deliver = self._deliverers.get(message.platform)
        if deliver is None:
            raise PlatformError(f"the {message.platform} channel is off", transient=True)
        stop = threading.Event()
        keeper = threading.Thread(target=self._keep_claim, args=(message, stop), daemon=True)
        keeper.start()
        try:
            return self._sent_before(message) or deliver(message, now)
        finally:
            stop.set()
            keeper.join()

    def _keep_claim(self, message: Outbound, stop: threading.Event) -> None:
        """Renew the claim on `message` until `stop`: a slow call keeps it."""
        while not stop.wait(self._renew_every):
            try:
                if not self._box.renew(message.id, self._clock(), message.attempts):
                    logger.warning("Lost the claim on outbox message %s", message.id)
                    return
            except Exception:  # the store is unreachable for a moment: try again
                logger.exception("Could not renew the claim on outbox message %s", message.id)

    def _fall_back(self, message: Outbound, now: datetime) -> None:
        self._box.enqueue_all(
            message.conversation_id,
            message.platform,
            message.fallback,
            now,
            f"fallback:{message.id}",
            author=message.author,
        )
