"""Subject rights (P9): everything held about a tenant exported, decrypted; a conversation
erased everywhere it is kept, the erasure and each export on record."""

import hashlib
import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from bot.events import InboundEvent, Operation, Platform
from bot.handoff.audit import AuditEntry, HandoffAudit
from bot.handoff.handoffs import Conversation, HandoffRepository, Reason, Summary, plan
from bot.intake import IntakeStore
from bot.keys import DataKeys
from bot.moderation.log import Action, ModerationLog, Subject
from bot.outbox import Author, Outbox
from bot.protection.conversations import TrackerEvents, engine_for, tracker_events, tracker_metadata
from bot.protection.subject import SubjectRights, UnknownSubject, parse_account
from bot.repairs.requests import RepairRequests, new_request
from bot.repairs.triage import Photos
from bot.screening.follow_ups import Awaits, FollowUps
from bot.store import connect, console_audit, identity_attempts, tenancies
from bot.tenancy.records import TenancyRepository, load_tenancies
from tests.helpers import CALENDAR, DEMO_TENANCIES, TEST_WORK_FACTOR

NOW = datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc)
PUBLIC_ID = "fb-commenter-5521"
PSID = "psid-88123"
PRIVATE = f"facebook-private-{PSID}"
PUBLIC = f"facebook-public-{PUBLIC_ID}"
OTHER = "twitter-private-x-777"
# What the tenant told us: none of it may be left anywhere once erased.
PHONE = "07700 900123"
BIRTH = "14/03/1985"
ADDRESS = "12 Acacia Road"
ANSWER = "Winifred Ashdown-Pryce"
DETAILS = (PHONE, BIRTH, ADDRESS, ANSWER)


@pytest.fixture()
def world(tmp_path):
    return make_world(tmp_path)


def make_world(tmp_path, keys=None):
    """A store and a tracker store in `tmp_path`, sharing one set of keys."""
    keys = keys or DataKeys.ephemeral()
    store_file, tracker_file = tmp_path / "assistant.db", tmp_path / "tracker.db"
    engine = connect(f"sqlite:///{store_file}", keys)
    tracker = engine_for(f"sqlite:///{tracker_file}")
    tracker_metadata.create_all(tracker)
    events = TrackerEvents(tracker, keys)
    return {
        "keys": keys,
        "engine": engine,
        "tracker": tracker,
        "events": events,
        "rights": SubjectRights(engine, keys, events),
        "files": (store_file, tracker_file),
    }


def said(world, sender, text, at=NOW, event="user"):
    data = json.dumps({"event": event, "text": text, "timestamp": at.timestamp()})
    with world["tracker"].begin() as connection:
        connection.execute(
            insert(tracker_events).values(
                sender_id=sender,
                type_name=event,
                timestamp=at.timestamp(),
                data=world["keys"].encrypt(data),
            )
        )


def message_id(conversation):
    """The platform's id of a message in `conversation` (it names no one)."""
    return "m_" + hashlib.sha256(conversation.encode()).hexdigest()[:16]


def message(author, text, event_id, surface="private", at=NOW):
    return InboundEvent(Platform.FACEBOOK, "message", event_id, surface, author, text, at)


def a_conversation_everywhere(world, conversation=PRIVATE, author=PSID, tenancy_id=None):
    """A conversation with rows in every place one is kept, each holding details."""
    engine = world["engine"]
    said(world, conversation, f"my number is {PHONE}, born {BIRTH}")
    said(world, conversation, f"I live at {ADDRESS}", event="bot")
    handoff = plan(
        Reason.REQUEST_HUMAN,
        Conversation(conversation, "facebook", "private", author),
        NOW,
        CALENDAR,
        "Customer Experience",
        Summary("request_human", "request_human", f"call me on {PHONE}"),
    )
    HandoffRepository(engine).add(handoff)
    HandoffAudit(engine).record(
        AuditEntry(NOW, "Cara", "reply", handoff.id, {"conversation_id": conversation})
    )
    Outbox(engine).enqueue(
        conversation,
        "facebook",
        Operation.MESSENGER_SEND,
        author,
        NOW,
        text=f"We have {ADDRESS} on file",
        author=Author.STAFF,
    )
    IntakeStore(engine).accept([message(author, f"it's {ANSWER}", message_id(conversation))], NOW)
    RepairRequests(engine).add(
        new_request(conversation, tenancy_id, "boiler broken", ADDRESS, BIRTH, True, Photos(), NOW)
    )
    FollowUps(engine, lambda platform, author_id: {author_id}).promise(
        "facebook", author, conversation, Awaits.ANTISOCIAL_BEHAVIOUR, NOW, f"key-{conversation}"
    )
    ModerationLog(engine, Outbox(engine)).record(
        NOW,
        Subject("facebook", author, conversation, target="comment-1"),
        Action.HIDE,
        f"personal details in a public comment: {PHONE}",
        detail_kinds=("phone",),
    )
    with engine.begin() as connection:
        connection.execute(
            insert(identity_attempts).values(
                at=NOW,
                platform="facebook",
                account=f"facebook:{author}",
                conversation_id=conversation,
                tenancy_id=tenancy_id,
                outcome="verified",
            )
        )
    return handoff


def raw_bytes(world):
    """The database files as they are on disk, and every stored value decrypted: what
    someone holding both the files and the keys could read."""
    held = [path.read_bytes() for path in world["files"]]
    for path in world["files"]:
        with sqlite3.connect(path) as database:
            names = database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            for (name,) in names.fetchall():
                for row in database.execute(f'SELECT * FROM "{name}"'):
                    held += [
                        world["keys"].decrypt(value).encode()
                        for value in row
                        if isinstance(value, str) and value.startswith("fernet:")
                    ]
    return b"\n".join(held)


def test_an_account_is_given_as_platform_and_id():
    assert parse_account("facebook:123") == (Platform.FACEBOOK, "123")
    assert parse_account("twitter: x-9 ") == (Platform.TWITTER, "x-9")
    for wrong in ("123", "rest:1", "myspace:1", "facebook:"):
        with pytest.raises(UnknownSubject):
            parse_account(wrong)


def test_an_accounts_export_holds_its_linked_conversations_decrypted(world):
    ModerationLog(world["engine"], Outbox(world["engine"])).link("facebook", PUBLIC_ID, PSID)
    handoff = a_conversation_everywhere(world)
    said(world, PUBLIC, "where is my repair?")
    a_conversation_everywhere(world, OTHER, "x-777")

    export = world["rights"].export_account(Platform.FACEBOOK, PUBLIC_ID, "Ada", NOW)

    assert export["subject"]["linked_accounts"] == sorted(
        [f"facebook:{PSID}", f"facebook:{PUBLIC_ID}"]
    )
    by_id = {c["conversation_id"]: c for c in export["conversations"]}
    assert set(by_id) == {PRIVATE, PUBLIC}
    private = by_id[PRIVATE]
    assert [e["text"] for e in private["events"]] == [
        f"my number is {PHONE}, born {BIRTH}",
        f"I live at {ADDRESS}",
    ]
    assert by_id[PUBLIC]["events"][0]["text"] == "where is my repair?"
    assert private["handoffs"][0]["id"] == handoff.id
    assert PHONE in private["handoffs"][0]["summary"]["words"]
    assert private["handoffs"][0]["audit"][0]["staff"] == "Cara"
    assert private["outbox"][0]["text"] == f"We have {ADDRESS} on file"
    assert private["intake"][0]["event"]["text"] == f"it's {ANSWER}"
    assert private["repair_requests"][0]["where_in_home"] == ADDRESS
    assert private["follow_ups"][0]["awaits"] == "antisocial_behaviour"
    assert private["identity_checks"][0]["outcome"] == "verified"
    assert PHONE in export["moderation"][0]["reason"]
    # Another tenant's conversation is not in it.
    assert "x-777" not in json.dumps(export)


def test_a_tenancys_export_has_its_record_and_conversations_but_no_answer_digests(world):
    repository = TenancyRepository(world["engine"])
    load_tenancies(DEMO_TENANCIES, repository, work_factor=TEST_WORK_FACTOR)
    with world["engine"].connect() as connection:
        tenancy_id = connection.execute(
            select(tenancies.c.id).where(tenancies.c.reference == "TEN-204817")
        ).scalar_one()
    a_conversation_everywhere(world, tenancy_id=tenancy_id)

    export = world["rights"].export_tenancy("ten204817", "Ada", NOW)

    record = export["tenancy"]
    assert record["reference"] == "TEN-204817"
    assert record["address_line"] == "14 Elm Road" and record["postcode"] == "LS6 2AB"
    assert {p["role"] for p in record["people"]} == {"tenant", "authorised_contact"}
    assert all("answers_digest" not in p for p in record["people"])
    assert "answers_scheme" not in record
    assert [r["job_number"] for r in record["repairs"]] == ["R-30117", "R-29980"]
    assert len(record["rent_payments"]) == 2
    # Kept encrypted (P9), exported as they are.
    assert record["rent_balance_pence"] == 12345
    assert [(p["amount_pence"], p["method"]) for p in record["rent_payments"]] == [
        (9550, "Direct Debit"),
        (9550, "Direct Debit"),
    ]
    assert record["repairs"][0]["description"] == "Leaking kitchen tap"
    assert [p["relationship"] for p in record["people"]] == [None, "son"]
    assert export["identity_checks"][0]["conversation_id"] == PRIVATE
    [conversation] = export["conversations"]
    assert conversation["conversation_id"] == PRIVATE
    assert conversation["events"][0]["text"] == f"my number is {PHONE}, born {BIRTH}"
    with pytest.raises(UnknownSubject):
        world["rights"].export_tenancy("TEN-999999", "Ada", NOW)


def test_after_erasure_the_raw_databases_hold_none_of_the_conversations_details(world):
    a_conversation_everywhere(world)
    said(world, OTHER, "a message that stays")
    assert any(detail.encode() in raw_bytes(world) for detail in DETAILS)

    erasure = world["rights"].erase_conversation(PRIVATE, "Ada", NOW)

    assert erasure.removed["tracker events"] == 2
    for place in (
        "handoffs",
        "handoff audit entries",
        "outbox messages",
        "intake records",
        "repair requests",
        "follow-ups",
        "moderation entries",
        "identity checks",
    ):
        assert erasure.removed[place] == 1, place
    held = raw_bytes(world)
    for detail in (*DETAILS, PRIVATE):
        assert detail.encode() not in held, detail
    assert world["events"].events(PRIVATE) == []
    assert world["events"].events(OTHER)[0]["text"] == "a message that stays"
    export = world["rights"].export_account(Platform.FACEBOOK, PSID, "Ada", NOW)
    assert export["conversations"] == [] and export["moderation"][0]["reason"] == "erased (P9)"


def test_a_redelivered_webhook_is_still_not_handled_again_after_erasure(world):
    a_conversation_everywhere(world)
    world["rights"].erase_conversation(PRIVATE, "Ada", NOW)

    again = IntakeStore(world["engine"]).accept(
        [message(PSID, f"it's {ANSWER}", message_id(PRIVATE))], NOW + timedelta(minutes=5)
    )

    assert again == []
    assert IntakeStore(world["engine"]).claim(NOW + timedelta(minutes=5)) == []


def test_erasing_twice_is_harmless_and_each_is_on_record_without_the_id(world):
    a_conversation_everywhere(world)
    rights = world["rights"]

    first = rights.erase_conversation(PRIVATE, "Ada", NOW)
    second = rights.erase_conversation(PRIVATE, "Ben", NOW + timedelta(minutes=1))

    assert first.total > 0 and second.total == 0
    with world["engine"].connect() as connection:
        entries = connection.execute(select(console_audit).order_by(console_audit.c.id)).all()
    assert [(e.staff, e.action) for e in entries] == [
        ("Ada", "conversation_erased"),
        ("Ben", "conversation_erased"),
    ]
    hmac = world["keys"].lookup(PRIVATE, "subject-rights")
    assert {e.subject for e in entries} == {hmac}
    assert PSID not in " ".join(f"{e.subject} {e.details}" for e in entries)
    assert json.loads(entries[0].details)["outbox messages"] == 1


def test_exports_are_on_record_and_show_the_erasures_of_the_subjects_conversations(world):
    a_conversation_everywhere(world)
    world["rights"].erase_conversation(PRIVATE, "Ada", NOW)

    export = world["rights"].export_account(Platform.FACEBOOK, PSID, "Ben", NOW)

    assert [(e["staff"], e["action"]) for e in export["console_audit"]] == [
        ("Ada", "conversation_erased")
    ]
    with world["engine"].connect() as connection:
        latest = connection.execute(
            select(console_audit).order_by(console_audit.c.id.desc())
        ).first()
    assert (latest.staff, latest.action) == ("Ben", "subject_exported")
    assert PSID not in (latest.subject or "")
