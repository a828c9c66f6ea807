"""Telling a tenant who reads their private messages (P9), once per platform account.

The first private conversation with an account opens with a short notice: who can see
the messages (the Communications and Customer teams), that they may be shared with
other departments when needed and kept on the tenant's file, and where the privacy
notice is. It goes before the first private reply, through the outbox like any reply,
and is recorded with when it was said; an account that has had it does not get it
again. A public reply never carries it: the notice is about private messages, and the
runtime asks for it only on the private surface (bot/channels/runtime.py).

"Once per tenant" is once per platform account: the account is all the assistant
knows of a person before an identity check, and a tenant who writes from Facebook and
from X hears it once on each. An erased or retention-removed conversation takes its
record with it (bot/protection/subject.py): the next private conversation opens with
the notice again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.store import privacy_notices, to_utc

NOTICE = (
    "Before we start: messages here are read by our Communications and Customer teams. "
    "We may share them with other departments when that's needed to help you, and keep "
    "them on your file. Our privacy notice explains how: {url}"
)


def notice_text(privacy_notice_url: str) -> str:
    """The notice, naming the association's privacy notice (association.yml
    `pages.privacy_notice`)."""
    return NOTICE.format(url=privacy_notice_url)


class PrivacyNotices:
    """Which platform accounts have had the notice, and when."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def said_at(self, platform: str, account: str) -> datetime | None:
        """When `account` on `platform` was told; None if never."""
        query = select(privacy_notices.c.said_at).where(
            and_(privacy_notices.c.platform == platform, privacy_notices.c.account == account)
        )
        with self._engine.connect() as connection:
            found = connection.execute(query).scalar()
        return to_utc(found) if found is not None else None

    def note(self, platform: str, account: str, conversation_id: str, at: datetime) -> bool:
        """Record that `account` was told at `at`; False if it had been already."""
        row = {
            "platform": platform,
            "account": account,
            "conversation_id": conversation_id,
            "said_at": to_utc(at),
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(privacy_notices).values(**row))
        except IntegrityError:
            return False
        return True
