"""The sealed answers of a check that was interrupted or abandoned leave the history
once the conversation has been quiet longer than a session lasts, or a day, whichever
is longer: the hourly retention job hides them (P4, P9)."""

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from bot.protection.conversations import tracker_events
from bot.protection.retention import ConversationRetention, answers_kept_for
from bot.tenancy.masking import HIDDEN, SECURITY_SLOTS
from bot.tenancy.security_question import Sealer
from tests.unit.test_subject_rights import make_world

NOW = datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc)
SEALER = Sealer(Sealer.new_key())
ANSWERS = ("TEN-204817", "Margaret Thompson", "12/04/1958")


@pytest.fixture()
def world(tmp_path):
    return make_world(tmp_path)


def stored(world, sender, event, at):
    """One event as the project's tracker store writes it (the mark of a sealed answer)."""
    sealed = event.get("event") == "slot" and str(event.get("value", "")).startswith("sealed:")
    with world["tracker"].begin() as connection:
        connection.execute(
            insert(tracker_events).values(
                sender_id=sender,
                type_name=event["event"],
                timestamp=at.timestamp(),
                action_name=event["name"] if sealed else None,
                data=world["keys"].encrypt(json.dumps({**event, "timestamp": at.timestamp()})),
            )
        )


def answered_then_left(world, sender, at):
    """Three sealed answers given, then the check interrupted; nothing since `at`."""
    for slot, answer in zip(SECURITY_SLOTS, ANSWERS, strict=True):
        stored(world, sender, {"event": "slot", "name": slot, "value": SEALER.seal(answer)}, at)
    stored(world, sender, {"event": "slot", "name": "identity_status", "value": "interrupted"}, at)


def security_values(world, sender):
    return [e["value"] for e in world["events"].events(sender) if e.get("name") in SECURITY_SLOTS]


def opened(world):
    """Every sealed answer anyone with the keys could still open from the tracker's file."""
    found = []
    for token in re.findall(rb"fernet:[A-Za-z0-9_\-]+=*", world["files"][1].read_bytes()):
        try:
            plain = world["keys"].decrypt(token.decode())
        except ValueError:
            continue
        found += [SEALER.open(s) for s in re.findall(r"sealed:[A-Za-z0-9_\-]+=*", plain)]
    return [answer for answer in found if answer is not None]


def job(world, quiet=timedelta(days=1)):
    return ConversationRetention(
        world["engine"], world["rights"], world["events"], 24, hide_answers_after=quiet
    )


def test_an_abandoned_checks_answers_are_hidden_once_the_conversation_is_quiet(world):
    answered_then_left(world, "facebook-private-1", NOW)
    answered_then_left(world, "facebook-private-2", NOW + timedelta(hours=20))

    job(world).run(NOW + timedelta(hours=23))  # quiet for less than a day: kept
    assert sorted(opened(world)) == sorted(ANSWERS * 2)

    job(world).run(NOW + timedelta(days=1, minutes=1))

    assert security_values(world, "facebook-private-1") == [HIDDEN] * 3
    # The other conversation was quiet for less than a day: its check may carry on.
    assert sorted(opened(world)) == sorted(ANSWERS)
    assert len(world["events"].events("facebook-private-1")) == 4  # the rest stays

    job(world).run(NOW + timedelta(days=2))
    assert opened(world) == []


def test_a_session_longer_than_a_day_keeps_them_until_it_expires(world):
    answered_then_left(world, "facebook-private-1", NOW)

    job(world, quiet=timedelta(days=3)).run(NOW + timedelta(days=2))
    assert len(opened(world)) == 3
    job(world, quiet=timedelta(days=3)).run(NOW + timedelta(days=3, minutes=1))
    assert opened(world) == []


def test_the_wait_is_the_session_expiry_or_a_day_whichever_is_longer(tmp_path):
    domain = tmp_path / "domain.yml"
    domain.write_text("session_config:\n  session_expiration_time: 60\n")
    assert answers_kept_for(domain) == timedelta(days=1)
    domain.write_text("session_config:\n  session_expiration_time: 2880\n")
    assert answers_kept_for(domain) == timedelta(days=2)
    domain.write_text("intents: [greet]\n")  # Rasa's default session is an hour
    assert answers_kept_for(domain) == timedelta(days=1)
