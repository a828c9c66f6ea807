"""The console's sessions are keyed by CONSOLE_SESSION_SECRET (P9): what the store keeps
of a cookie is its HMAC, so a copy of the store and a cookie's value are not enough to
recognise, or forge, a signed-in session without the secret."""

import hashlib
from datetime import datetime, timezone

import sqlalchemy as sa

from bot.console.sessions import Sessions
from bot.store import connect, staff_sessions

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
SECRET = "the-console-session-secret-0123456789"


def test_a_copy_of_the_store_and_a_cookie_match_no_session_without_the_secret(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    cookie, _ = Sessions(engine, SECRET).start("Sam", NOW)
    with engine.connect() as connection:
        kept = connection.execute(sa.select(staff_sessions.c.id)).scalars().all()
    # What an attacker holding the store's file computes from a cookie they guessed.
    assert hashlib.sha256(cookie.encode()).hexdigest() not in kept
    assert cookie not in kept
    assert Sessions(engine, "another-secret-entirely-000000000").find(cookie, NOW) is None
    # Another process with the same secret (the staff app restarted) knows the session.
    found = Sessions(engine, SECRET).find(cookie, NOW)
    assert found is not None and found.staff == "Sam"
