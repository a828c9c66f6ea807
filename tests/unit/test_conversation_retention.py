"""Conversation data is removed once older than the period association.yml sets (P9):
two years unless changed; the job is safe to run twice, and on two machines at once."""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.association import ConfigError, load_association, parse_association
from bot.handoff.handoffs import HandoffRepository, State
from bot.intake import IntakeStore
from bot.moderation.log import Action, ModerationLog, Subject
from bot.outbox import PENDING, Outbox
from bot.protection.retention import ConversationRetention
from bot.protection.subject import SubjectRights
from bot.store import console_audit, identity_attempts
from tests.unit.test_subject_rights import (
    ADDRESS,
    DETAILS,
    OTHER,
    PRIVATE,
    PSID,
    PUBLIC,
    PUBLIC_ID,
    a_conversation_everywhere,
    make_world,
    raw_bytes,
    said,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc)
TWO_YEARS_ON = NOW + timedelta(days=2 * 365 + 2)


@pytest.fixture()
def world(tmp_path):
    return make_world(tmp_path)


def job(world, months=24):
    return ConversationRetention(world["engine"], world["rights"], world["events"], months)


def settled(world, handoff, at=NOW):
    """The handoff closed and the staff reply sent: nothing holds the conversation back."""
    HandoffRepository(world["engine"]).move(handoff.id, State.CLOSED, at, "Cara")
    outbox = Outbox(world["engine"])
    for message in outbox.messages(PENDING):
        outbox.sent(message.id, at, "m-1")


def test_two_years_is_the_default_and_the_file_sets_it():
    assert load_association(ROOT / "association.yml").conversation_retention_months == 24
    raw = yaml.safe_load((ROOT / "association.yml").read_text())
    raw.pop("data_protection")
    assert parse_association(raw).conversation_retention_months == 24
    raw["data_protection"] = {"remove_conversations_after_months": 6}
    assert parse_association(raw).conversation_retention_months == 6


@pytest.mark.parametrize("months", [0, -3, "two years", 1.5, True, None])
def test_a_period_that_is_not_a_whole_number_of_months_is_refused(months):
    raw = yaml.safe_load((ROOT / "association.yml").read_text())
    raw["data_protection"] = {"remove_conversations_after_months": months}
    with pytest.raises(ConfigError, match="remove_conversations_after_months"):
        parse_association(raw)


def test_a_conversation_quiet_for_longer_than_the_period_is_erased_everywhere(world):
    settled(world, a_conversation_everywhere(world))
    said(world, OTHER, "still talking", at=TWO_YEARS_ON - timedelta(days=1))

    run = job(world).run(TWO_YEARS_ON)

    assert run.conversations == 1
    held = raw_bytes(world)
    for detail in (*DETAILS, PRIVATE):
        assert detail.encode() not in held, detail
    assert world["events"].events(OTHER)[0]["text"] == "still talking"
    with world["engine"].connect() as connection:
        entry = connection.execute(select(console_audit)).one()
    assert (entry.staff, entry.action) == ("retention job", "conversation_erased")
    assert PSID not in entry.subject


def test_nothing_newer_than_the_period_is_touched(world):
    handoff = a_conversation_everywhere(world)

    run = job(world).run(TWO_YEARS_ON - timedelta(days=10))

    assert run.total == 0
    assert len(world["events"].events(PRIVATE)) == 2
    assert HandoffRepository(world["engine"]).get(handoff.id) is not None


def test_old_records_go_while_the_conversation_goes_on(world):
    settled(world, a_conversation_everywhere(world))
    said(world, PRIVATE, "hello again", at=TWO_YEARS_ON - timedelta(hours=1))
    IntakeStore(world["engine"]).processed(1, NOW)
    with world["engine"].connect() as connection:
        assert connection.execute(select(identity_attempts)).all()

    run = job(world).run(TWO_YEARS_ON)

    assert run.conversations == 0
    assert [e["text"] for e in world["events"].events(PRIVATE)] == ["hello again"]
    for place in (
        "closed handoffs",
        "outbox messages",
        "intake records",
        "repair requests",
        "identity checks",
        "moderation entries",
    ):
        assert run.removed[place] == 1, place
    assert ADDRESS.encode() not in raw_bytes(world)


def test_an_open_handoff_stays_however_old(world):
    handoff = a_conversation_everywhere(world)
    said(world, PRIVATE, "still waiting", at=TWO_YEARS_ON - timedelta(hours=1))

    job(world).run(TWO_YEARS_ON)

    assert HandoffRepository(world["engine"]).get(handoff.id) is not None


def test_the_period_is_the_configured_one(world):
    settled(world, a_conversation_everywhere(world))

    assert job(world, months=6).run(NOW + timedelta(days=150)).conversations == 0
    assert job(world, months=6).run(NOW + timedelta(days=200)).conversations == 1


def test_running_twice_or_on_two_machines_removes_nothing_twice(world):
    settled(world, a_conversation_everywhere(world))
    ModerationLog(world["engine"], Outbox(world["engine"])).record(
        NOW, Subject("twitter", "x-1", target="x-1"), Action.BLOCK, "three strikes in 90 days"
    )
    other_machine = ConversationRetention(
        world["engine"],
        SubjectRights(world["engine"], world["keys"], world["events"]),
        world["events"],
    )

    first = job(world).run(TWO_YEARS_ON)
    second = other_machine.run(TWO_YEARS_ON)
    third = job(world).run(TWO_YEARS_ON + timedelta(hours=1))

    assert first.total > 0
    assert second.total == 0 and third.total == 0
    with world["engine"].connect() as connection:
        assert len(connection.execute(select(console_audit)).all()) == 1
    # A block stays on record: staff can still undo it (P7).
    [block] = ModerationLog(world["engine"], Outbox(world["engine"])).entries(10, "x-1")
    assert block.action is Action.BLOCK and block.platform == "twitter"


def test_an_open_handoff_stays_however_old_even_in_a_quiet_conversation(world):
    handoff = a_conversation_everywhere(world)
    outbox = Outbox(world["engine"])
    [staff_reply] = outbox.messages(PENDING)
    outbox.sent(staff_reply.id, NOW, "m-1")

    first = job(world).run(TWO_YEARS_ON)

    assert first.conversations == 0
    assert HandoffRepository(world["engine"]).get(handoff.id) is not None
    # Staff answering it still read what the tenant said.
    assert len(world["events"].events(PRIVATE)) == 2
    HandoffRepository(world["engine"]).move(handoff.id, State.CLOSED, TWO_YEARS_ON, "Cara")
    assert job(world).run(TWO_YEARS_ON + timedelta(hours=1)).conversations == 1
    assert world["events"].events(PRIVATE) == []


def test_a_staff_reply_still_to_send_keeps_its_conversation(world):
    handoff = a_conversation_everywhere(world)
    HandoffRepository(world["engine"]).move(handoff.id, State.CLOSED, NOW, "Cara")
    outbox = Outbox(world["engine"])

    first = job(world).run(TWO_YEARS_ON)

    assert first.conversations == 0
    [staff_reply] = outbox.messages(PENDING)
    assert (
        staff_reply.conversation_id == PRIVATE and staff_reply.text == f"We have {ADDRESS} on file"
    )
    assert len(world["events"].events(PRIVATE)) == 2
    outbox.sent(staff_reply.id, TWO_YEARS_ON, "m-1")
    assert job(world).run(TWO_YEARS_ON + timedelta(hours=1)).conversations == 1
    assert world["events"].events(PRIVATE) == []


def test_a_quiet_public_x_thread_goes_but_the_person_still_talking_keeps_their_follow(world):
    # On X one user id writes in public and in private: the public thread falls quiet,
    # the direct messages go on, and what staff did about the person a month ago stands.
    said(world, "twitter-public-x-1", "@housing my boiler again", at=NOW)
    said(world, "twitter-private-x-1", "any news?", at=TWO_YEARS_ON - timedelta(days=1))
    log = ModerationLog(world["engine"], Outbox(world["engine"]))
    log.record(
        TWO_YEARS_ON - timedelta(days=30),
        Subject("twitter", "x-1", "twitter-private-x-1", target="x-1"),
        Action.FOLLOW,
        "so that they can send us a direct message (P8)",
    )

    run = job(world).run(TWO_YEARS_ON)

    assert run.conversations == 1
    assert world["events"].events("twitter-public-x-1") == []
    [follow] = log.entries(10, platform="twitter", action=Action.FOLLOW)
    assert follow.target == "x-1" and follow.undoable
    assert follow.conversation_id == "twitter-private-x-1"


def test_a_quiet_public_facebook_thread_goes_but_its_link_to_messenger_stays(world):
    log = ModerationLog(world["engine"], Outbox(world["engine"]))
    log.link("facebook", PUBLIC_ID, PSID)
    said(world, PUBLIC, "where is my repair?", at=NOW)
    said(world, PRIVATE, "thanks for the reply", at=TWO_YEARS_ON - timedelta(days=1))
    log.record(TWO_YEARS_ON - timedelta(days=30), Subject("facebook", PSID), Action.STRIKE, "abuse")

    run = job(world).run(TWO_YEARS_ON)

    assert run.conversations == 1
    assert log.accounts("facebook", PSID) == {PSID, PUBLIC_ID}
    # A strike made from either account still counts against the person (P7).
    assert len(log.strikes("facebook", PUBLIC_ID)) == 1
