"""Public comments, and visitors' posts on the page, are removed after three months
(P10), on each platform whose kit keeps them (Facebook, Instagram, LinkedIn), after the
months association.yml sets for it.

Every public comment, and every visitor's post, is noted when it arrives (a tenant's)
or is sent (the account's own reply), with its platform, and each of those platforms'
posts is swept through its API (the kit's `comment_listing`) for the comments, and
Facebook visitors' posts, the assistant never saw (from before it ran, from a webhook
outage, or written by staff in the platform's own app).
`remove_old` asks the outbox to delete each one older than the retention period, once:
it is safe to run again, and to run on two machines at the same moment, because each
deletion has its own key in the outbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.events import Operation, Platform
from bot.moderation.log import Action, ModerationLog, Subject
from bot.moderation.settings import RETENTION_MONTHS
from bot.outbox import Outbox
from bot.store import public_comments, to_utc


class PublicComments:
    """The page's public comments, and their removal when they are old."""

    def __init__(self, engine: Engine, outbox: Outbox, log: ModerationLog) -> None:
        self._engine = engine
        self._outbox = outbox
        self._log = log

    def note(
        self,
        comment_id: str,
        created_at: datetime,
        post_id: str | None = None,
        author_id: str | None = None,
        by_page: bool = False,
        platform: Platform = Platform.FACEBOOK,
    ) -> None:
        """Note a public comment; noting it again changes nothing."""
        values = {
            "platform": Platform(platform).value,
            "comment_id": comment_id,
            "post_id": post_id,
            "author_id": author_id,
            "by_page": int(by_page),
            "created_at": to_utc(created_at),
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(public_comments.insert().values(**values))
        except IntegrityError:
            pass

    def note_all(self, seen: Iterable[Any], platform: Platform = Platform.FACEBOOK) -> int:
        """Note every comment `platform`'s listing found (each with `comment_id`,
        `post_id`, `author_id`, `created_at`, `by_page`); returns how many were read."""
        count = 0
        for comment in seen:
            self.note(
                comment.comment_id,
                comment.created_at,
                comment.post_id,
                comment.author_id,
                comment.by_page,
                platform,
            )
            count += 1
        return count

    def remove_old(
        self, now: datetime, months: int = RETENTION_MONTHS, on: Mapping[str, int] | None = None
    ) -> int:
        """Ask for every comment older than `months` (or its platform's months, in `on`)
        to be deleted; returns how many."""
        periods = {**(on or {})}
        cutoff = now - relativedelta(months=min([months, *periods.values()]))
        query = (
            select(public_comments)
            .where(public_comments.c.removal_requested_at.is_(None))
            .where(public_comments.c.created_at < to_utc(cutoff))
            .order_by(public_comments.c.created_at)
        )
        with self._engine.connect() as connection:
            due = connection.execute(query).all()
        removed = 0
        for row in due:
            platform = Platform(row.platform or Platform.FACEBOOK)
            kept_for = periods.get(platform.value, months)
            if to_utc(row.created_at) >= to_utc(now - relativedelta(months=kept_for)):
                continue
            self._outbox.enqueue(
                f"retention-{row.comment_id}",
                platform,
                Operation.DELETE_COMMENT,
                row.comment_id,
                now,
                dedupe_key=f"retention:{row.comment_id}",
            )
            with self._engine.begin() as connection:
                connection.execute(
                    public_comments.update()
                    .where(public_comments.c.comment_id == row.comment_id)
                    .values(removal_requested_at=to_utc(now))
                )
            logged = self._log.record(
                now,
                Subject(platform, author_id=row.author_id, target=row.comment_id),
                Action.DELETE,
                f"public comment or post older than {kept_for} months (P10)",
                key=f"retention:{row.comment_id}",
            )
            # The log's key says whether this run is the one that asked.
            removed += logged is not None
        return removed
