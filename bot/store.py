"""The project's own store: one module, one connection URL.

SQLite is the embedded default; PostgreSQL is the same code with another URL
(`postgresql+psycopg2://...`). Tables are created on first use.

Personal fields are `Encrypted` columns and identifiers the store counts and locks by
are `Keyed` ones (P9): the engine carries the keys (`connect(url, keys)`), so the code
reading and writing rows handles plain values and the database file holds none.

A statement that runs for every message is built once, at import, and given its values
by `bindparam` at each call: SQLAlchemy builds and keys a statement made anew at each
call, at a cost several times the query's (docs/operators.md, "Where a message's time
goes"). The modules that keep such statements say so where they build them.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import secrets
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool, StaticPool
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeDecorator

from bot.keys import DataKeys

logger = logging.getLogger(__name__)

metadata = MetaData()


def keys_of(dialect) -> DataKeys:
    """The keys of the engine whose dialect this is (`connect` gives each its own)."""
    keys = getattr(dialect, "data_keys", None)
    if keys is None:
        raise RuntimeError("an engine made without `bot.store.connect` has no data keys")
    return keys


class Encrypted(TypeDecorator):
    """Text kept encrypted at rest (Fernet, under the engine's keys).

    Never compare such a column with a value in a query: each encryption differs.
    A value stored before encryption was turned on reads back as it was.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return keys_of(dialect).encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return keys_of(dialect).decrypt(value)


class Keyed(TypeDecorator):
    """An identifier kept as its keyed HMAC: equal values match in queries, and what
    is read back is the HMAC, never the identifier."""

    impl = String(80)
    cache_ok = True

    def __init__(self, purpose: str = "") -> None:
        """`purpose` keeps one column's HMACs apart from another's."""
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return keys_of(dialect).lookup(value, self.purpose)


handoffs = Table(
    "handoffs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("conversation_id", String(255), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("platform_user_id", String(255), nullable=True),
    Column("surface", String(16), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("team", String(64), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("acknowledge_by", DateTime(timezone=True), nullable=False),
    Column("reply_by", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Reason, intent and the tenant's words redacted, as JSON (bot.handoff.handoffs.Summary).
    Column("summary", Encrypted, nullable=True),
    Column("needs_reply", Integer, nullable=True),
    Column("acknowledged_at", DateTime(timezone=True), nullable=True),
    # P3: each deadline met (1) or missed (0); null while it is still to come.
    Column("acknowledge_met", Integer, nullable=True),
    Column("replied_at", DateTime(timezone=True), nullable=True),
    Column("reply_met", Integer, nullable=True),
    Column("taken_by", String(255), nullable=True),
    # Why the platform refused the latest staff reply for good; null once one is sent.
    Column("reply_failed", Encrypted, nullable=True),
    # 0: opened beside a matter the assistant is still dealing with (a complaint made with
    # a repair); it holds the tenant with people once another handoff does. Null: 1.
    Column("holds_conversation", Integer, nullable=True),
    Index("handoffs_by_conversation", "conversation_id", "state"),
)

# Who did what to which handoff, and when: every action staff take through the handoff
# service's API, each reading of a thread and each unmasking. Details name teams, states
# and surfaces, never what a message said.
handoff_audit = Table(
    "handoff_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("staff", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("handoff_id", String(36), nullable=True, index=True),
    # A refused reply's error, a transfer's note: they may quote the tenant (P9).
    Column("details", Encrypted, nullable=True),
)


# The console's staff accounts (bot/console/accounts.py): a password only as an scrypt
# hash; failed sign-ins counted, and a lock after too many (docs/staff.md, "The console").
staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("role", String(32), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("disabled", Integer, nullable=False),
)

# Signed-in console sessions (bot/console/sessions.py). Only an HMAC of the cookie's
# value (keyed by CONSOLE_SESSION_SECRET) is kept, so a copy of the store signs no one in.
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("staff", String(255), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
    # A message for the next page shown ("Reply sent"), then cleared.
    Column("flash", Text, nullable=True),
)

# What staff did in the console that is not a handoff action (those are in
# handoff_audit): signing in and out, failed sign-ins, account changes, undoing a
# moderation action, sending a dead letter again or dismissing it.
console_audit = Table(
    "console_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("staff", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(255), nullable=True),
    Column("details", Encrypted, nullable=True),
)


# Tenancy records (P4). Names and dates of birth are security answers: they are kept
# only as one salted scrypt digest per person (bot.tenancy.security_question), never in clear.
# The address, the rent figures and the repairs are encrypted (P9), numbers as their
# text (bot.tenancy.records converts them); a tenancy is found by the keyed postcode
# beside it, and its id is derived from a keyed HMAC of its reference.
tenancies = Table(
    "tenancies",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("reference", String(16), nullable=False, unique=True),
    Column("address_line", Encrypted, nullable=False),
    Column("address_key", Encrypted, nullable=False),
    Column("town", Encrypted, nullable=False),
    Column("postcode", Encrypted, nullable=False),
    # Null in a row stored before the postcode was keyed, until the records are reloaded.
    Column("postcode_key", Keyed("postcode"), nullable=True, index=True),
    Column("answers_scheme", String(128), nullable=False),
    Column("rent_balance_pence", Encrypted, nullable=False),
    Column("rent_as_of", Date, nullable=False),
)

tenancy_people = Table(
    "tenancy_people",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenancy_id", String(36), ForeignKey("tenancies.id"), nullable=False, index=True),
    Column("role", String(32), nullable=False),
    Column("relationship", Encrypted, nullable=True),
    Column("authorised_for", String(128), nullable=False),
    Column("answers_digest", String(64), nullable=False),
)

rent_payments = Table(
    "rent_payments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenancy_id", String(36), ForeignKey("tenancies.id"), nullable=False, index=True),
    Column("paid_on", Date, nullable=False),
    Column("amount_pence", Encrypted, nullable=False),
    Column("method", Encrypted, nullable=False),
)

repairs = Table(
    "repairs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenancy_id", String(36), ForeignKey("tenancies.id"), nullable=False, index=True),
    Column("job_number", Encrypted, nullable=False),
    Column("description", Encrypted, nullable=False),
    Column("status", String(64), nullable=False),
    Column("reported_on", Date, nullable=False),
    Column("appointment_start", DateTime(timezone=True), nullable=True),
    Column("appointment_end", DateTime(timezone=True), nullable=True),
)

# Repairs reported in a private conversation and triaged (bot.repairs): the tenant's
# answers as typed (P9: kept on their file), photos only counted, never stored. No
# tenancy when the tenant could not be verified (P4): staff confirm who they are.
repair_requests = Table(
    "repair_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("conversation_id", String(255), nullable=False),
    # No foreign key: reloading the tenancy records replaces their rows (with the same
    # ids), and a tenant's repair requests stay through that.
    Column("tenancy_id", String(36), nullable=True, index=True),
    Column("what", Encrypted, nullable=False),
    Column("where_in_home", Encrypted, nullable=False),
    Column("since", Encrypted, nullable=False),
    Column("vulnerable", Integer, nullable=False),
    Column("photo_count", Integer, nullable=False),
    Column("photo_kinds", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("handoff_id", String(36), nullable=True),
)

# Every identity check, without the answers (P4). The account is keyed: attempts are
# counted by it, never read back as an id.
identity_attempts = Table(
    "identity_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("account", Keyed("platform account"), nullable=False),
    Column("conversation_id", String(255), nullable=False),
    Column("tenancy_id", String(36), nullable=True),
    Column("person_id", String(36), nullable=True),
    Column("outcome", String(32), nullable=False),
    Index("identity_attempts_by_account", "account", "at"),
)

# Failed checks counted, and locks, per platform account, per way of naming a tenancy
# and per tenancy: each subject kept as its keyed HMAC (bot.tenancy.identity_locks).
identity_subjects = Table(
    "identity_subjects",
    metadata,
    Column("subject", Keyed("identity subject"), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("counting_since", DateTime(timezone=True), nullable=True),
    Column("locked_until", DateTime(timezone=True), nullable=True),
)


# The state of an event the intake accepted and has not processed yet (bot.intake).
ACCEPTED = "accepted"


def waiting_in(table: str | None = None) -> TextClause:
    """`state = 'accepted'`, of `table` if named, as SQL text: the condition of the
    indexes of waiting events below, and of the intake's queries that go through them
    (a literal, not a parameter, so that the planner matches it to the indexes')."""
    column = f"{table}.state" if table else "state"
    return text(f"{column} = '{ACCEPTED}'")


# Where an index holds only the intake's waiting events (`inbound_events` below).
_only_waiting = {"sqlite_where": waiting_in(), "postgresql_where": waiting_in()}

# Webhook events accepted and waiting to be processed (P12). The text is kept only
# until the message is processed; the ids stay, to recognise a redelivery.
inbound_events = Table(
    "inbound_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("event_id", String(255), nullable=False),
    Column("conversation_id", String(255), nullable=False),
    Column("event", Encrypted, nullable=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("processed_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Encrypted, nullable=True),
    UniqueConstraint("platform", "event_id", name="inbound_events_once"),
    Index("inbound_events_waiting", "state", "id"),
    # The events waiting, alone, in the order accepted: a claim walks them however many
    # were processed before (bot/intake.py; PostgreSQL would walk every id from the
    # first). The condition is the intake's own, literally, so that both databases
    # see that the index serves the query.
    Index("inbound_events_accepted", "id", **_only_waiting),
    # Whether an event waits behind an earlier one of its conversation.
    Index("inbound_events_queue", "state", "conversation_id", "id"),
)

# Every call to a platform, sent by the outbox worker in order per conversation (P12).
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("operation", String(32), nullable=False),
    Column("target", String(255), nullable=False),
    Column("text", Encrypted, nullable=True),
    Column("author", String(16), nullable=False),
    Column("user_message_at", DateTime(timezone=True), nullable=True),
    Column("dedupe_key", String(255), nullable=True, unique=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("platform_id", String(255), nullable=True),
    Column("last_error", Encrypted, nullable=True),
    # What to do instead if the platform refuses the call (an X DM to someone whose
    # DMs are closed: follow them and ask in public, P8), as JSON.
    Column("fallback", Encrypted, nullable=True),
    # When staff dismissed a dead letter (state "dismissed"): kept, never sent.
    Column("dismissed_at", DateTime(timezone=True), nullable=True),
    Index("outbox_waiting", "state", "conversation_id", "id"),
    # A worker's claim reads the pending calls in the order they are due and stops at
    # a few: without it, every claim sorted the whole backlog (bot/outbox.py).
    Index("outbox_due", "state", "next_attempt_at", "id"),
)

# Everything moderation did (P5, P7, P8, P10), with its reason and never the details:
# hides, deletions, warnings, strikes, blocks, reports, follows. Staff can undo what
# can be undone; `state` says "done", "undone", or "for_staff" (a report to make by hand).
# Strikes are counted by the author's keyed id; the id itself is kept encrypted in
# `author`, for staff to read and to undo a block by.
moderation_actions = Table(
    "moderation_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("author_id", Keyed("platform account"), nullable=True),
    Column("conversation_id", String(255), nullable=True),
    Column("target", String(255), nullable=True),
    Column("action", String(32), nullable=False),
    Column("reason", Encrypted, nullable=False),
    Column("detail_kinds", String(255), nullable=True),
    Column("state", String(16), nullable=False),
    Column("undone_at", DateTime(timezone=True), nullable=True),
    Column("undone_by", String(255), nullable=True),
    Column("author", Encrypted, nullable=True),
    # One entry per message and action: a message handled again after a crash logs,
    # and strikes, once.
    Column("key", String(300), nullable=True, unique=True),
    Index("moderation_by_author", "platform", "author_id", "action", "at"),
)

# The platform accounts one person writes from (P7: strikes count per person). Kept as
# the ids themselves: a tenant's thread is rebuilt from them (bot.handoff.threads), and
# each is in the conversation ids anyway. Facebook
# knows a Messenger sender by a page-scoped id and a commenter by another id; the link is
# learnt when a private reply to their comment reaches them in Messenger.
linked_accounts = Table(
    "linked_accounts",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("public_id", String(255), primary_key=True),
    Column("private_id", String(255), primary_key=True),
)

# One row per person whose strikes are being counted: updating it first makes two
# strikes for the same person, processed at once, wait for each other (P7). The person
# is the keyed HMAC of their platform and first account.
strike_locks = Table(
    "strike_locks",
    metadata,
    Column("person", Keyed("strike person"), primary_key=True),
    Column("counted", Integer, nullable=False),
)

# What a private message asked a tenant to tell us here, promising to pass it on (P6,
# P11): why their post named staff, what antisocial behaviour has been happening. Their
# next private message is passed on, once; `passed_on_at` says it was, and to which handoff.
follow_ups = Table(
    "follow_ups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    # Keyed: promises are found by the author's accounts, never read back as ids.
    Column("author_id", Keyed("platform account"), nullable=False),
    Column("conversation_id", String(255), nullable=False),
    Column("awaits", String(32), nullable=False),
    Column("promised_at", DateTime(timezone=True), nullable=False),
    Column("passed_on_at", DateTime(timezone=True), nullable=True),
    Column("handoff_id", String(36), nullable=True),
    # One promise per message, however often it is screened; and the message that kept it.
    Column("key", String(300), nullable=False, unique=True),
    Column("kept_by", String(300), nullable=True),
    Index("follow_ups_by_author", "platform", "author_id", "passed_on_at"),
)

# Public Facebook comments on the page's posts, the tenants' and the page's own, kept
# so that they can be removed after three months (P10).
public_comments = Table(
    "public_comments",
    metadata,
    Column("comment_id", String(255), primary_key=True),
    Column("post_id", String(255), nullable=True),
    Column("author_id", String(255), nullable=True),
    Column("by_page", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("removal_requested_at", DateTime(timezone=True), nullable=True),
    # Where it was written; none: Facebook (noted before other platforms were kept).
    Column("platform", String(32), nullable=True),
    Index("public_comments_by_age", "removal_requested_at", "created_at"),
)


# Where each platform that is polled (no webhook: YouTube, LinkedIn) has read up to,
# and when it is next to be read: one row per platform account (bot.platforms.places).
# It holds times, counts and the platform's ids of comments, no one's words.
poll_places = Table(
    "poll_places",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("place", Text, nullable=True),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# When each platform account was told who reads its private messages (P9's notice,
# bot/protection/notice.py): queued once per account, and when the platform took it.
# The account is keyed: found by it, never read back as an id.
privacy_notices = Table(
    "privacy_notices",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("account", Keyed("platform account"), primary_key=True),
    Column("conversation_id", String(255), nullable=False),
    Column("queued_at", DateTime(timezone=True), nullable=False),
    Column("said_at", DateTime(timezone=True), nullable=True),
)

# Service alerts (bot/service_alerts/): what Communications tell tenants while a
# service is affected. Public words, no one's details.
service_alerts = Table(
    "service_alerts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(80), nullable=False),
    Column("message", Text, nullable=False),
    # Comma-separated: "heating,water"; "LS6,LS7 1" (none: everywhere).
    Column("services", String(64), nullable=False),
    Column("areas", Text, nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("reply_within_hours", Integer, nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("platforms", String(64), nullable=False, default=""),
    Index("service_alerts_by_end", "ends_at"),
)

# The one question after a conversation (bot/feedback/surveys.py): asked once per
# occasion ("handoff:<id>", or a conversation and its day), and its answer. The words
# are the tenant's: encrypted (P9).
surveys = Table(
    "surveys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("occasion", String(255), nullable=False, unique=True),
    Column("conversation_id", String(255), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("team", String(64), nullable=False),
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=True),
    Column("rating", Integer, nullable=True),
    Column("words", Encrypted, nullable=True),
    Column("declined", Boolean, nullable=False),
    Index("surveys_by_conversation", "conversation_id", "asked_at"),
)

# Tenants who said no to the question: not asked again before `until`. Keyed.
survey_opt_outs = Table(
    "survey_opt_outs",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("account", Keyed("platform account"), primary_key=True),
    Column("until", DateTime(timezone=True), nullable=False),
)

# Survey invitations Communications publish (bot/feedback/invitations.py): public words
# and a link, no one's details.
survey_invitations = Table(
    "survey_invitations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(80), nullable=False),
    Column("url", String(300), nullable=False),
    Column("closes_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
)

# Which keys each running process holds (P9): a key rotation re-encrypts only once every
# process seen lately can read the new key, and the old keys are retired only once none
# still encrypts under one (bot/protection/rotation.py). A fingerprint, never a key.
key_holders = Table(
    "key_holders",
    metadata,
    Column("holder", String(64), primary_key=True),
    Column("kind", String(64), nullable=False),
    # SHA-256 fingerprints of its encryption keys, comma-separated, newest first.
    Column("fingerprints", Text, nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)
# How often a running process says it is still there.
HOLDER_EVERY = 60.0


def key_fingerprint(key: str) -> str:
    """What stands for an encryption key in `key_holders`: it names the key, never gives it."""
    return hashlib.sha256(b"key-holder\x1f" + key.encode()).hexdigest()[:32]


class KeyHolder:
    """One running process's record of the keys it holds, kept while it runs."""

    def __init__(
        self,
        engine: Engine,
        kind: str,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        every: float = HOLDER_EVERY,
    ) -> None:
        """`kind`: what the process is, as the rotation command names it ("console")."""
        self._engine = engine
        self._kind = kind
        self._clock = clock
        self._every = every
        self._id = secrets.token_hex(16)
        self._stopped = threading.Event()
        # A beat under way when `leave` comes must not write the record back after it.
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def beat(self) -> KeyHolder:
        """Record, or refresh, this process's keys and the time (blocking)."""
        keys = keys_of(self._engine.dialect).encryption_keys
        values = {
            "holder": self._id,
            "kind": self._kind,
            "fingerprints": ",".join(key_fingerprint(k) for k in keys),
            "seen_at": to_utc(self._clock()),
        }
        with self._engine.begin() as connection:
            connection.execute(key_holders.delete().where(key_holders.c.holder == self._id))
            connection.execute(key_holders.insert().values(**values))
        return self

    def start(self) -> KeyHolder:
        """Record it now, then every `every` seconds from a thread of its own, until
        `leave` (called at a clean exit too)."""
        self._stopped.clear()
        try:
            self.beat()
        except Exception as error:  # noqa: BLE001 - the thread writes it at the next beat
            logger.warning(
                "The record of this process's keys could not be written yet (%s)",
                type(error).__name__,
            )
        self._thread = threading.Thread(target=self._run, name="key-holder", daemon=True)
        self._thread.start()
        atexit.register(self.leave)
        return self

    def leave(self) -> None:
        """The process stops: its record goes (one left by a crash ages out)."""
        with self._lock:
            self._stopped.set()
            try:
                with self._engine.begin() as connection:
                    connection.execute(key_holders.delete().where(key_holders.c.holder == self._id))
            except Exception as error:  # noqa: BLE001 - it ages out instead
                logger.warning(
                    "The record of this process's keys could not be removed (%s)",
                    type(error).__name__,
                )

    def _run(self) -> None:
        while not self._stopped.wait(self._every):
            try:
                with self._lock:
                    if not self._stopped.is_set():
                        self.beat()
            except Exception as error:  # noqa: BLE001
                # Whatever failed (the store down, its pool exhausted), the thread goes
                # on: were it to stop, the record would age out while the process still
                # runs, and a rotation would re-encrypt under its feet. Only the error's
                # type is logged: its text may hold a query's values.
                logger.warning(
                    "The record of this process's keys could not be refreshed (%s): "
                    "trying again in %.0fs",
                    type(error).__name__,
                    self._every,
                )


def to_utc(t: datetime) -> datetime:
    """`t` in UTC, as the store keeps times."""
    return t.astimezone(timezone.utc)


def as_aware(t: datetime | None) -> datetime | None:
    """A time read back from the store, in UTC (SQLite drops the zone)."""
    if t is None:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


# Connections a SQLite file keeps open between uses; more are opened while more
# threads need one at once, and closed again after.
SQLITE_POOL_SIZE = 5


def pool_options(url: str | URL) -> Dict[str, Any]:
    """`create_engine`'s options for the connections to the database at `url`.

    A database server's connection may have been dropped (PostgreSQL restarted): it is
    tested before use and replaced, rather than failing the work that drew it.

    SQLAlchemy 1.4 opens a SQLite file anew for every use (NullPool); opening, setting
    it up and closing it cost the Rasa server a seventh of its time under load
    (`make bench-load`, profiled with py-spy). Here a pool keeps a few open. Each may
    serve any thread, one at a time, as the work runs in worker threads. An in-memory
    database is one connection for every thread, not a new empty database each. A
    file's connection is never dropped under it, so it is not tested before each use.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return {"pool_pre_ping": True}
    options: Dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if parsed.database in (None, "", ":memory:"):
        options["poolclass"] = StaticPool
    else:
        options.update(poolclass=QueuePool, pool_size=SQLITE_POOL_SIZE, max_overflow=-1)
    return options


def connect(url: str, keys: DataKeys | None = None) -> Engine:
    """An engine for `url`, with the project's tables created.

    `keys` encrypt its `Encrypted` columns and key its `Keyed` ones; without them, keys
    for this engine only (tests, throwaway stores): the processes always pass theirs.

    A SQLite file's folder is created if missing (its connections: `pool_options`), and
    it keeps a write-ahead log (`clear_write_ahead_log`).
    """
    parsed = make_url(url)
    options = pool_options(parsed)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: an error of the store is logged and kept (an event's failure
    # reason), and its query's values may be a tenant's message (P5).
    engine = create_engine(url, future=True, hide_parameters=True, **options)
    engine.dialect.data_keys = keys or DataKeys.ephemeral()
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _zero_deleted_content)
        event.listen(engine, "connect", _keep_a_write_ahead_log)
    metadata.create_all(engine)
    _add_missing_columns(engine)
    _add_missing_indexes(engine)
    _widen_encrypted_columns(engine)
    return engine


def _add_missing_columns(engine: Engine) -> None:
    """Add the nullable columns a newer release defines to an older store's tables.

    `create_all` makes missing tables but leaves existing ones as they are; a new
    column is always nullable, so adding it keeps every row as it was.
    """
    existing = inspect(engine)
    for table in metadata.sorted_tables:
        if not existing.has_table(table.name):
            continue
        present = {column["name"] for column in existing.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=engine.dialect)
                try:
                    with engine.begin() as connection:
                        connection.exec_driver_sql(
                            f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'
                        )
                except DBAPIError:
                    # Another process starting at the same moment added it first.
                    names = {c["name"] for c in inspect(engine).get_columns(table.name)}
                    if column.name not in names:
                        raise


def _add_missing_indexes(engine: Engine) -> None:
    """Make the indexes a newer release defines on an older store's tables (an index
    changes no row)."""
    existing = inspect(engine)
    for table in metadata.sorted_tables:
        if not existing.has_table(table.name):
            continue
        present = {index["name"] for index in existing.get_indexes(table.name)}
        for index in table.indexes:
            if index.name in present:
                continue
            try:
                with engine.begin() as connection:
                    index.create(bind=connection)
            except DBAPIError:
                # Another process starting at the same moment made it first.
                names = {i["name"] for i in inspect(engine).get_indexes(table.name)}
                if index.name not in names:
                    raise


def _widen_encrypted_columns(engine: Engine) -> None:
    """Make room for ciphertext in an older store's columns that are now `Encrypted`.

    A column kept in clear before (a postcode in 16 characters, a rent figure as an
    integer) cannot hold its ciphertext on PostgreSQL; SQLite does not enforce types.
    """
    if engine.dialect.name != "postgresql":
        return
    existing = inspect(engine)
    for table in metadata.sorted_tables:
        if not existing.has_table(table.name):
            continue
        narrow = {
            column["name"]
            for column in existing.get_columns(table.name)
            if not isinstance(column["type"], Text)
            or getattr(column["type"], "length", None) is not None
        }
        for column in table.columns:
            if isinstance(column.type, Encrypted) and column.name in narrow:
                with engine.begin() as connection:
                    connection.exec_driver_sql(
                        f'ALTER TABLE {table.name} ALTER COLUMN "{column.name}" TYPE TEXT'
                        f' USING "{column.name}"::text'
                    )


def _zero_deleted_content(connection, _record) -> None:
    # A message's text is dropped once processed; without this SQLite would leave its
    # bytes in the file's free pages, where a security answer could still be read.
    connection.execute("PRAGMA secure_delete = ON")


def _keep_a_write_ahead_log(connection, _record) -> None:
    # The file's mode, kept in it: a no-op once set (an in-memory store stays "memory").
    connection.execute("PRAGMA journal_mode = WAL")


def clear_write_ahead_log(engine: Engine, tries: int = 20, pause: float = 0.05) -> bool:
    """Copy a SQLite store's write-ahead log into its file and empty the log (P9).

    With its rollback journal, SQLite made a writer wait while anyone read, and readers
    while it committed: the intake, the intake loop, the outbox and the action server
    all write the same file. At 25 messages a second one instance's reply p95 passed a
    second with its Rasa server at 83% of a core, waiting, not working; with the log,
    44 ms (`make bench-load`). Readers and the writer now work at once.

    Every change is appended to the log (`<file>-wal`) before it is copied into the
    file, so a row deleted or rewritten (a message's text once processed, an erasure,
    the retention job, a key rotation) stays there, encrypted as it was stored, until
    the log is emptied. The Rasa server calls this every minute
    (`bot.channels.runtime.clear_log_regularly`, once a call), and an erasure, a
    retention run, a key rotation and an upgrade as they finish (by default up to a
    second of tries); `secure_delete` overwrites it in the file itself.

    It never waits: emptying the log takes the store's write lock and needs every
    reader to be done with the log, and waiting for them would hold up every writer
    meanwhile. When a writer or a reader is busy, it copies what it can and tries again
    after `pause` seconds, `tries` times in all, then returns False; the next call
    empties the log. True for a database without such a log (PostgreSQL, an in-memory
    store).
    """
    if engine.dialect.name != "sqlite":
        return True
    for attempt in range(tries):
        if attempt:
            time.sleep(pause)
        with engine.connect() as connection:
            if connection.exec_driver_sql("PRAGMA journal_mode").scalar() != "wal":
                return True
            waits = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
            connection.exec_driver_sql("PRAGMA busy_timeout = 0")
            try:
                busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            finally:
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(waits)}")
        if not busy:
            return True
    return False
