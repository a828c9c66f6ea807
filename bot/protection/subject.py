"""Subject rights (P9): export everything held about one person, erase one conversation.

What a tenant sends "may be kept on their file under the privacy notice"; the privacy
notice in turn gives them the right to see what is kept and to have it erased.

- `export_account` gathers what is held about a platform account and the accounts
  linked to it (bot.handoff.threads: X's one id on both surfaces, a Facebook commenter
  and the Messenger sender their private reply reached): every event of each
  conversation, decrypted, from the tracker store; handoffs and their audit entries;
  moderation entries; identity checks; repair requests; follow-ups; what the outbox
  and the intake still hold; their public comments; and the console's audit
  entries about them.
- `export_tenancy` gathers the same for a tenancy, by its reference: the record
  (address and people, never the digests of their security answers), its rent
  payments and repairs, its identity checks, repair requests and handoffs, and only
  its own people's conversations (GDPR Art. 15(4)): of each, only the sessions in
  which a check verified someone on the tenancy or a repair of it was asked for, and
  only its own repair requests and checks; the moderation entries and public comments
  of their accounts only where the account was verified on no other tenancy (an
  authorised contact on several tenancies is not one tenancy's alone). A stranger's
  failed check on the tenancy is listed without the conversation it was made in,
  which is never exported.
- `erase_conversation` removes one conversation everywhere it is kept: the tracker's
  events, its handoffs (their audit entries keep who did what and when, without the
  details), the outbox's and the intake's rows (the intake keeps only the platform's
  event id, so that a redelivered webhook is still not handled twice), repair
  requests and follow-ups; the moderation log keeps its entries (strikes and blocks
  stand, P7) without their reason or the conversation; identity checks keep their
  outcome without the conversation or the account. Once no other conversation of the
  platform account is held (on X the same id writes in public and in private), the
  account is forgotten too: its links to the person's other accounts, the moderation
  log's copy of it (`author`, and `target` where a block or follow names it; the
  keyed `author_id` stays, so strikes still count) and the author of its public
  comments. While another is held, only the erased conversation's own moderation
  entries lose their reason, conversation and author.

Rows are found by conversation id, platform account or tenancy, never by comparing a
personal field (those are encrypted, bot.store): identifier columns may be keyed
HMACs, which match when queried with the raw value. Each export and each erasure is
written to the console's audit with the name of who asked; an erasure's entry names
the conversation only by a keyed HMAC of its id, so the record of the erasure holds
nothing of what was erased. Erasing twice is harmless: the second finds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Protocol, Sequence

from sqlalchemy import (
    String,
    Table,
    case,
    delete,
    false,
    func,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.engine import Connection, Engine

from bot.events import Platform, Surface
from bot.handoff.threads import ConversationLinks, conversation_id_of, split_conversation_id
from bot.intake import PROCESSED
from bot.keys import DataKeys, Undecryptable
from bot.platforms.registry import KITS
from bot.protection.conversations import NoTrackerStore, TrackerEvents, tracker_engine
from bot.store import (
    Keyed,
    as_aware,
    clear_write_ahead_log,
    console_audit,
    follow_ups,
    handoff_audit,
    handoffs,
    identity_attempts,
    inbound_events,
    linked_accounts,
    moderation_actions,
    outbox,
    privacy_notices,
    public_comments,
    rent_payments,
    repair_requests,
    repairs,
    surveys,
    tenancies,
    tenancy_people,
    to_utc,
)
from bot.tenancy.answers import tenancy_reference
from bot.tenancy.identity import Outcome

# What an erased moderation entry says instead of its reason (the column is required).
ERASED = "erased (P9)"
# The keyed HMAC's purpose for the conversation ids and subjects the audit names.
AUDIT_PURPOSE = "subject-rights"
# Console audit actions.
EXPORTED = "subject_exported"
ERASED_ACTION = "conversation_erased"
# Never exported: digests of security answers, and lookup forms of the address.
NEVER_EXPORTED = frozenset({"answers_digest", "answers_scheme", "address_key"})
# The outcome of a check that makes its conversation one of the tenancy's own people's.
VERIFIED = Outcome.VERIFIED.value
# Columns holding JSON, exported as what they hold.
JSON_COLUMNS = frozenset({"event", "fallback", "summary", "details"})
# Console audit actions whose subject is an outbox message or a moderation entry.
OUTBOX_ACTIONS = ("dead_letter_sent_again", "dead_letter_dismissed")
MODERATION_ACTIONS = ("moderation_undone",)


class TrackerEventsLike(Protocol):
    """What this module needs of the tracker's events (bot.protection.conversations)."""

    def events(self, sender_id: str) -> List[Dict[str, Any]]:
        """Every event of the conversation, decrypted, oldest first."""

    def erase(self, sender_id: str) -> int:
        """Delete every event of the conversation; returns how many."""

    def last_activity(self, sender_id: str) -> datetime | None:
        """When the conversation last had an event, or None if it has none."""


class UnknownSubject(ValueError):
    """The account or tenancy named is not one this module can look for."""


@dataclass(frozen=True)
class Erasure:
    """What erasing one conversation removed, as counts per place (never what it said)."""

    conversation_id: str
    removed: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """How many records were removed or stripped, everywhere."""
        return sum(self.removed.values())


def parse_account(text: str) -> tuple[Platform, str]:
    """`facebook:123` or `twitter:456` as (platform, account id).

    Raises:
        UnknownSubject: not PLATFORM:ID with a platform the assistant is on.
    """
    name, _, account = text.partition(":")
    platform = Platform.named(name.strip().lower())
    if platform in (None, Platform.REST) or not account.strip():
        raise UnknownSubject(f"{text!r}: give the account as facebook:ID or twitter:ID")
    return platform, account.strip()


# Where a kept public comment was written (those noted before platforms were named:
# Facebook).
COMMENT_PLATFORM = func.coalesce(public_comments.c.platform, Platform.FACEBOOK.value)


class SubjectRights:
    """Export and erasure over the project's store and the tracker's events."""

    def __init__(
        self,
        engine: Engine,
        keys: DataKeys,
        tracker: TrackerEventsLike | None = None,
    ) -> None:
        """`engine`: the project's store; `tracker`: the tracker store's events (None
        when conversations are not kept in a SQL tracker store, as in some tests)."""
        self._engine = engine
        self._keys = keys
        self._tracker = tracker
        self._links = ConversationLinks(engine)

    # --- export ------------------------------------------------------------------

    def conversations_of_account(self, platform: Platform, account_id: str) -> List[str]:
        """Every conversation of the account and of the accounts linked to it."""
        found: set[str] = set()
        for surface in Surface:
            found |= set(
                self._links.conversations_of(conversation_id_of(platform, surface, account_id))
            )
        return sorted(found)

    def export_account(
        self, platform: Platform, account_id: str, by: str, now: datetime
    ) -> Dict[str, Any]:
        """Everything held about the platform account (and those linked to it), as JSON
        can hold it; the export is audited under `by`."""
        conversations = self.conversations_of_account(platform, account_id)
        accounts = sorted(
            {
                f"{parsed[0].value}:{parsed[2]}"
                for parsed in map(split_conversation_id, conversations)
                if parsed is not None
            }
        )
        held = [self._conversation(c) for c in conversations]
        export = {
            "subject": {"account": f"{platform.value}:{account_id}", "linked_accounts": accounts},
            "exported_at": to_utc(now).isoformat(),
            "conversations": [c for c in held if _holds_anything(c)],
            **self._of_accounts(conversations),
        }
        subject_key = self._audit_key(f"{platform.value}:{account_id}")
        export["console_audit"] = self._console_audit(export, conversations, [subject_key])
        self._record(by, now, EXPORTED, subject_key, {"kind": "account"})
        return export

    def export_tenancy(self, reference: str, by: str, now: datetime) -> Dict[str, Any]:
        """Everything held about the tenancy `reference` ("TEN-204817"), as JSON can
        hold it: its record without the security answers' digests, and the
        conversations its checks and repair requests were made in; audited under `by`.

        Raises:
            UnknownSubject: no tenancy has that reference.
        """
        wanted = tenancy_reference(reference)
        if wanted is None:
            raise UnknownSubject(f"{reference!r} is not a tenancy reference (TEN-123456)")
        with self._engine.connect() as connection:
            found = connection.execute(
                select(tenancies).where(tenancies.c.reference == wanted)
            ).first()
            if found is None:
                raise UnknownSubject(f"no tenancy has the reference {wanted}")
            tenancy_id = found.id
            record = _plain(found._mapping, tenancies, self._keys)
            record["reference"] = wanted
            by_tenancy = {
                "people": (tenancy_people, tenancy_people.c.id),
                "rent_payments": (rent_payments, rent_payments.c.id),
                "repairs": (repairs, repairs.c.id),
            }
            for name, (table, order) in by_tenancy.items():
                record[name] = _rows(
                    connection, table, table.c.tenancy_id == tenancy_id, order, self._keys
                )
            # Kept as encrypted text (P9): exported as the numbers they are.
            record["rent_balance_pence"] = int(record["rent_balance_pence"])
            for payment in record["rent_payments"]:
                payment["amount_pence"] = int(payment["amount_pence"])
            # Only its own people's conversations (GDPR Art. 15(4)): those in which a
            # check verified someone on it, never one where a stranger tried and failed;
            # and of each only the sessions it was verified (or a repair asked) in.
            moments: Dict[str, List[datetime]] = {}
            verified = connection.execute(
                select(identity_attempts.c.conversation_id, identity_attempts.c.at).where(
                    identity_attempts.c.tenancy_id == tenancy_id,
                    identity_attempts.c.outcome == VERIFIED,
                )
            ).all()
            asked = connection.execute(
                select(repair_requests.c.conversation_id, repair_requests.c.created_at).where(
                    repair_requests.c.tenancy_id == tenancy_id
                )
            ).all()
            for conversation_id, at in [*verified, *asked]:
                moments.setdefault(conversation_id, []).append(as_aware(at))
            conversations = set(moments)
            checks = _rows(
                connection,
                identity_attempts,
                identity_attempts.c.tenancy_id == tenancy_id,
                identity_attempts.c.id,
                self._keys,
            )
            requests = _rows(
                connection,
                repair_requests,
                repair_requests.c.tenancy_id == tenancy_id,
                repair_requests.c.created_at,
                self._keys,
            )
        # A keyed conversation column reads back as its HMAC: no conversation to open.
        named = sorted(c for c in conversations if c and not str(c).startswith("hmac:"))
        for check in checks:
            # A check made elsewhere is shown (someone tried the tenancy), not where.
            if check["conversation_id"] not in named:
                check["conversation_id"] = None
        tenancy_handoffs = self._handoffs([f"tenancy:{wanted}"])
        held = [self._tenancy_conversation(c, moments[c], tenancy_id, requests) for c in named]
        own = [c for c in named if not self._shared(c, tenancy_id)]
        export = {
            "subject": {"tenancy": wanted},
            "exported_at": to_utc(now).isoformat(),
            "tenancy": record,
            "identity_checks": checks,
            "repair_requests": requests,
            "tenancy_handoffs": tenancy_handoffs,
            "conversations": [c for c in held if _holds_anything(c)],
            **self._of_accounts(own),
        }
        subject_key = self._audit_key(wanted)
        export["console_audit"] = self._console_audit(export, named, [subject_key])
        self._record(by, now, EXPORTED, subject_key, {"kind": "tenancy"})
        return export

    def _tenancy_conversation(
        self,
        conversation_id: str,
        moments: Sequence[datetime],
        tenancy_id: str,
        requests: Sequence[Mapping[str, Any]],
    ) -> Dict[str, Any]:
        """One conversation's part of a tenancy's export: only the sessions in which a
        check verified someone on the tenancy or a repair of it was asked for, what the
        outbox, intake, follow-ups and handoffs hold of those sessions, and the
        tenancy's own repair requests. A support worker on several tenancies talks
        about all of them in one conversation: the others' sessions are not this
        tenancy's to see (GDPR Art. 15(4))."""
        everything = self._conversation(conversation_id)
        sessions = _sessions(everything["events"])
        kept = [
            (start, end, events)
            for start, end, events in sessions
            if any(start <= moment.timestamp() < end for moment in moments)
        ]

        def within(row: Mapping[str, Any], column: str) -> bool:
            value = row.get(column)
            if not value:
                return False
            at = datetime.fromisoformat(value).timestamp()
            return any(start <= at < end for start, end, _ in kept)

        return {
            "conversation_id": conversation_id,
            "events": [event for _, _, events in kept for event in events],
            "handoffs": [h for h in everything["handoffs"] if within(h, "created_at")],
            "outbox": [row for row in everything["outbox"] if within(row, "created_at")],
            "intake": [row for row in everything["intake"] if within(row, "received_at")],
            "repair_requests": [
                row for row in requests if row.get("conversation_id") == conversation_id
            ],
            "follow_ups": [row for row in everything["follow_ups"] if within(row, "promised_at")],
            "identity_checks": [
                row for row in everything["identity_checks"] if row.get("tenancy_id") == tenancy_id
            ],
        }

    def _shared(self, conversation_id: str, tenancy_id: str) -> bool:
        """Whether the account of the conversation (or the conversation itself) was
        verified on another tenancy too: then its moderation entries and public
        comments are not this tenancy's alone, and stay out of its export."""
        parsed = split_conversation_id(conversation_id)
        conversations = [conversation_id]
        accounts: List[str] = []
        if parsed is not None:
            conversations = self.conversations_of_account(parsed[0], parsed[2])
            accounts = [
                f"{platform.value}:{account}"
                for platform, ids in _accounts(conversations).items()
                for account in ids
            ]
        with self._engine.connect() as connection:
            elsewhere = connection.execute(
                select(identity_attempts.c.id)
                .where(
                    identity_attempts.c.outcome == VERIFIED,
                    or_(
                        identity_attempts.c.tenancy_id != tenancy_id,
                        identity_attempts.c.tenancy_id.is_(None),
                    ),
                    or_(
                        identity_attempts.c.conversation_id.in_(conversations),
                        *(identity_attempts.c.account == account for account in accounts),
                    ),
                )
                .limit(1)
            ).first()
        return elsewhere is not None

    def _of_accounts(self, conversations: Sequence[str]) -> Dict[str, Any]:
        """The moderation entries and public comments of the conversations and of the
        platform accounts they are with."""
        accounts = _accounts(conversations)
        by_author = [
            (moderation_actions.c.platform == platform.value)
            & moderation_actions.c.author_id.in_(sorted(ids))
            for platform, ids in accounts.items()
        ]
        # Public comments are kept on the platforms that delete them after P10's period,
        # by the commenter's id there (those noted before platforms were named: Facebook).
        commented = [
            (COMMENT_PLATFORM == platform.value) & public_comments.c.author_id.in_(sorted(ids))
            for platform, ids in accounts.items()
        ]
        with self._engine.connect() as connection:
            return {
                "moderation": _rows(
                    connection,
                    moderation_actions,
                    or_(moderation_actions.c.conversation_id.in_(list(conversations)), *by_author),
                    moderation_actions.c.id,
                    self._keys,
                ),
                "public_comments": _rows(
                    connection,
                    public_comments,
                    or_(false(), *commented),
                    public_comments.c.created_at,
                    self._keys,
                ),
            }

    def _conversation(self, conversation_id: str) -> Dict[str, Any]:
        """One conversation's part of an export."""
        by_conversation = {
            "outbox": (outbox, outbox.c.id),
            "intake": (inbound_events, inbound_events.c.id),
            "repair_requests": (repair_requests, repair_requests.c.created_at),
            "follow_ups": (follow_ups, follow_ups.c.id),
            "identity_checks": (identity_attempts, identity_attempts.c.id),
            "privacy_notice": (privacy_notices, privacy_notices.c.queued_at),
            "surveys": (surveys, surveys.c.asked_at),
        }
        held: Dict[str, Any] = {
            "conversation_id": conversation_id,
            "events": self._tracker.events(conversation_id) if self._tracker else [],
            "handoffs": self._handoffs([conversation_id]),
        }
        with self._engine.connect() as connection:
            for name, (table, order) in by_conversation.items():
                held[name] = _rows(
                    connection,
                    table,
                    table.c.conversation_id == conversation_id,
                    order,
                    self._keys,
                )
        return held

    def _handoffs(self, conversation_ids: Sequence[str]) -> List[Dict[str, Any]]:
        with self._engine.connect() as connection:
            found = _rows(
                connection,
                handoffs,
                handoffs.c.conversation_id.in_(list(conversation_ids)),
                handoffs.c.created_at,
                self._keys,
            )
            for handoff in found:
                handoff["audit"] = _rows(
                    connection,
                    handoff_audit,
                    handoff_audit.c.handoff_id == handoff["id"],
                    handoff_audit.c.id,
                    self._keys,
                )
        return found

    def _console_audit(
        self, export: Mapping[str, Any], conversations: Iterable[str], subjects: Iterable[str]
    ) -> List[Dict[str, Any]]:
        """The console's audit entries about what `export` holds: erasures and exports of
        them, dead letters of theirs sent again or dismissed, moderation undone."""
        conversations = list(conversations)
        outbox_ids = [
            str(row["id"]) for c in export.get("conversations", ()) for row in c["outbox"]
        ]
        moderation_ids = [str(row["id"]) for row in export.get("moderation", ())]
        keyed = [*subjects, *(self._audit_key(c) for c in conversations)]
        about = or_(
            console_audit.c.subject.in_(keyed + conversations),
            console_audit.c.action.in_(OUTBOX_ACTIONS) & console_audit.c.subject.in_(outbox_ids),
            console_audit.c.action.in_(MODERATION_ACTIONS)
            & console_audit.c.subject.in_(moderation_ids),
        )
        with self._engine.connect() as connection:
            return _rows(connection, console_audit, about, console_audit.c.id, self._keys)

    # --- erasure -----------------------------------------------------------------

    def erase_conversation(self, conversation_id: str, by: str, now: datetime) -> Erasure:
        """Remove the conversation everywhere it is kept; audited under `by` with a
        keyed HMAC of its id. Returns what was removed, counted per place."""
        removed = self.remove_conversation(conversation_id, now, forget_account=True)
        self._record(
            by, now, ERASED_ACTION, self._audit_key(conversation_id), dict(removed.removed)
        )
        # Nor left in a SQLite store's write-ahead log (else the Rasa server's next clear).
        clear_write_ahead_log(self._engine)
        return removed

    def remove_conversation(
        self, conversation_id: str, now: datetime, forget_account: bool = False
    ) -> Erasure:
        """`erase_conversation` without its audit entry (the retention job audits only
        the erasures that removed something).

        The platform account itself (its links, the moderation log's copies of its id,
        its public comments' author) is forgotten only with `forget_account`, and then
        only once no other conversation of the account is held: on X one user id
        writes in public and in private, and a person who goes on talking keeps their
        links, and staff can still undo a block or follow of them (P7). Retention
        never forgets an account: it removes only what is older than its cut-off.
        """
        removed: Dict[str, int] = {}
        removed["tracker events"] = self._tracker.erase(conversation_id) if self._tracker else 0
        parsed = split_conversation_id(conversation_id)
        with self._engine.begin() as connection:
            ids = list(
                connection.execute(
                    select(handoffs.c.id).where(handoffs.c.conversation_id == conversation_id)
                ).scalars()
            )
            removed["handoff audit entries"] = strip_handoff_audit(connection, ids)
            removed["handoffs"] = _count(
                connection, delete(handoffs).where(handoffs.c.id.in_(ids)) if ids else None
            )
            removed["outbox messages"] = _count(
                connection, delete(outbox).where(outbox.c.conversation_id == conversation_id)
            )
            removed["intake records"] = _count(
                connection,
                update(inbound_events)
                .where(inbound_events.c.conversation_id == conversation_id)
                .values(
                    conversation_id="",
                    event=None,
                    last_error=None,
                    state=PROCESSED,
                    claimed_until=None,
                    processed_at=to_utc(now),
                ),
            )
            for name, table in (
                ("repair requests", repair_requests),
                ("follow-ups", follow_ups),
                ("privacy notices", privacy_notices),
                ("survey answers", surveys),
            ):
                removed[name] = _count(
                    connection, delete(table).where(table.c.conversation_id == conversation_id)
                )
            removed["moderation entries"] = _count(
                connection,
                update(moderation_actions)
                .where(moderation_actions.c.conversation_id == conversation_id)
                .values(conversation_id=None, reason=ERASED, author=None),
            )
            removed["identity checks"] = _count(
                connection,
                update(identity_attempts)
                .where(identity_attempts.c.conversation_id == conversation_id)
                .values(conversation_id="", account=""),
            )
            if (
                forget_account
                and parsed is not None
                and not self._other_conversations_held(connection, conversation_id)
            ):
                removed.update(_forget_account(connection, parsed[0], parsed[2]))
        return Erasure(conversation_id, removed)

    def _other_conversations_held(self, connection: Connection, conversation_id: str) -> bool:
        """Whether the account of `conversation_id` has another conversation still held
        (the same id on the platform's other surface): its events in the tracker store,
        or a handoff, outbox message or moderation entry of it."""
        parsed = split_conversation_id(conversation_id)
        if parsed is None:
            return False
        platform, _surface, account = parsed
        others = [
            conversation_id_of(platform, surface, account)
            for surface in Surface
            if conversation_id_of(platform, surface, account) != conversation_id
        ]
        if self._tracker is not None and any(
            self._tracker.last_activity(other) is not None for other in others
        ):
            return True
        for table in (handoffs, outbox, moderation_actions, repair_requests, follow_ups):
            found = connection.execute(
                select(table.c.conversation_id).where(table.c.conversation_id.in_(others)).limit(1)
            ).first()
            if found is not None:
                return True
        return False

    def record_erasure(self, erasure: Erasure, by: str, now: datetime) -> None:
        """Audit an erasure made with `remove_conversation`."""
        self._record(
            by, now, ERASED_ACTION, self._audit_key(erasure.conversation_id), dict(erasure.removed)
        )

    # --- audit -------------------------------------------------------------------

    def _audit_key(self, value: str) -> str:
        return self._keys.lookup(value, AUDIT_PURPOSE)

    def _record(
        self, by: str, now: datetime, action: str, subject: str, details: Mapping[str, Any]
    ) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                console_audit.insert().values(
                    at=to_utc(now),
                    staff=by,
                    action=action,
                    subject=subject,
                    details=json.dumps(dict(details), sort_keys=True),
                )
            )


def tracker_of(endpoints_file: Path, keys: DataKeys) -> TrackerEvents | None:
    """The tracker store's events `endpoints_file` configures, read with `keys`; None
    when it configures no SQL tracker store (then there are no conversations to read)."""
    try:
        return TrackerEvents(tracker_engine(endpoints_file), keys)
    except NoTrackerStore:
        return None


def subject_rights(engine: Engine, keys: DataKeys, endpoints_file: Path) -> SubjectRights:
    """Subject rights over the store `engine` and the tracker store `endpoints_file` names."""
    return SubjectRights(engine, keys, tracker_of(endpoints_file, keys))


def strip_handoff_audit(connection: Connection, handoff_ids: Sequence[str]) -> int:
    """Drop the details (conversation ids, surfaces) of the handoffs' audit entries,
    keeping who did what and when; returns how many entries were stripped."""
    if not handoff_ids:
        return 0
    return _count(
        connection,
        update(handoff_audit)
        .where(handoff_audit.c.handoff_id.in_(list(handoff_ids)))
        .values(details=None),
    )


def _forget_account(connection: Connection, platform: Platform, account: str) -> Dict[str, int]:
    """Remove the platform account's id wherever the store keeps it, in clear or
    encrypted: its links to its other accounts (both sides), the moderation log's
    `author` and any `target` naming it, the public comments' author.

    The moderation log keeps each entry's action and keyed `author_id`, so the
    person's strikes still count and a block stays on record (P7); an entry from
    before ids were keyed has its plain id keyed. Once done nothing matches: erasing
    again counts nothing.
    """
    log = moderation_actions
    on_platform = log.c.platform == platform.value
    # Written through the Keyed type, so the plain id left from before is keyed.
    rekeyed = _count(
        connection,
        update(log)
        .where(on_platform, type_coerce(log.c.author_id, String) == account)
        .values(author_id=account),
    )
    stripped = _count(
        connection,
        update(log)
        .where(
            on_platform,
            or_((log.c.author_id == account) & log.c.author.is_not(None), log.c.target == account),
        )
        .values(author=None, target=case((log.c.target == account, None), else_=log.c.target)),
    )
    removed = {
        "linked accounts": _count(
            connection,
            delete(linked_accounts).where(
                linked_accounts.c.platform == platform.value,
                or_(
                    linked_accounts.c.public_id == account, linked_accounts.c.private_id == account
                ),
            ),
        ),
        "moderation entries naming the account": rekeyed + stripped,
    }
    kit = KITS.get(platform)
    if kit is not None and kit.keeps_comments:
        # Comments are kept on these platforms (P10), by the commenter's id there.
        removed["public comments"] = _count(
            connection,
            update(public_comments)
            .where(COMMENT_PLATFORM == platform.value)
            .where(public_comments.c.author_id == account)
            .values(author_id=None),
        )
    return removed


def _accounts(conversations: Iterable[str]) -> Dict[Platform, set[str]]:
    """The platform accounts the conversations are with, per platform."""
    accounts: Dict[Platform, set[str]] = {}
    for parsed in map(split_conversation_id, conversations):
        if parsed is not None:
            accounts.setdefault(parsed[0], set()).add(parsed[2])
    return accounts


def _count(connection: Connection, statement: Any) -> int:
    if statement is None:
        return 0
    return max(connection.execute(statement).rowcount or 0, 0)


def _rows(
    connection: Connection, table: Table, where: Any, order: Any, keys: DataKeys
) -> List[Dict[str, Any]]:
    rows = connection.execute(select(table).where(where).order_by(order)).all()
    return [_plain(row._mapping, table, keys) for row in rows]


def _plain(row: Mapping[str, Any], table: Table, keys: DataKeys) -> Dict[str, Any]:
    """A row as JSON can hold it: times in ISO 8601 (UTC), JSON columns parsed, keyed
    identifiers and security answers' digests left out."""
    out: Dict[str, Any] = {}
    for column in table.columns:
        name = column.name
        if name in NEVER_EXPORTED or isinstance(column.type, Keyed):
            continue
        out[name] = _value(row[name], name, keys)
    return out


def _value(value: Any, name: str, keys: DataKeys) -> Any:
    if isinstance(value, datetime):
        return as_aware(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        if value.startswith("hmac:"):
            return None
        if value.startswith("fernet:"):
            try:
                value = keys.decrypt(value)
            except Undecryptable:
                return "(sealed under a key no longer held)"
        if name in JSON_COLUMNS:
            try:
                return json.loads(value)
            except ValueError:
                return value
    return value


def _sessions(events: Sequence[Dict[str, Any]]) -> List[tuple[float, float, List[Dict[str, Any]]]]:
    """The conversation's events split into Rasa's sessions, each with the time it
    began and the time the next began (the first from the start of time, the last to
    its end). A session begins with `action_session_start` and its `session_started`."""
    split: List[List[Dict[str, Any]]] = [[]]
    for event in events:
        # The two events that open a session make one opening, not two sessions.
        opening = all(_starts_session(e) for e in split[-1])
        if _starts_session(event) and not opening:
            split.append([])
        split[-1].append(event)
    begun = [float("-inf")]
    for session in split[1:]:
        begun.append(float(session[0].get("timestamp") or 0))
    ended = [*begun[1:], float("inf")]
    return [(b, e, session) for b, e, session in zip(begun, ended, split, strict=True) if session]


def _starts_session(event: Mapping[str, Any]) -> bool:
    return event.get("event") == "session_started" or (
        event.get("event") == "action" and event.get("name") == "action_session_start"
    )


def _holds_anything(conversation: Mapping[str, Any]) -> bool:
    return any(value for key, value in conversation.items() if key != "conversation_id")


def export_json(export: Mapping[str, Any]) -> str:
    """The export as the file or download gives it: indented JSON, UTF-8."""
    return json.dumps(export, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
