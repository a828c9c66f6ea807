"""Subject rights (P9): everything held about a tenant exported, decrypted; a conversation
erased everywhere it is kept, the erasure and each export on record."""

import hashlib
import json
import re
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text

from bot.events import InboundEvent, Operation, Platform
from bot.feedback.surveys import Answer, Occasion, Surveys
from bot.handoff.audit import AuditEntry, HandoffAudit
from bot.handoff.handoffs import Conversation, HandoffRepository, Reason, Summary, plan
from bot.intake import IntakeStore
from bot.keys import DataKeys, Undecryptable
from bot.moderation.log import Action, ModerationLog, NotUndoable, Subject
from bot.outbox import Author, Outbox
from bot.protection.conversations import TrackerEvents, engine_for, tracker_events, tracker_metadata
from bot.protection.notice import PrivacyNotices
from bot.protection.subject import SubjectRights, UnknownSubject, parse_account
from bot.repairs.requests import RepairRequests, new_request
from bot.repairs.triage import Photos
from bot.screening.follow_ups import Awaits, FollowUps
from bot.store import connect, console_audit, identity_attempts, public_comments, tenancies
from bot.tenancy.records import TenancyRepository, load_tenancies
from tests.helpers import CALENDAR, DEMO_TENANCIES, TEST_WORK_FACTOR, on_disk

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
    PrivacyNotices(engine).note_queued("facebook", author, conversation, NOW)
    surveys = Surveys(engine)
    asked = Occasion(f"o-{conversation}", conversation, "facebook", author, "Repairs", NOW)
    surveys.answer(surveys.record_asked(asked, NOW), Answer(1, f"ring {PHONE}"), NOW)
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
    someone holding both the files and the keys could read (a token left in a free
    page included)."""
    held = [on_disk(path) for path in world["files"]]
    for token in set(re.findall(rb"fernet:[A-Za-z0-9_\-]+=*", b"".join(held))):
        try:
            held.append(world["keys"].decrypt(token.decode()).encode())
        except Undecryptable:
            pass  # a token cut short in a free page: nothing to read
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
    [survey] = private["surveys"]
    assert (survey["rating"], survey["words"]) == (1, f"ring {PHONE}")
    [notice] = private["privacy_notice"]
    assert notice["queued_at"].startswith(NOW.isoformat()[:19])
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
    # People come in the order of their ids, which say nothing of who they are.
    assert sorted(str(p["relationship"]) for p in record["people"]) == ["None", "son"]
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
        "privacy notices",
        "survey answers",
    ):
        assert erasure.removed[place] == 1, place
    # Told again in the next private conversation, as a newcomer is (P9).
    assert not PrivacyNotices(world["engine"]).queued("facebook", PSID)
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


STRANGER = "facebook-private-psid-stranger-404"


def a_tenancy(world, reference="TEN-204817"):
    load_tenancies(DEMO_TENANCIES, TenancyRepository(world["engine"]), work_factor=TEST_WORK_FACTOR)
    with world["engine"].connect() as connection:
        return connection.execute(
            select(tenancies.c.id).where(tenancies.c.reference == reference)
        ).scalar_one()


def a_check(world, conversation, account, tenancy_id, outcome, person_id=None):
    with world["engine"].begin() as connection:
        connection.execute(
            insert(identity_attempts).values(
                at=NOW,
                platform="facebook",
                account=f"facebook:{account}",
                conversation_id=conversation,
                tenancy_id=tenancy_id,
                person_id=person_id,
                outcome=outcome,
            )
        )


def test_a_tenancys_export_leaves_out_a_strangers_failed_checks_on_it(world):
    tenancy_id = a_tenancy(world)
    a_conversation_everywhere(world, tenancy_id=tenancy_id)
    # Someone else tried to pass as the tenant, and failed until locked.
    said(world, STRANGER, "my tenancy is TEN-204817, I am Mrs Oddbody-Vance")
    for outcome in ("failed", "failed", "failed_and_locked"):
        a_check(world, STRANGER, "psid-stranger-404", tenancy_id, outcome)

    export = world["rights"].export_tenancy("TEN-204817", "Ada", NOW)

    assert [c["conversation_id"] for c in export["conversations"]] == [PRIVATE]
    text = json.dumps(export)
    assert "psid-stranger-404" not in text and "Oddbody-Vance" not in text
    # The tenant still sees that their tenancy was tried, not who tried.
    assert sorted(c["outcome"] for c in export["identity_checks"]) == [
        "failed",
        "failed",
        "failed_and_locked",
        "verified",
    ]


def test_a_tenancys_export_has_the_moderation_entries_of_its_peoples_accounts(world):
    tenancy_id = a_tenancy(world)
    a_conversation_everywhere(world, tenancy_id=tenancy_id)
    log = ModerationLog(world["engine"], Outbox(world["engine"]))
    log.record(NOW, Subject("facebook", PSID), Action.STRIKE, "a strike in another thread")
    log.record(NOW, Subject("facebook", "psid-stranger-404"), Action.STRIKE, "someone else's")

    export = world["rights"].export_tenancy("TEN-204817", "Ada", NOW)

    reasons = sorted(entry["reason"] for entry in export["moderation"])
    assert reasons == [
        "a strike in another thread",
        f"personal details in a public comment: {PHONE}",
    ]
    assert "someone else's" not in json.dumps(export)


def test_an_accounts_export_has_its_public_comments(world):
    ModerationLog(world["engine"], Outbox(world["engine"])).link("facebook", PUBLIC_ID, PSID)
    a_conversation_everywhere(world)
    with world["engine"].begin() as connection:
        for comment, author in (("post-1_c-1", PUBLIC_ID), ("post-1_c-2", "fb-someone-else")):
            connection.execute(
                insert(public_comments).values(
                    comment_id=comment,
                    post_id="post-1",
                    author_id=author,
                    by_page=0,
                    created_at=NOW,
                )
            )

    export = world["rights"].export_account(Platform.FACEBOOK, PSID, "Ada", NOW)

    assert [c["comment_id"] for c in export["public_comments"]] == ["post-1_c-1"]
    assert "fb-someone-else" not in json.dumps(export)


def test_after_erasure_nothing_names_the_account_but_its_strikes_still_count(world):
    log = ModerationLog(world["engine"], Outbox(world["engine"]))
    log.link("facebook", PUBLIC_ID, PSID)
    a_conversation_everywhere(world)
    log.record(NOW, Subject("facebook", PSID), Action.STRIKE, "a strike")
    log.record(NOW, Subject("facebook", PSID, target=PSID), Action.BLOCK, "three strikes")
    with world["engine"].begin() as connection:
        # A strike logged before ids were keyed: the id in clear.
        connection.execute(
            text(
                "INSERT INTO moderation_actions (at, platform, author_id, action, reason, state)"
                " VALUES (:at, 'facebook', :author, 'strike', 'an old strike', 'done')"
            ),
            {"at": NOW - timedelta(days=3), "author": PSID},
        )
    assert len(log.strikes("facebook", PSID)) == 2
    assert PSID.encode() in raw_bytes(world)

    world["rights"].erase_conversation(PRIVATE, "Ada", NOW)

    held = raw_bytes(world)
    for gone in (*DETAILS, PRIVATE, PSID):
        assert gone.encode() not in held, gone
    # P7: the person's strikes still count against them, the block is still on record.
    assert len(log.strikes("facebook", PSID)) == 2
    assert "block" in {e.action.value for e in log.entries(platform="facebook")}
    # Nobody is left to unblock: undoing it would send the platform a keyed id.
    block = next(e for e in log.entries(platform="facebook") if e.action is Action.BLOCK)
    assert block.author_id is None and not block.undoable
    with pytest.raises(NotUndoable):
        log.undo(block.id, "Ada", NOW)
    export = world["rights"].export_account(Platform.FACEBOOK, PUBLIC_ID, "Ada", NOW)
    assert export["subject"]["linked_accounts"] == [f"facebook:{PUBLIC_ID}"]


def test_erasing_a_public_conversation_leaves_no_comment_naming_its_author(world):
    ModerationLog(world["engine"], Outbox(world["engine"])).link("facebook", PUBLIC_ID, PSID)
    said(world, PUBLIC, f"call me on {PHONE}")
    with world["engine"].begin() as connection:
        connection.execute(
            insert(public_comments).values(
                comment_id="post-1_c-1",
                post_id="post-1",
                author_id=PUBLIC_ID,
                by_page=0,
                created_at=NOW,
            )
        )
    assert PUBLIC_ID.encode() in raw_bytes(world)

    erasure = world["rights"].erase_conversation(PUBLIC, "Ada", NOW)

    held = raw_bytes(world)
    for gone in (PHONE, PUBLIC, PUBLIC_ID):
        assert gone.encode() not in held, gone
    assert erasure.removed["public comments"] == 1
    assert world["rights"].erase_conversation(PUBLIC, "Ada", NOW).total == 0


def test_erasing_one_of_two_conversations_of_an_account_leaves_the_others_entries(world):
    # On X one user id writes in public and in private; they ask for their public
    # thread to be erased and go on talking in private.
    said(world, "twitter-public-x-1", f"@housing call me on {PHONE}")
    said(world, "twitter-private-x-1", "about my rent")
    log = ModerationLog(world["engine"], Outbox(world["engine"]))
    log.record(
        NOW,
        Subject("twitter", "x-1", "twitter-public-x-1", target="tweet-1"),
        Action.HIDE,
        f"personal details in public: {PHONE}",
    )
    follow = log.record(
        NOW,
        Subject("twitter", "x-1", "twitter-private-x-1", target="x-1"),
        Action.FOLLOW,
        "so that they can send us a direct message (P8)",
    )

    world["rights"].erase_conversation("twitter-public-x-1", "Ada", NOW)

    assert PHONE.encode() not in raw_bytes(world)
    kept = log.get(follow)
    assert kept.conversation_id == "twitter-private-x-1" and kept.target == "x-1"
    assert kept.reason == "so that they can send us a direct message (P8)" and kept.undoable
    assert world["events"].events("twitter-private-x-1")[0]["text"] == "about my rent"
    # Once the last of the account's conversations is erased, nothing names it.
    world["rights"].erase_conversation("twitter-private-x-1", "Ada", NOW)
    assert b"x-1" not in raw_bytes(world)
    assert not log.get(follow).undoable


def test_a_contact_on_two_tenancies_gets_only_each_tenancys_session_in_its_export(world):
    # A support worker authorised on two tenancies asks about one, then, in a later
    # session of the same conversation, about the other (GDPR Art. 15(4)).
    first, second = a_tenancy(world, "TEN-204817"), a_tenancy(world, "TEN-318552")
    worker = "psid-support-worker-31"
    conversation = f"facebook-private-{worker}"
    later = NOW + timedelta(hours=3)
    said(world, conversation, "", at=NOW, event="session_started")
    said(world, conversation, "the boiler at Elm Road is leaking", at=NOW + timedelta(minutes=1))
    said(world, conversation, "", at=later, event="session_started")
    said(world, conversation, "Mr Quennell-Abbot's rent is late", at=later + timedelta(minutes=1))
    for tenancy_id, at in ((first, NOW), (second, later)):
        with world["engine"].begin() as connection:
            connection.execute(
                insert(identity_attempts).values(
                    at=at + timedelta(minutes=2),
                    platform="facebook",
                    account=f"facebook:{worker}",
                    conversation_id=conversation,
                    tenancy_id=tenancy_id,
                    outcome="verified",
                )
            )
    ModerationLog(world["engine"], Outbox(world["engine"])).record(
        later, Subject("facebook", worker, conversation), Action.STRIKE, "swore at the other flat"
    )

    one = json.dumps(world["rights"].export_tenancy("TEN-204817", "Ada", later))
    other = json.dumps(world["rights"].export_tenancy("TEN-318552", "Ada", later))

    assert "the boiler at Elm Road is leaking" in one
    assert "Quennell-Abbot" not in one and "swore at the other flat" not in one
    assert "Quennell-Abbot" in other
    assert "Elm Road is leaking" not in other and "swore at the other flat" not in other


def test_an_instagram_commenters_comments_are_in_their_export_and_erased_with_them(world):
    # Instagram's comments are kept under P10 too, by the commenter's id there; a
    # Facebook commenter with the same id is someone else.
    commenter = "17841455500012"
    conversation = f"instagram-public-{commenter}"
    said(world, conversation, "how do i pay my rent")
    with world["engine"].begin() as connection:
        for comment, platform in (("17895001", "instagram"), ("post-9_c-9", "facebook")):
            connection.execute(
                insert(public_comments).values(
                    comment_id=comment,
                    post_id="media-1",
                    author_id=commenter,
                    by_page=0,
                    created_at=NOW,
                    platform=platform,
                )
            )

    export = world["rights"].export_account(Platform.INSTAGRAM, commenter, "Ada", NOW)
    assert [c["comment_id"] for c in export["public_comments"]] == ["17895001"]

    erasure = world["rights"].erase_conversation(conversation, "Ada", NOW)
    assert erasure.removed["public comments"] == 1
    with world["engine"].connect() as connection:
        left = dict(
            connection.execute(
                select(public_comments.c.comment_id, public_comments.c.author_id)
            ).all()
        )
    assert left == {"17895001": None, "post-9_c-9": commenter}
