"""Identity checks sent at once on PostgreSQL: no more than three are checked (P4).

Run through `make postgres-test`, which starts a throwaway PostgreSQL on loopback.
"""

import os
from datetime import date

import pytest
from sqlalchemy import select, text

from bot.store import identity_attempts
from bot.tenancy.answers import locator
from bot.tenancy.identity import Account, Answers, CheckResult, IdentityChecks, Outcome
from bot.tenancy.security_question import HashScheme
from tests.helpers import TEST_WORK_FACTOR, demo_tenancies
from tests.unit.test_identity import NOW, guess, race

URL = os.environ.get("TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="needs TEST_POSTGRES_URL: run `make postgres-test`")


@pytest.fixture()
def engine():
    engine, _ = demo_tenancies(URL)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE identity_attempts, identity_subjects"))
    return engine


@pytest.mark.parametrize("round_", range(3))
@pytest.mark.parametrize("reference", ["TEN-204817", "TEN-999999"])
def test_guesses_sent_at_once_are_checked_no_more_than_three_times(engine, reference, round_):
    _, results = race(engine, [guess(reference)] * 8, reference == "TEN-204817")
    outcomes = sorted(r.outcome.value for r in results)
    assert outcomes == ["failed"] * 7 + ["failed_and_locked"]
    _, repository = demo_tenancies(URL)
    identity = IdentityChecks(engine, repository, HashScheme.fresh(n=TEST_WORK_FACTOR))
    later = Answers(locator(reference), "margaret thompson", date(1958, 4, 12))
    assert identity.attempt(Account("x", "later"), "c", later, NOW) == CheckResult(Outcome.FAILED)


@pytest.mark.parametrize("round_", range(3))
def test_right_answers_sent_with_guesses_at_once_verify_only_before_the_third_failure(
    engine, round_
):
    named = ["TEN-204817", "14 Elm Road LS6 2AB", "ten 204817"]
    wrong = [Answers(locator(text), "margaret thompson", date(1958, 1, 1)) for text in named]
    right = [Answers(locator(t), "margaret thompson", date(1958, 4, 12)) for t in named[:2]] * 3
    race(engine, wrong + right[:5])
    with engine.connect() as connection:
        query = select(identity_attempts.c.outcome).order_by(identity_attempts.c.id)
        order = list(connection.execute(query).scalars())
    failed = [outcome != "verified" for outcome in order]
    failures_before = [sum(failed[:n]) for n, outcome in enumerate(order) if outcome == "verified"]
    assert all(count < 3 for count in failures_before), order
