"""Identity checks: verified or not, nothing more said; locks after three failures (P4)."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.identity import (
    Account,
    Answers,
    CheckResult,
    IdentityChecks,
    Outcome,
    Verification,
    staff_view,
)
from bot.identity_answers import locator
from bot.security_question import HashScheme
from bot.store import identity_attempts
from bot.tenancy import Role
from tests.helpers import TEST_WORK_FACTOR, demo_tenancies

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
MARGARET = Answers(locator("TEN-204817"), "margaret thompson", date(1958, 4, 12))
DANIEL = Answers(locator("14 Elm Road LS6 2AB"), "daniel thompson", date(1986, 9, 14))
PRIYA = Answers(locator("TEN-318552"), "priya sharma", date(1990, 7, 23))
WRONG_NAME = Answers(locator("TEN-204817"), "margaret thomson", date(1958, 4, 12))
WRONG_DATE = Answers(locator("TEN-204817"), "margaret thompson", date(1958, 12, 4))
OTHER_TENANCY = Answers(locator("TEN-318552"), "margaret thompson", date(1958, 4, 12))
NO_TENANCY = Answers(locator("TEN-999999"), "margaret thompson", date(1958, 4, 12))
ALICE = Account("facebook", "alice")


@pytest.fixture
def checks(tmp_path):
    engine, repository = demo_tenancies(f"sqlite:///{tmp_path / 'store.db'}")
    return IdentityChecks(engine, repository, HashScheme.fresh(n=TEST_WORK_FACTOR)), engine


def attempt(checks, answers, account=ALICE, at=NOW):
    return checks.attempt(account, "conversation-1", answers, at)


def test_a_listed_tenant_is_verified(checks):
    result = attempt(checks[0], MARGARET)
    assert result.outcome is Outcome.VERIFIED
    assert result.person.role is Role.TENANT


def test_an_authorised_contact_is_verified_as_themselves(checks):
    result = attempt(checks[0], DANIEL)
    assert result.outcome is Outcome.VERIFIED
    assert result.person.describe() == "authorised contact (son)"


@pytest.mark.parametrize("answers", [WRONG_NAME, WRONG_DATE, OTHER_TENANCY, NO_TENANCY])
def test_every_failure_looks_the_same(checks, answers):
    assert attempt(checks[0], answers) == CheckResult(Outcome.FAILED)


@pytest.mark.parametrize("answers", [MARGARET, NO_TENANCY])
def test_known_and_unknown_tenancies_cost_one_slow_hash_each(checks, answers, monkeypatch):
    calls = []
    original = HashScheme.digest

    def counting(self, name, born):
        calls.append(self.n)
        return original(self, name, born)

    monkeypatch.setattr(HashScheme, "digest", counting)
    attempt(checks[0], answers)
    assert calls == [TEST_WORK_FACTOR]


def test_three_failures_lock_the_account_for_thirty_minutes(checks):
    identity, _ = checks
    assert attempt(identity, WRONG_NAME).outcome is Outcome.FAILED
    assert attempt(identity, WRONG_DATE, at=NOW + timedelta(minutes=1)).outcome is Outcome.FAILED
    third = attempt(identity, NO_TENANCY, at=NOW + timedelta(minutes=2))
    assert third.outcome is Outcome.LOCKED
    assert third.locked_until == NOW + timedelta(minutes=32)
    assert identity.account_locked_until(ALICE, NOW + timedelta(minutes=31)) is not None
    assert identity.account_locked_until(ALICE, NOW + timedelta(minutes=33)) is None


def test_a_guess_inside_the_lock_is_refused_without_checking(checks, monkeypatch):
    identity, _ = checks
    for minute in range(3):
        attempt(identity, WRONG_NAME, at=NOW + timedelta(minutes=minute))
    monkeypatch.setattr(HashScheme, "digest", _must_not_hash)
    fourth = attempt(identity, MARGARET, at=NOW + timedelta(minutes=10))
    assert fourth.outcome is Outcome.REFUSED_LOCKED
    assert fourth.person is None


def test_after_the_lock_the_right_answers_verify(checks):
    identity, _ = checks
    for minute in range(3):
        attempt(identity, WRONG_NAME, at=NOW + timedelta(minutes=minute))
    later = NOW + timedelta(minutes=40)
    assert attempt(identity, MARGARET, at=later).outcome is Outcome.VERIFIED


def test_the_tenancy_is_locked_too_even_for_its_real_tenant_on_another_account(checks):
    identity, _ = checks
    for minute in range(3):
        attempt(identity, WRONG_NAME, at=NOW + timedelta(minutes=minute))
    margaret = Account("twitter", "margaret")
    inside = attempt(identity, MARGARET, account=margaret, at=NOW + timedelta(minutes=10))
    assert inside == CheckResult(Outcome.FAILED)
    # Other tenancies are not locked.
    assert attempt(identity, PRIYA, account=margaret, at=NOW + timedelta(minutes=11)).outcome is (
        Outcome.VERIFIED
    )
    after = attempt(identity, MARGARET, account=margaret, at=NOW + timedelta(minutes=40))
    assert after.outcome is Outcome.VERIFIED


def test_guesses_spread_over_accounts_lock_the_tenancy(checks):
    identity, _ = checks
    outcomes = [
        attempt(identity, WRONG_NAME, account=Account("twitter", f"guesser-{n}")).outcome
        for n in range(3)
    ]
    assert outcomes == [Outcome.FAILED, Outcome.FAILED, Outcome.LOCKED]
    fresh = Account("facebook", "margaret")
    assert attempt(identity, MARGARET, account=fresh).outcome is Outcome.FAILED


@pytest.mark.parametrize("reference", ["TEN-204817", "TEN-999999"])
def test_guesses_over_accounts_give_the_same_outcomes_for_a_real_or_made_up_tenancy(
    checks, reference
):
    # Were a lock shown only for real tenancies, it would tell that one exists.
    identity, _ = checks
    guess = Answers(locator(reference), "john smith", date(1970, 1, 1))
    outcomes = [
        attempt(identity, guess, account=Account("x", f"g{n}"), at=NOW + timedelta(minutes=n))
        for n in range(4)
    ]
    assert outcomes == [
        CheckResult(Outcome.FAILED),
        CheckResult(Outcome.FAILED),
        CheckResult(Outcome.LOCKED, locked_until=NOW + timedelta(minutes=32)),
        CheckResult(Outcome.FAILED),
    ]


def test_a_locked_tenancy_stays_locked_when_named_by_its_address(checks):
    identity, _ = checks
    for n in range(3):
        attempt(identity, WRONG_NAME, account=Account("x", f"g{n}"))
    by_address = Answers(locator("14 Elm Road LS6 2AB"), "margaret thompson", date(1958, 4, 12))
    assert attempt(identity, by_address, account=Account("x", "new")).outcome is Outcome.FAILED


def test_a_success_starts_the_count_again(checks):
    identity, _ = checks
    attempt(identity, WRONG_NAME)
    attempt(identity, WRONG_NAME)
    assert attempt(identity, MARGARET).outcome is Outcome.VERIFIED
    attempt(identity, WRONG_NAME)
    assert attempt(identity, WRONG_NAME).outcome is Outcome.FAILED


def test_failures_a_day_apart_do_not_add_up(checks):
    identity, _ = checks
    attempt(identity, WRONG_NAME)
    attempt(identity, WRONG_NAME)
    assert attempt(identity, WRONG_NAME, at=NOW + timedelta(days=2)).outcome is Outcome.FAILED


def test_every_attempt_is_audited_without_its_answers(checks):
    identity, engine = checks
    for minute, answers in enumerate([MARGARET, WRONG_NAME, WRONG_DATE, NO_TENANCY, MARGARET]):
        attempt(identity, answers, at=NOW + timedelta(minutes=minute))
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(select(identity_attempts))]
    assert [row["outcome"] for row in rows] == [
        "verified", "failed", "failed", "failed_and_locked", "refused_locked",
    ]  # fmt: skip
    assert rows[0]["person_id"] and rows[0]["account"] == "facebook:alice"
    written = " ".join(str(value).lower() for row in rows for value in row.values())
    for answer in ("margaret", "thomson", "thompson", "1958", "204817", "ls6", "elm"):
        assert answer not in written


def _must_not_hash(*args, **kwargs):
    raise AssertionError("a locked account's answers were checked")


VERIFIED_AT = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
VERIFICATION = Verification("facebook:alice", "conversation-1", "t1", "p1", VERIFIED_AT)


def minutes(*offsets):
    return [VERIFIED_AT + timedelta(minutes=m) for m in offsets]


def test_a_verification_holds_for_its_account_and_conversation():
    now = VERIFIED_AT + timedelta(minutes=5)
    assert VERIFICATION.is_current(ALICE, "conversation-1", minutes(5), now)
    assert not VERIFICATION.is_current(Account("facebook", "bob"), "conversation-1", [], now)
    assert not VERIFICATION.is_current(Account("twitter", "alice"), "conversation-1", [], now)
    assert not VERIFICATION.is_current(ALICE, "conversation-2", [], now)


def test_a_verification_lapses_after_thirty_idle_minutes():
    assert VERIFICATION.is_current(ALICE, "conversation-1", minutes(20, 40, 60, 80), minutes(90)[0])
    assert not VERIFICATION.is_current(ALICE, "conversation-1", minutes(10, 45), minutes(46)[0])
    assert not VERIFICATION.is_current(ALICE, "conversation-1", [], minutes(31)[0])


def test_a_verification_travels_as_a_dict_and_nothing_else_reads_as_one():
    assert Verification.from_dict(VERIFICATION.as_dict()) == VERIFICATION
    for junk in (None, "x", {}, {"account": "a"}, {**VERIFICATION.as_dict(), "verified_at": "?"}):
        assert Verification.from_dict(junk) is None


def test_guesses_while_a_tenancy_is_locked_do_not_lengthen_its_lock(checks):
    identity, _ = checks
    for minute in range(3):
        attempt(identity, WRONG_NAME, at=NOW + timedelta(minutes=minute))
    for n in range(3):
        guesser = Account("twitter", f"guesser-{n}")
        attempt(identity, WRONG_NAME, account=guesser, at=NOW + timedelta(minutes=20))
    margaret = Account("facebook", "margaret")
    assert attempt(identity, MARGARET, margaret, NOW + timedelta(minutes=33)).outcome is (
        Outcome.VERIFIED
    )


@pytest.mark.parametrize(
    "slots, minutes_idle, said",
    [
        (
            {"identity_status": "verified", "identity_verified_as": "tenant"},
            5,
            "verified as tenant at 10:00 (UTC)",
        ),
        ({"identity_status": "verified", "identity_verified_as": "tenant"}, 31, "lapsed"),
        ({"identity_status": "failed"}, 1, "not verified"),
        ({"identity_status": "locked"}, 1, "locked after three failed checks"),
        ({}, 1, "not verified"),
    ],
)
def test_staff_see_verified_or_not_and_nothing_else(slots, minutes_idle, said):
    slots = {**slots, "identity_verified_at": VERIFIED_AT.isoformat()}
    now = VERIFIED_AT + timedelta(minutes=minutes_idle)
    assert said in staff_view(slots, VERIFIED_AT, now)
