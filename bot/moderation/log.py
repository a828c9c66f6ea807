"""The moderation log: every action moderation took, why, and staff's undoing of it.

Each entry says what was done (hide, delete, warn, strike, block, report, follow,
ask to delete), on which platform, to whose post or account, and why, in words that
never hold the personal details or the swear words that caused it (P5, P7). Staff can
undo a hide, a block, a follow and a strike; the platform call that undoes it goes
through the outbox like every other (P12). A deleted post cannot be brought back, and
an action the platform refused is marked failed. An entry for an account (a block, a
follow) names the account as its target.

The store keeps reasons encrypted and counts strikes by the author's keyed id (P9); the
author's id itself is kept encrypted beside it, for staff to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Callable, List, Sequence, Set

from sqlalchemy import String, or_, select, type_coerce
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.events import Operation
from bot.keys import LOOKUP_PREFIX
from bot.moderation import STAFF_NAMED_REASON
from bot.moderation.strikes import Sanction
from bot.outbox import Author, Outbox
from bot.platforms.registry import kit_for
from bot.store import as_aware, linked_accounts, moderation_actions, strike_locks, to_utc

DONE = "done"
UNDONE = "undone"
# The platform refused the call (an X reply it would not hide): nothing to undo.
FAILED = "failed"
# An action the platform gives no API for (reporting a Facebook user): staff do it.
FOR_STAFF = "for_staff"


class Action(str, Enum):
    """What moderation did."""

    HIDE = "hide"
    DELETE = "delete"
    ASK_TO_DELETE = "ask_to_delete"
    WARN = "warn"
    STRIKE = "strike"
    BLOCK = "block"
    REPORT = "report"
    FOLLOW = "follow"


def undo_call(platform: str, action: Action) -> Operation | None:
    """The call that undoes `action` on `platform` (its kit's to say); None if there is
    none (a strike is undone in the log alone)."""
    kit = kit_for(platform)
    return kit.undo.get(action.value) if kit is not None else None


@dataclass(frozen=True)
class History:
    """What a person's record holds before the post being judged (P7).

    Attributes:
        strikes: When their strikes that still stand were made.
        staff_named: When they were warned for naming or identifying staff.
    """

    strikes: tuple[datetime, ...] = ()
    staff_named: tuple[datetime, ...] = ()


class NotUndoable(ValueError):
    """The entry cannot be undone: already undone, or nothing to undo it with."""


@dataclass(frozen=True)
class Entry:
    """One moderation action."""

    id: int
    at: datetime
    platform: str
    action: Action
    reason: str
    author_id: str | None = None
    conversation_id: str | None = None
    target: str | None = None
    detail_kinds: tuple[str, ...] = ()
    state: str = DONE
    undone_at: datetime | None = None
    undone_by: str | None = None

    @property
    def undoable(self) -> bool:
        """Whether staff can undo it now."""
        if self.state != DONE:
            return False
        if self.action is Action.STRIKE:
            return True
        # The platform call that undoes it needs whom it was done to: an erasure (P9)
        # leaves nobody to name.
        return (
            undo_call(self.platform, self.action) is not None
            and (self.target or self.author_id) is not None
        )


@dataclass(frozen=True)
class Subject:
    """Whom and what a log entry is about: the author on a platform, their
    conversation, and the post or account acted on."""

    platform: str
    author_id: str | None = None
    conversation_id: str | None = None
    target: str | None = None


class ModerationLog:
    """Moderation actions in the project's store."""

    def __init__(self, engine: Engine, outbox: Outbox) -> None:
        self._engine = engine
        self._outbox = outbox

    def record(
        self,
        now: datetime,
        subject: Subject,
        action: Action,
        reason: str,
        detail_kinds: Sequence[str] = (),
        state: str = DONE,
        key: str | None = None,
    ) -> int | None:
        """Write one action on `subject` to the log; returns its id, or None if `key`
        is logged."""
        values = {
            "at": to_utc(now),
            "platform": subject.platform,
            "author_id": subject.author_id,
            "author": subject.author_id,
            "conversation_id": subject.conversation_id,
            "target": subject.target,
            "action": action.value,
            "reason": reason[:500],
            "detail_kinds": ",".join(detail_kinds) or None,
            "state": state,
            "key": key,
        }
        try:
            with self._engine.begin() as connection:
                inserted = connection.execute(moderation_actions.insert().values(**values))
                return inserted.inserted_primary_key[0]
        except IntegrityError:
            if key is None:
                raise
            return None

    def strikes(self, platform: str, author_id: str, besides: str | None = None) -> List[datetime]:
        """When the person's strikes that still stand were made, from any of their linked
        accounts, but the one keyed `besides`."""
        with self._engine.connect() as connection:
            accounts = self._accounts(connection, platform, author_id)
            return list(self._history(connection, platform, accounts, (besides,)).strikes)

    def link(self, platform: str, public_id: str, private_id: str) -> None:
        """Note that the author of public posts `public_id` writes privately as
        `private_id`, so that their strikes add up; noting it again changes nothing."""
        if not public_id or not private_id or public_id == private_id:
            return
        values = {"platform": platform, "public_id": public_id, "private_id": private_id}
        try:
            with self._engine.begin() as connection:
                connection.execute(linked_accounts.insert().values(**values))
        except IntegrityError:
            pass

    def accounts(self, platform: str, author_id: str) -> Set[str]:
        """Every account of the person who writes as `author_id`, that one included."""
        with self._engine.connect() as connection:
            return self._accounts(connection, platform, author_id)

    def judge(
        self,
        now: datetime,
        subject: Subject,
        decide: Callable[[History], Sanction],
        findings: str,
        key: str,
        besides: Sequence[str] = (),
    ) -> Sanction:
        """Decide a post's sanction from the person's record and log its strike, as one.

        Two posts by the same person judged at once are judged one after the other (a
        row per person is updated first, which holds the other back until this one is
        committed), so neither strike is lost from the other's count. `decide` gets the
        record without the entries keyed `key` or `besides` (this post's own, when it is
        judged again after a crash) and returns the sanction; a strike is logged under
        `key`, with the `findings` and the sanction's reason, unless it is logged already.
        """
        platform, author_id = subject.platform, str(subject.author_id)
        with self._engine.connect() as connection:
            accounts = self._accounts(connection, platform, author_id)
        person = f"{platform}:{min(accounts)}"[:300]
        try:
            with self._engine.begin() as connection:
                connection.execute(strike_locks.insert().values(person=person, counted=0))
        except IntegrityError:
            pass  # the row is there already: it only needs to exist
        with self._engine.begin() as connection:
            connection.execute(
                strike_locks.update()
                .where(strike_locks.c.person == person)
                .values(counted=strike_locks.c.counted + 1)
            )
            decided = decide(self._history(connection, platform, accounts, (key, *besides)))
            if not decided.strike:
                return decided
            logged = connection.execute(
                select(moderation_actions.c.id).where(moderation_actions.c.key == key)
            ).first()
            if logged is None:
                connection.execute(
                    moderation_actions.insert().values(
                        at=to_utc(now),
                        platform=platform,
                        author_id=author_id,
                        author=author_id,
                        conversation_id=subject.conversation_id,
                        target=subject.target,
                        action=Action.STRIKE.value,
                        reason=f"{findings}: {decided.reason}"[:500],
                        detail_kinds=None,
                        state=DONE,
                        key=key,
                    )
                )
            return decided

    @staticmethod
    def _accounts(connection, platform: str, author_id: str) -> Set[str]:
        found, frontier = {author_id}, {author_id}
        # A person has a few accounts at most; a few rounds find them all.
        for _ in range(4):
            rows = connection.execute(
                select(linked_accounts.c.public_id, linked_accounts.c.private_id).where(
                    linked_accounts.c.platform == platform,
                    or_(
                        linked_accounts.c.public_id.in_(frontier),
                        linked_accounts.c.private_id.in_(frontier),
                    ),
                )
            ).all()
            frontier = {i for row in rows for i in row} - found
            if not frontier:
                break
            found |= frontier
        return found

    @staticmethod
    def _history(connection, platform: str, accounts: Set[str], besides: Sequence[str | None]):
        keys = [k for k in besides if k is not None]
        query = select(
            moderation_actions.c.at, moderation_actions.c.action, moderation_actions.c.reason
        ).where(
            moderation_actions.c.platform == platform,
            _by_authors(sorted(accounts)),
            moderation_actions.c.action.in_([Action.STRIKE.value, Action.WARN.value]),
            moderation_actions.c.state == DONE,
        )
        if keys:
            query = query.where(
                or_(moderation_actions.c.key.is_(None), moderation_actions.c.key.notin_(keys))
            )
        strikes, named = [], []
        for row in connection.execute(query):
            if row.action == Action.STRIKE.value:
                strikes.append(as_aware(row.at))
            elif STAFF_NAMED_REASON in row.reason:
                named.append(as_aware(row.at))
        return History(tuple(sorted(strikes)), tuple(sorted(named)))

    def entries(
        self,
        limit: int = 200,
        author_id: str | None = None,
        platform: str | None = None,
        action: Action | None = None,
    ) -> List[Entry]:
        """The latest entries, newest first, optionally only for one author, on one
        platform, or of one action."""
        query = select(moderation_actions).order_by(moderation_actions.c.id.desc()).limit(limit)
        if author_id is not None:
            query = query.where(_by_authors([author_id]))
        if platform is not None:
            query = query.where(moderation_actions.c.platform == platform)
        if action is not None:
            query = query.where(moderation_actions.c.action == action.value)
        with self._engine.connect() as connection:
            return [_entry(row) for row in connection.execute(query)]

    def taken_down(self, platform: str, target: str) -> bool:
        """Whether the post `target` was hidden or deleted, and that was not undone."""
        query = (
            select(moderation_actions.c.id)
            .where(moderation_actions.c.platform == str(platform))
            .where(moderation_actions.c.target == target)
            .where(moderation_actions.c.action.in_([Action.HIDE.value, Action.DELETE.value]))
            .where(moderation_actions.c.state == DONE)
            .where(moderation_actions.c.undone_at.is_(None))
        )
        with self._engine.connect() as connection:
            return connection.execute(query.limit(1)).first() is not None

    def failed(self, platform: str, action: Action, target: str) -> None:
        """The platform refused the call behind the entries for `action` on `target`."""
        with self._engine.begin() as connection:
            connection.execute(
                moderation_actions.update()
                .where(
                    moderation_actions.c.platform == platform,
                    moderation_actions.c.action == action.value,
                    moderation_actions.c.target == target,
                    moderation_actions.c.state == DONE,
                )
                .values(state=FAILED)
            )

    def get(self, entry_id: int) -> Entry | None:
        """The entry with this id, or None."""
        query = select(moderation_actions).where(moderation_actions.c.id == entry_id)
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        return _entry(row) if row else None

    def undo(self, entry_id: int, by: str, now: datetime) -> Entry:
        """Undo an entry on staff's word, queueing the platform call that undoes it.

        Raises:
            KeyError: there is no such entry.
            NotUndoable: it was undone already, or it cannot be undone.
        """
        with self._engine.begin() as connection:
            row = connection.execute(
                select(moderation_actions)
                .where(moderation_actions.c.id == entry_id)
                .with_for_update()
            ).first()
            if row is None:
                raise KeyError(entry_id)
            entry = _entry(row)
            if not entry.undoable:
                raise NotUndoable(f"a {entry.state} {entry.action.value} cannot be undone")
            changed = connection.execute(
                moderation_actions.update()
                .where(moderation_actions.c.id == entry_id, moderation_actions.c.state == DONE)
                .values(state=UNDONE, undone_at=to_utc(now), undone_by=by[:255])
            ).rowcount
            if not changed:
                raise NotUndoable("it was undone at the same moment by someone else")
        operation = undo_call(entry.platform, entry.action)
        if operation is not None:
            target = entry.target or entry.author_id
            self._outbox.enqueue(
                entry.conversation_id or f"moderation-{entry.id}",
                entry.platform,
                operation,
                str(target),
                now,
                author=Author.STAFF,
                dedupe_key=f"undo:{entry.id}",
            )
        return self.get(entry_id)  # type: ignore[return-value]


def _by_authors(accounts: Sequence[str]):
    """Entries by any of `accounts`: by their keyed ids, or, for an entry logged before
    ids were keyed, by the id as it was stored then (so no earlier strike is forgotten)."""
    return or_(
        moderation_actions.c.author_id.in_(accounts),
        type_coerce(moderation_actions.c.author_id, String).in_(accounts),
    )


def _unkeyed(author_id: str | None) -> str | None:
    return None if author_id is None or author_id.startswith(LOOKUP_PREFIX) else author_id


def _entry(row) -> Entry:
    return Entry(
        id=row.id,
        at=as_aware(row.at),
        platform=row.platform,
        action=Action(row.action),
        reason=row.reason,
        # An entry from before the id was keyed holds it in `author_id` only; a keyed id
        # (the author's account erased, P9) names nobody the platform knows.
        author_id=row.author if row.author is not None else _unkeyed(row.author_id),
        conversation_id=row.conversation_id,
        target=row.target,
        detail_kinds=tuple(row.detail_kinds.split(",")) if row.detail_kinds else (),
        state=row.state,
        undone_at=as_aware(row.undone_at),
        undone_by=row.undone_by,
    )
