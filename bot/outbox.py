"""The durable outbox: every call to a platform is stored, then sent by a worker (P12).

A reply survives a platform outage or a restart. Messages of one conversation go out
one at a time, in the order they were written. Transient failures (timeouts, 5xx, 429)
are retried with exponential backoff, after `Retry-After` when the platform gives one;
a permanent failure (any other 4xx, or Messenger's messaging window closed) goes to the
dead letters, which staff see.

Exactly once: a message is claimed with a lease before its call and marked sent after
it. The worker renews the lease while the call runs, however slow the platform, so no
other worker takes the message meanwhile; and a worker that lost its claim (it could
not renew) records nothing over the next claim's outcome. A worker killed between a
platform's answer and that mark leaves the message in doubt: the next claim knows it
(`Outbound.in_doubt`), and the worker asks the platform what the account sent there
lately before it sends again (Messenger and X direct messages). So does a call whose
answer timed out. No platform call here takes an idempotency key, so for the calls
whose platform cannot be asked (a public reply) that window, well under a second, and
a late answer are the ways a message can go out twice.

What a message says stays only while it waits: it is dropped once the message is sent,
and kept with its fallback when it becomes a dead letter, so that staff can send it
again. Text, fallback and error are `Encrypted` columns (P9): the store never holds them
readable. A dead letter sealed by an older release under OUTBOX_KEY still opens: that key
is among the store's decrypt-only keys (`Settings.data_keys`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Collection, List, Sequence

from sqlalchemy import Text, and_, bindparam, exists, or_, select, type_coerce
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.events import Operation
from bot.keys import ENCRYPTED_PREFIX, DataKeys, Undecryptable, is_encrypted
from bot.secret_masking import hide_secrets
from bot.store import as_aware, keys_of, outbox, to_utc

logger = logging.getLogger(__name__)

PENDING = "pending"
SENT = "sent"
DEAD = "dead"
# A dead letter staff chose not to send: kept for the record, its sealed words dropped.
DISMISSED = "dismissed"
# A claim not renewed for this long was cut short by a crash, and the message is sent
# after the restart. The worker renews it every third of it while the call runs, so a
# call that outlasts it (bot/platforms/http.py gives up at connect + 2 x read, 23 s) keeps it.
LEASE = timedelta(seconds=30)
GIVE_UP_AFTER = timedelta(days=7)


class PlatformError(Exception):
    """A platform call that did not succeed."""

    def __init__(
        self,
        message: str,
        transient: bool,
        retry_after: float | None = None,
        gone: bool = False,
        maybe_done: bool = False,
    ):
        super().__init__(hide_secrets(message))
        self.transient = transient
        self.retry_after = retry_after
        # What the call was about no longer exists (a 404, or the Graph API's "does not
        # exist"): a deletion of it is done already.
        self.gone = gone
        # The platform had the call and its answer was lost (it timed out, or came
        # broken): it may have been carried out, so the message is in doubt.
        self.maybe_done = maybe_done


@dataclass(frozen=True)
class Call:
    """One platform call to make: what, to which id, with which text, and what to make
    instead if the platform refuses it for good."""

    operation: Operation
    target: str
    text: str | None = None
    fallback: tuple[Call, ...] = ()


class Author(str, Enum):
    """Who wrote an outbound message: the window Messenger allows depends on it."""

    ASSISTANT = "assistant"
    STAFF = "staff"


@dataclass(frozen=True)
class Outbound:
    """One stored platform call."""

    id: int
    conversation_id: str
    platform: str
    operation: Operation
    target: str
    text: str | None
    author: Author
    user_message_at: datetime | None
    attempts: int
    created_at: datetime
    state: str = PENDING
    last_error: str | None = None
    fallback: tuple[Call, ...] = ()
    # Claimed before, with no outcome recorded: the worker that held it died, perhaps
    # after the platform took the call (bot.outbox_worker asks the platform, where it can).
    in_doubt: bool = False


class Unsealable(Exception):
    """A dead letter sealed under a key this outbox does not hold: it cannot be read."""


class OutboxListener:
    """Told what became of calls; the default does nothing."""

    def sent(self, message: Outbound, platform_id: str, now: datetime) -> None:
        """The platform accepted `message` and named it `platform_id`."""

    def refused(self, message: Outbound, error: PlatformError, now: datetime) -> None:
        """The platform refused `message` for good (it is now a dead letter)."""


class OutboxListeners(OutboxListener):
    """Several listeners, each told in turn."""

    def __init__(self, *listeners: OutboxListener) -> None:
        self._listeners = listeners

    def sent(self, message: Outbound, platform_id: str, now: datetime) -> None:
        """Tell each listener."""
        for listener in self._listeners:
            listener.sent(message, platform_id, now)

    def refused(self, message: Outbound, error: PlatformError, now: datetime) -> None:
        """Tell each listener."""
        for listener in self._listeners:
            listener.refused(message, error, now)


class Outbox:
    """Outbound platform calls in the project's store."""

    def __init__(self, engine: Engine, lease: timedelta = LEASE, key: str | None = None) -> None:
        """`key`: the retired OUTBOX_KEY, to open dead letters an older release sealed
        under it, where the engine's keys do not hold it already."""
        self._engine = engine
        self._lease = lease
        self._legacy_key = key

    @property
    def lease(self) -> timedelta:
        """How long a claim holds unless renewed."""
        return self._lease

    def enqueue(
        self,
        conversation_id: str,
        platform: str,
        operation: Operation,
        target: str,
        now: datetime,
        text: str | None = None,
        author: Author = Author.ASSISTANT,
        user_message_at: datetime | None = None,
        dedupe_key: str | None = None,
        fallback: Sequence[Call] = (),
        connection: Connection | None = None,
    ) -> int | None:
        """Store a call to make; None if one with `dedupe_key` is already stored.

        `fallback` is made instead, in order, if the platform refuses the call for good.
        `connection`: store it in that open transaction (stored only if it commits).
        """
        values = {
            "conversation_id": conversation_id,
            "platform": platform,
            "operation": operation.value,
            "target": target,
            "text": text,
            "author": author.value,
            "user_message_at": to_utc(user_message_at) if user_message_at else None,
            "dedupe_key": dedupe_key,
            "state": PENDING,
            "attempts": 0,
            "created_at": to_utc(now),
            "next_attempt_at": to_utc(now),
            "fallback": json.dumps([_call_dict(c) for c in fallback]) if fallback else None,
        }
        if connection is not None:
            return connection.execute(_INSERT, values).inserted_primary_key[0]
        try:
            with self._engine.begin() as connection:
                return connection.execute(_INSERT, values).inserted_primary_key[0]
        except IntegrityError:
            if dedupe_key is None:
                raise
            return None

    def stored(self, dedupe_keys: Collection[str]) -> set[str]:
        """Which of `dedupe_keys` are already stored: a caller that asks often (a
        watcher) skips them rather than have the store refuse each insert."""
        if not dedupe_keys:
            return set()
        query = select(outbox.c.dedupe_key).where(outbox.c.dedupe_key.in_(list(dedupe_keys)))
        with self._engine.connect() as connection:
            return set(connection.execute(query).scalars())

    def claim(self, now: datetime, platforms: Collection[str] | None = None) -> Outbound | None:
        """Claim the next call that is due and first in its conversation's queue.

        With `platforms`, only a call to one of them: a worker leaves alone the calls it
        cannot make (a console's worker, the alerts of a server that sends them).
        """
        query, params = _DUE, {"now": to_utc(now)}
        if platforms is not None:
            query, params["platforms"] = _DUE_ON, [str(p) for p in platforms]
        with self._engine.connect() as connection:
            candidates = connection.execute(query, params).all()
        for row in candidates:
            with self._engine.begin() as connection:
                # Still as it was read: another worker may have claimed it, and
                # recorded a retry, meanwhile.
                taken = connection.execute(
                    _TAKE,
                    {
                        "now": to_utc(now),
                        "row_id": row.id,
                        "read_attempts": row.attempts,
                        "until": to_utc(now + self._lease),
                        "next_attempts": row.attempts + 1,
                    },
                ).rowcount
            if taken:
                # Every known outcome clears the claim: one still set ran out with none
                # recorded, or was left set by a call whose outcome is unknown.
                in_doubt = row.claimed_until is not None
                return replace(_outbound(row, attempts=row.attempts + 1), in_doubt=in_doubt)
        return None

    def renew(self, message_id: int, now: datetime, claim: int) -> bool:
        """Extend claim number `claim` (its attempt) on a call still running; False if lost."""
        with self._engine.begin() as connection:
            return bool(
                connection.execute(
                    outbox.update()
                    .where(*_held(message_id, claim))
                    .values(claimed_until=to_utc(now + self._lease))
                ).rowcount
            )

    def sent(
        self, message_id: int, now: datetime, platform_id: str, claim: int | None = None
    ) -> bool:
        """The platform accepted the call: its text and fallback are dropped.

        With `claim`, recorded only if that claim (attempt) still holds the message;
        returns whether it was recorded.
        """
        done = {"state": SENT, "sent_at": to_utc(now), "platform_id": platform_id}
        return self._update(message_id, claim, text=None, fallback=None, **done)

    def sent_as(self, platform_ids: Collection[str]) -> set[str]:
        """Which of `platform_ids` a message is recorded sent under (asked only for a
        message in doubt, which is rare: no index is kept for it)."""
        if not platform_ids:
            return set()
        query = select(outbox.c.platform_id).where(
            outbox.c.state == SENT, outbox.c.platform_id.in_(list(platform_ids))
        )
        with self._engine.connect() as connection:
            return set(connection.execute(query).scalars())

    def retry(
        self,
        message_id: int,
        at: datetime,
        error: str,
        claim: int | None = None,
        in_doubt_since: datetime | None = None,
    ) -> bool:
        """A transient failure: try again at `at`.

        `in_doubt_since`: when a call whose outcome is unknown failed (it may have been
        carried out): the claim is left as if it had run out then, and the next one is
        in doubt (`Outbound.in_doubt`), as after a worker died mid-call.
        """
        ran_out = to_utc(in_doubt_since) if in_doubt_since is not None else None
        return self._update(
            message_id,
            claim,
            next_attempt_at=to_utc(at),
            last_error=error[:2000],
            claimed_until=ran_out,
        )

    def dead(self, message_id: int, error: str, claim: int | None = None) -> bool:
        """A permanent failure: set aside for staff, its text and fallback kept (encrypted)."""
        return self._update(message_id, claim, state=DEAD, last_error=error[:2000])

    def enqueue_all(
        self,
        conversation_id: str,
        platform: str,
        calls: Sequence[Call],
        now: datetime,
        key: str,
        author: Author = Author.ASSISTANT,
        user_message_at: datetime | None = None,
    ) -> None:
        """Store calls in order, each under `key` and its place: storing them again adds none."""
        for position, call in enumerate(calls):
            self.enqueue(
                conversation_id,
                platform,
                call.operation,
                call.target,
                now,
                text=call.text,
                author=author,
                user_message_at=user_message_at,
                dedupe_key=f"{key}:{position}",
                fallback=call.fallback,
            )

    def send_again(self, message_id: int, now: datetime) -> bool:
        """Staff put a dead letter back in the queue (the cause is mended); True if it was one.

        Raises:
            Unsealable: it was encrypted under keys this outbox does not hold
                (ENCRYPTION_KEYS, or an older release's OUTBOX_KEY).
        """
        with self._engine.begin() as connection:
            try:
                row = connection.execute(
                    select(outbox.c.text, outbox.c.fallback).where(
                        outbox.c.id == message_id, outbox.c.state == DEAD
                    )
                ).first()
                if row is None:
                    return False
                kept = {"text": row.text, "fallback": row.fallback}
                if row.text is not None and not is_encrypted(_stored_text(connection, message_id)):
                    kept = json.loads(self._unseal(row.text))
                elif row.text is not None and row.fallback is None:
                    kept = self._wrapped_letter(row.text) or kept
            except Undecryptable:
                raise Unsealable(
                    f"outbox message {message_id} is sealed under another key"
                ) from None
            changed = connection.execute(
                outbox.update()
                .where(outbox.c.id == message_id, outbox.c.state == DEAD)
                .values(
                    # `attempts` goes on counting: it names each claim, and a claim from
                    # before the letter died must not pass for a new one.
                    state=PENDING,
                    next_attempt_at=to_utc(now),
                    created_at=to_utc(now),
                    claimed_until=None,
                    text=kept["text"],
                    fallback=kept["fallback"],
                )
            ).rowcount
        return bool(changed)

    def _unseal(self, sealed: str) -> str:
        """A dead letter an older release sealed under OUTBOX_KEY: a bare Fernet token."""
        keys: DataKeys = keys_of(self._engine.dialect)
        if self._legacy_key:
            keys = keys.with_older([self._legacy_key])
        return keys.decrypt("fernet:" + sealed)

    def _wrapped_letter(self, text: str) -> dict | None:
        """A legacy sealed letter that a rotation before `reseal_legacy_letters` encrypted
        as if its token were the words: what it sealed; None for ordinary words."""
        try:
            kept = json.loads(self._unseal(text))
        except (Undecryptable, ValueError):
            return None
        return kept if isinstance(kept, dict) and "text" in kept else None

    def dismiss(self, message_id: int, now: datetime) -> bool:
        """Staff set a dead letter aside for good; True if it was one.

        The row stays, with what it was and why it failed, for the record; its sealed
        words go, since nothing may send it now.
        """
        with self._engine.begin() as connection:
            changed = connection.execute(
                outbox.update()
                .where(outbox.c.id == message_id, outbox.c.state == DEAD)
                .values(state=DISMISSED, dismissed_at=to_utc(now), text=None, fallback=None)
            ).rowcount
        return bool(changed)

    def messages(self, state: str | None = None) -> List[Outbound]:
        """Stored calls in order, optionally only those in `state`.

        Only waiting calls have their text: a sent call's is gone, a dead letter's kept
        for sending again, not shown.
        """
        query = select(outbox).order_by(outbox.c.id)
        if state:
            query = query.where(outbox.c.state == state)
        with self._engine.connect() as connection:
            return [_outbound(row) for row in connection.execute(query)]

    def _update(self, message_id: int, claim: int | None, **values) -> bool:
        values.setdefault("claimed_until", None)  # an outcome is recorded: no claim holds
        statement = _UPDATE if claim is None else _UPDATE_HELD
        with self._engine.begin() as connection:
            done = connection.execute(
                statement, {"row_id": message_id, "held_by": claim, **values}
            ).rowcount
        if not done:
            logger.warning(
                "Outbox message %s was claimed again meanwhile: not recorded", message_id
            )
        return bool(done)


def reseal_legacy_letters(engine: Engine, keys: DataKeys) -> int:
    """Rewrite each dead letter an older release sealed under OUTBOX_KEY (a bare Fernet
    token in `text`, its text and fallback inside) as today's dead letters are: text and
    fallback in their `Encrypted` columns. Returns how many.

    Key rotation runs it first: it would otherwise encrypt the token as if it were the
    words, and `send_again` would then send the token. `keys` must hold OUTBOX_KEY (the
    store's keys do: `Settings.data_keys`); a letter they do not open stays as it is.
    """
    raw = type_coerce(outbox.c.text, Text)
    query = select(outbox.c.id, raw.label("raw")).where(
        outbox.c.state == DEAD, outbox.c.text.is_not(None)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    done = 0
    for row in rows:
        if is_encrypted(row.raw):
            continue
        try:
            kept = json.loads(keys.decrypt(ENCRYPTED_PREFIX + row.raw))
        except (Undecryptable, ValueError):
            continue  # not a sealed letter: plain text from before, rotation encrypts it
        if not isinstance(kept, dict) or "text" not in kept:
            continue
        with engine.begin() as connection:
            done += connection.execute(
                outbox.update()
                .where(outbox.c.id == row.id, outbox.c.state == DEAD, raw == row.raw)
                .values(text=kept["text"], fallback=kept.get("fallback"))
            ).rowcount
    return done


def _stored_text(connection: Connection, message_id: int) -> str | None:
    """The text column as the database holds it: ciphertext, or a legacy sealed letter."""
    query = select(type_coerce(outbox.c.text, Text)).where(outbox.c.id == message_id)
    return connection.execute(query).scalar()


# The statements a worker runs for every message, built once (bot/store.py says why).
_INSERT = outbox.insert()
_EARLIER = outbox.alias("earlier")
# Claimable now: never claimed, or its claim ran out.
_FREE = or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < bindparam("now"))
# Due, and first in its conversation's queue.
_DUE = (
    select(outbox)
    .where(outbox.c.state == PENDING, outbox.c.next_attempt_at <= bindparam("now"), _FREE)
    .where(
        ~exists().where(
            and_(
                _EARLIER.c.conversation_id == outbox.c.conversation_id,
                _EARLIER.c.state == PENDING,
                _EARLIER.c.id < outbox.c.id,
            )
        )
    )
    .order_by(outbox.c.next_attempt_at, outbox.c.id)
    .limit(8)
)
_DUE_ON = _DUE.where(outbox.c.platform.in_(bindparam("platforms", expanding=True)))
_TAKE = (
    outbox.update()
    .where(outbox.c.id == bindparam("row_id"), outbox.c.state == PENDING, _FREE)
    .where(outbox.c.attempts == bindparam("read_attempts"))
    .values(claimed_until=bindparam("until"), attempts=bindparam("next_attempts"))
)


# An outcome recorded: the columns set are the parameters' other than these two.
_UPDATE = outbox.update().where(outbox.c.id == bindparam("row_id"))
_UPDATE_HELD = _UPDATE.where(outbox.c.state == PENDING, outbox.c.attempts == bindparam("held_by"))


def _held(message_id: int, claim: int) -> tuple:
    # A claim is known by its attempt number: a later claim has a higher one.
    return (outbox.c.id == message_id, outbox.c.state == PENDING, outbox.c.attempts == claim)


def _call_dict(call: Call) -> dict:
    return {"operation": call.operation.value, "target": call.target, "text": call.text}


def _calls(raw: str | None) -> tuple[Call, ...]:
    if not raw:
        return ()
    return tuple(
        Call(Operation(c["operation"]), c["target"], c.get("text")) for c in json.loads(raw)
    )


def _outbound(row, attempts: int | None = None) -> Outbound:
    return Outbound(
        id=row.id,
        conversation_id=row.conversation_id,
        platform=row.platform,
        operation=Operation(row.operation),
        target=row.target,
        text=row.text if row.state == PENDING else None,
        author=Author(row.author),
        user_message_at=as_aware(row.user_message_at),
        attempts=row.attempts if attempts is None else attempts,
        created_at=as_aware(row.created_at),
        state=row.state,
        last_error=row.last_error,
        fallback=_calls(row.fallback),
    )
