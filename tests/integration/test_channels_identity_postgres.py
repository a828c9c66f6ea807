"""Intake, outbox, tenancy records and identity checks on PostgreSQL.

Run through `make postgres-test`, which starts a throwaway PostgreSQL on loopback.
"""

import os
import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from bot.events import InboundEvent, Operation
from bot.intake import IntakeStore
from bot.outbox import SENT, Outbox
from bot.outbox_worker import OutboxWorker
from bot.store import connect
from bot.tenancy.answers import locator
from bot.tenancy.identity import Account, Answers, IdentityChecks, Outcome
from bot.tenancy.security_question import HashScheme
from tests.helpers import TEST_WORK_FACTOR, demo_tenancies

URL = os.environ.get("TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="needs TEST_POSTGRES_URL: run `make postgres-test`")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
TABLES = "inbound_events, outbox, identity_attempts, identity_subjects, tenancy_people, rent_payments, repairs, tenancies"


@pytest.fixture()
def engine():
    engine = connect(URL)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {TABLES}"))
    return engine


def event(event_id, author):
    return InboundEvent("facebook", "message", event_id, "private", author, "hi", NOW)


def test_intake_accepts_once_and_claims_in_order(engine):
    intake = IntakeStore(engine)
    assert len(intake.accept([event("m1", "a"), event("m2", "a"), event("m3", "b")], NOW)) == 3
    assert intake.accept([event("m1", "a")], NOW) == []
    assert [c.event.event_id for c in intake.claim(NOW)] == ["m1", "m3"]


def test_two_outbox_workers_at_once_send_each_message_once_and_in_order(engine):
    box = Outbox(engine)
    sent = []
    lock = threading.Lock()

    def deliver(message, now):
        with lock:
            sent.append(message.text)
        return "id"

    for conversation in ("a", "b", "c"):
        for n in range(5):
            box.enqueue(
                conversation, "twitter", Operation.X_DM, "u", NOW, text=f"{conversation}{n}"
            )
    workers = [OutboxWorker(box, {"twitter": deliver}, lambda: NOW) for _ in range(4)]

    def drain(worker):
        while worker.run_once():
            pass

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(sent) == sorted(f"{c}{n}" for c in "abc" for n in range(5))
    for conversation in "abc":
        assert [t for t in sent if t[0] == conversation] == [f"{conversation}{n}" for n in range(5)]
    assert {m.state for m in box.messages()} == {SENT}


def test_identity_checks_lock_after_three_failures(engine):
    _, repository = demo_tenancies(URL)
    checks = IdentityChecks(engine, repository, HashScheme.fresh(n=TEST_WORK_FACTOR))
    wrong = Answers(locator("TEN-204817"), "margaret thompson", date(1958, 1, 1))
    right = Answers(locator("TEN-204817"), "margaret thompson", date(1958, 4, 12))
    account = Account("facebook", "guesser")
    outcomes = [
        checks.attempt(account, "c", wrong, NOW + timedelta(minutes=n)).outcome for n in range(3)
    ]
    assert outcomes == [Outcome.FAILED, Outcome.FAILED, Outcome.LOCKED]
    assert checks.attempt(account, "c", right, NOW + timedelta(minutes=5)).outcome is (
        Outcome.REFUSED_LOCKED
    )
    # The account may try again after 30 minutes; the tenancy's checks after a day.
    assert checks.attempt(account, "c", right, NOW + timedelta(hours=24, minutes=10)).outcome is (
        Outcome.VERIFIED
    )
