"""Signed-in console sessions, kept on the server.

The browser holds only a random value in the `console_session` cookie; the store keeps
its HMAC under CONSOLE_SESSION_SECRET (P9: a copy of the store, even with a cookie's
value guessed or stolen, matches no session without the secret), the member of staff,
the session's CSRF token and when it was last used. A session unused for 8 hours ends
(idle timeout): a page polling for news on its own does not count as use. No session
lasts more than 12 hours after signing in, used or not. Signing out ends it at once,
and a new sign-in always starts a new one (no session fixation).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Tuple

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from bot.store import as_aware, staff_sessions, to_utc

COOKIE = "console_session"
IDLE_TIMEOUT = timedelta(hours=8)
# However much it is used, a session ends this long after signing in.
MAX_LIFETIME = timedelta(hours=12)
# last_seen is written at most this often: not a write to the store on every request.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Session:
    """One signed-in browser."""

    staff: str
    csrf_token: str
    created_at: datetime
    last_seen: datetime
    expires: datetime
    # A message waiting for the next page (Sessions.flash).
    flash: str | None = None


def _key(secret: bytes, cookie_value: str) -> str:
    return hmac.new(secret, cookie_value.encode("utf-8"), hashlib.sha256).hexdigest()


class Sessions:
    """Console sessions in the project's store.

    Args:
        engine: the project's store.
        secret: CONSOLE_SESSION_SECRET, the key of the HMAC kept for each cookie; without
            it, one of this object's own (only the sessions it started are found).
        idle_timeout: how long an unused session lasts.
        lifetime: how long any session lasts.
    """

    def __init__(
        self,
        engine: Engine,
        secret: str | None = None,
        idle_timeout: timedelta = IDLE_TIMEOUT,
        lifetime: timedelta = MAX_LIFETIME,
    ) -> None:
        self._engine = engine
        self._secret = (secret or secrets.token_urlsafe(32)).encode("utf-8")
        self._idle = idle_timeout
        self._lifetime = lifetime

    def _key(self, cookie_value: str) -> str:
        return _key(self._secret, cookie_value)

    def _expiry(self, created_at: datetime, used_at: datetime) -> datetime:
        return min(used_at + self._idle, created_at + self._lifetime)

    def start(self, staff: str, now: datetime) -> Tuple[str, Session]:
        """A new session for `staff`: the cookie's value (only the browser keeps it) and
        the session."""
        cookie_value = secrets.token_urlsafe(32)
        session = Session(
            staff=staff,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen=now,
            expires=self._expiry(now, now),
        )
        with self._engine.begin() as connection:
            connection.execute(delete(staff_sessions).where(staff_sessions.c.expires < to_utc(now)))
            connection.execute(
                staff_sessions.insert().values(
                    id=self._key(cookie_value),
                    staff=staff,
                    csrf_token=session.csrf_token,
                    created_at=to_utc(now),
                    last_seen=to_utc(now),
                    expires=to_utc(session.expires),
                )
            )
        return cookie_value, session

    def find(self, cookie_value: str | None, now: datetime, used: bool = True) -> Session | None:
        """The live session the cookie names; None if there is none or it has expired (an
        expired one is removed). It counts as used again (its idle timeout starts over)
        unless `used` is False: a page polling on its own keeps no session alive."""
        if not cookie_value:
            return None
        key = self._key(cookie_value)
        with self._engine.begin() as connection:
            row = connection.execute(
                select(staff_sessions).where(staff_sessions.c.id == key)
            ).first()
            if row is None:
                return None
            found = row._mapping
            expires = as_aware(found["expires"])
            created_at = as_aware(found["created_at"])
            if expires <= now or created_at + self._lifetime <= now:
                connection.execute(delete(staff_sessions).where(staff_sessions.c.id == key))
                return None
            last_seen = as_aware(found["last_seen"])
            if used and now - last_seen >= TOUCH_EVERY:
                last_seen, expires = now, self._expiry(created_at, now)
                connection.execute(
                    staff_sessions.update()
                    .where(staff_sessions.c.id == key)
                    .values(last_seen=to_utc(now), expires=to_utc(expires))
                )
        return Session(
            staff=found["staff"],
            csrf_token=found["csrf_token"],
            created_at=created_at,
            last_seen=last_seen,
            expires=expires,
            flash=found["flash"],
        )

    def end(self, cookie_value: str | None) -> None:
        """Sign this browser out."""
        if cookie_value:
            with self._engine.begin() as connection:
                connection.execute(
                    delete(staff_sessions).where(staff_sessions.c.id == self._key(cookie_value))
                )

    def end_all(self, staff: str) -> None:
        """Sign `staff` out everywhere (their password changed, or the account was disabled)."""
        with self._engine.begin() as connection:
            connection.execute(delete(staff_sessions).where(staff_sessions.c.staff == staff))

    def flash(self, cookie_value: str, message: str) -> None:
        """Keep `message` to show on this browser's next page."""
        with self._engine.begin() as connection:
            connection.execute(
                staff_sessions.update()
                .where(staff_sessions.c.id == self._key(cookie_value))
                .values(flash=message)
            )

    def take_flash(self, cookie_value: str) -> str | None:
        """The message kept for this browser's next page, now cleared."""
        key = self._key(cookie_value)
        with self._engine.begin() as connection:
            row = connection.execute(
                select(staff_sessions.c.flash).where(staff_sessions.c.id == key)
            ).first()
            if row is None or row[0] is None:
                return None
            connection.execute(
                staff_sessions.update().where(staff_sessions.c.id == key).values(flash=None)
            )
        return row[0]
