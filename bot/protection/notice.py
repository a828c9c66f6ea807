"""Telling a tenant who reads their private messages (P9), once per platform account.

The first private conversation with an account carries a short notice: who can see the
messages (the Communications and Customer teams), that they may be shared with other
departments when needed and kept on the tenant's file, and where the privacy notice is.
It goes right after the assistant's answer to the account's first private message,
through the outbox like any reply: after, not before, so that nothing ever waits in
front of an answer. An emergency gets its contacts and nothing else: its notice waits
for the account's next message (P2); so does a warning for abuse (P7). A public reply
never carries it: the runtime adds it on the private surface only
(bot/channels/runtime.py, `_handle`).

It is recorded when it is queued (so that it is queued once) and stamped when the
platform took it (`NoticeListener`): `said_at` is when it was said. A notice the
platform refused for good (a closed messaging window) is forgotten, so that the
account's next private conversation carries it again.

"Once per tenant" is once per platform account: the account is all the assistant
knows of a person before an identity check, and a tenant who writes from Facebook and
from X hears it once on each. What does not carry it: a message sent before the
assistant's first private answer, such as a private reply to a public comment
(Facebook and Instagram allow one message there), moderation's direct message on X, a
note while a handoff waits, or a staff reply; the notice follows the assistant's first
private answer. An erased or retention-removed conversation takes its
record with it (bot/protection/subject.py): the next private conversation carries the
notice again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.events import Surface
from bot.handoff.threads import split_conversation_id
from bot.outbox import Outbound, OutboxListener, PlatformError
from bot.store import as_aware, privacy_notices, to_utc

NOTICE = (
    "A note on privacy: messages here are read by our Communications and Customer "
    "teams. We may share them with other departments when that's needed to help you, "
    "and keep them on your file. Our privacy notice explains how: {url}"
)


def notice_text(privacy_notice_url: str) -> str:
    """The notice, naming the association's privacy notice (association.yml
    `pages.privacy_notice`)."""
    return NOTICE.format(url=privacy_notice_url)


class PrivacyNotices:
    """Which platform accounts have had the notice queued, and when it was said."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def queued(self, platform: str, account: str) -> bool:
        """Whether `account` on `platform` has had the notice queued (or said)."""
        with self._engine.connect() as connection:
            return connection.execute(_QUEUED, _one(platform, account)).first() is not None

    def said_at(self, platform: str, account: str) -> datetime | None:
        """When the platform took the notice to `account`; None if it has not yet."""
        with self._engine.connect() as connection:
            return as_aware(connection.execute(_SAID_AT, _one(platform, account)).scalar())

    def note_queued(self, platform: str, account: str, conversation_id: str, at: datetime) -> bool:
        """Record that the notice to `account` was queued at `at`; False if it had been."""
        row = {
            "platform": platform,
            "account": account,
            "conversation_id": conversation_id,
            "queued_at": to_utc(at),
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(_INSERT, row)
        except IntegrityError:
            return False
        return True

    def note_said(self, platform: str, account: str, at: datetime) -> None:
        """The platform took the notice to `account` at `at`."""
        with self._engine.begin() as connection:
            connection.execute(_SAID, {**_one(platform, account), "at": to_utc(at)})

    def forget(self, platform: str, account: str) -> None:
        """The notice was never said (refused for good): the next conversation carries it."""
        with self._engine.begin() as connection:
            connection.execute(_FORGET, _one(platform, account))


# Built once: two of these run for every private answer (bot/store.py says why).
_ONE = and_(
    privacy_notices.c.platform == bindparam("one_platform"),
    privacy_notices.c.account == bindparam("one_account"),
)
_QUEUED = select(privacy_notices.c.queued_at).where(_ONE)
_SAID_AT = select(privacy_notices.c.said_at).where(_ONE)
_INSERT = insert(privacy_notices)
_SAID = (
    update(privacy_notices)
    .where(_ONE, privacy_notices.c.said_at.is_(None))
    .values(said_at=bindparam("at"))
)
_FORGET = delete(privacy_notices).where(_ONE)


def _one(platform: str, account: str) -> dict:
    """The parameters of `_ONE`: the notice to `account` on `platform`."""
    return {"one_platform": platform, "one_account": account}


class NoticeListener(OutboxListener):
    """What the outbox tells the notices: said when the platform took it, forgotten
    when it refused it for good."""

    def __init__(self, notices: PrivacyNotices, text: str) -> None:
        self._notices = notices
        self._text = text

    def sent(self, message: Outbound, platform_id: str, now: datetime) -> None:
        """Stamp when a notice was said."""
        account = self._account(message)
        if account is not None:
            self._notices.note_said(message.platform, account, now)

    def refused(self, message: Outbound, error: PlatformError, now: datetime) -> None:
        """Forget a notice that was never said."""
        account = self._account(message)
        if account is not None:
            self._notices.forget(message.platform, account)

    def _account(self, message: Outbound) -> str | None:
        """The account a notice went to; None for any other message."""
        if not self._text or message.text != self._text:
            return None
        found = split_conversation_id(message.conversation_id)
        if found is None or found[1] is not Surface.PRIVATE:
            return None
        return found[2]
