"""Identity checks: verified or not, nothing more said; locks after three failures (P4)."""

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.handoff.handoffs import HandoffRepository, Reason
from bot.handoff.service import HandoffService
from bot.store import identity_attempts
from bot.tenancy.answers import locator
from bot.tenancy.identity import (
    TENANCY_LOCK_AFTER_FAILURES,
    TENANCY_LOCK_FOR,
    Account,
    Answers,
    CheckResult,
    IdentityChecks,
    Outcome,
    TenancyLockNotice,
    Verification,
    answers_still_kept,
    staff_view,
)
from bot.tenancy.records import Role, TenancyRepository
from bot.tenancy.security_question import HashScheme
from tests.helpers import CALENDAR, TEAMS, TEST_WORK_FACTOR, demo_tenancies

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
    # The account may check again after 30 minutes; the tenancy it failed on after a day.
    assert attempt(identity, PRIYA, at=NOW + timedelta(minutes=40)).outcome is Outcome.VERIFIED
    later = NOW + timedelta(hours=24, minutes=5)
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
    after = attempt(identity, MARGARET, account=margaret, at=NOW + timedelta(hours=25))
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


def test_a_success_between_failures_does_not_start_the_count_again(checks):
    identity, _ = checks
    attempt(identity, WRONG_NAME)
    attempt(identity, WRONG_NAME)
    assert attempt(identity, MARGARET).outcome is Outcome.VERIFIED
    assert attempt(identity, WRONG_NAME).outcome is Outcome.LOCKED


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
        "verified",
        "failed",
        "failed",
        "failed_and_locked",
        "refused_locked",
    ]
    assert rows[0]["person_id"]
    # The account is kept keyed (P9): attempts are found by it, never read back as it.
    assert "alice" not in rows[0]["account"]
    by_account = select(identity_attempts).where(identity_attempts.c.account == "facebook:alice")
    with engine.connect() as connection:
        assert len(connection.execute(by_account).all()) == len(rows)
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
    at = NOW + TENANCY_LOCK_FOR + timedelta(minutes=3)
    assert attempt(identity, MARGARET, margaret, at).outcome is Outcome.VERIFIED


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


# Failures counted against the tenancy named, however and by whomever (P4).

MILL_LANE = ("TEN-450091", "7 Mill Lane B15 2TT")
MADE_UP = ("TEN-777777", "9 Nowhere Lane B15 2TT")


def spellings(reference, address):
    """Ways a tenant names one tenancy: reference spellings and address variants."""
    digits = reference.split("-")[1]
    return [
        reference,
        f"ten{digits}",
        f"TEN {digits}",
        f"tenancy ref {digits}",
        address,
        address.replace("Lane", "Ln") + " Birmingham",
    ]


def guess(text):
    return Answers(locator(text), "john smith", date(1970, 1, 1))


def test_failures_by_any_account_spelling_or_channel_add_up_on_the_tenancy(checks):
    identity, _ = checks
    named = spellings(*MILL_LANE)
    # One failure from each of three accounts on two platforms, each naming the
    # tenancy differently: no account and no spelling fails three times.
    for n, text in enumerate(named[3:]):
        platform = ("facebook", "twitter")[n % 2]
        account = Account(platform, f"guesser-{n}")
        assert attempt(identity, guess(text), account, NOW + timedelta(minutes=n)).outcome is (
            Outcome.FAILED
        )
    okafor = Answers(locator("TEN-450091"), "daniel okafor", date(1979, 1, 30))
    later = NOW + timedelta(minutes=10)
    assert attempt(identity, okafor, Account("facebook", "okafor"), later) == CheckResult(
        Outcome.FAILED
    )


def test_the_same_guesses_get_the_same_replies_for_a_real_or_made_up_tenancy(checks):
    # Guesses over accounts, platforms and spellings, well past every lock: were the
    # tenancy's own count or lock to show, it would tell that the tenancy exists.
    identity, _ = checks

    def replies(reference, address, prefix):
        # The address first: the tenancy's third failure comes before any one way of
        # naming it has failed three times.
        named = spellings(reference, address)[4:] + spellings(reference, address)[:4]
        outcomes = []
        for n in range(14):
            account = Account(("facebook", "twitter")[n % 2], f"{prefix}{n % 5}")
            at = NOW + timedelta(minutes=7 * n)
            outcomes.append(attempt(identity, guess(named[n % len(named)]), account, at))
        return outcomes

    real, made_up = replies(*MILL_LANE, "r"), replies(*MADE_UP, "m")
    assert real == made_up
    assert Outcome.LOCKED in [r.outcome for r in real]


def test_a_tenancy_locked_by_failures_is_handed_to_customer_experience_once(tmp_path):
    engine, repository = demo_tenancies(f"sqlite:///{tmp_path / 'store.db'}")
    handoffs = HandoffRepository(engine)
    identity = IdentityChecks(
        engine,
        repository,
        HashScheme.fresh(n=TEST_WORK_FACTOR),
        staff=TenancyLockNotice(HandoffService(engine, CALENDAR, TEAMS)),
    )
    named = spellings(*MILL_LANE)
    for n in range(6):
        attempt(identity, guess(named[n]), Account("twitter", f"g{n}"), NOW + timedelta(minutes=n))
    for text in MADE_UP:
        for n in range(4):
            attempt(identity, guess(text), Account("x", f"m{n}"), NOW + timedelta(minutes=n))
    queue = handoffs.queue()
    assert [(h.reason, h.team) for h in queue] == [
        (Reason.IDENTITY_CHECK_FAILED, "Customer Experience")
    ]
    # Staff learn which tenancy, never any answer; the guessers' conversations are not
    # handed over by it (they learn nothing of it).
    assert queue[0].conversation.conversation_id == "tenancy:TEN-450091"
    assert handoffs.open_for("conversation-1") is None


def test_a_locked_tenancy_refuses_even_the_right_answers_for_a_day(checks):
    identity, _ = checks
    for n in range(TENANCY_LOCK_AFTER_FAILURES):
        account = Account("facebook", f"g{n}")
        attempt(identity, guess("TEN-450091"), account, NOW + timedelta(minutes=n))
    named = ["7 mill lane B15 2TT", "7 Mill Ln, Birmingham B15 2TT", "ten 450091"]
    for hours, text in zip((1, 12, 23), named, strict=True):
        okafor = Answers(locator(text), "daniel okafor", date(1979, 1, 30))
        account = Account("twitter", f"okafor-{hours}")
        at = NOW + timedelta(hours=hours)
        assert attempt(identity, okafor, account, at) == CheckResult(Outcome.FAILED), hours
    okafor = Answers(locator("TEN-450091"), "daniel okafor", date(1979, 1, 30))
    at = NOW + TENANCY_LOCK_FOR + timedelta(minutes=5)
    assert attempt(identity, okafor, Account("facebook", "okafor-2"), at).outcome is (
        Outcome.VERIFIED
    )


def test_failures_hours_apart_still_add_up_to_a_lock(checks):
    # Failures within 24 hours add up: spread over a working day, they still lock.
    identity, _ = checks
    times = [NOW, NOW + timedelta(hours=4), NOW + timedelta(hours=9)]
    outcomes = [attempt(identity, WRONG_NAME, ALICE, at).outcome for at in times]
    assert outcomes == [Outcome.FAILED, Outcome.FAILED, Outcome.LOCKED]
    # And over accounts, against the tenancy: the right answers then fail.
    for n, hours in enumerate((1, 7, 13)):
        at = NOW + timedelta(days=3, hours=hours)
        attempt(identity, guess("TEN-318552"), Account("twitter", f"h{n}"), at)
    at = NOW + timedelta(days=3, hours=14)
    assert attempt(identity, PRIYA, Account("twitter", "priya"), at).outcome is Outcome.FAILED


def test_verifying_as_oneself_does_not_wipe_guesses_at_someone_else_on_the_tenancy(checks):
    # Daniel may see his mother's rent, not her repairs. Were a success to start the
    # counts again, he could guess her details two at a time for ever, verifying as
    # himself in between.
    identity, _ = checks
    daniel = Account("facebook", "daniel")
    guesses = [date(1958, 1, day) for day in range(1, 4)] + [date(1958, 4, 12)]
    outcomes = []
    for n, born in enumerate(guesses):
        at = NOW + timedelta(minutes=2 * n)
        guess_at_margaret = Answers(locator("TEN-204817"), "margaret thompson", born)
        outcomes.append(attempt(identity, guess_at_margaret, daniel, at).outcome)
        as_himself = Answers(locator("TEN-204817"), "daniel thompson", date(1986, 9, 14))
        attempt(identity, as_himself, daniel, at + timedelta(minutes=1))
    assert Outcome.VERIFIED not in outcomes
    assert outcomes[2] is Outcome.LOCKED


@pytest.mark.parametrize(
    "ages, kept",
    [
        ([], True),
        ([timedelta(minutes=1), timedelta(minutes=30)], True),
        ([timedelta(minutes=2), timedelta(minutes=31)], False),
        ([timedelta(minutes=2), None], False),  # one answer that cannot be read
    ],
)
def test_a_resumed_check_takes_up_answers_only_while_they_are_recent(ages, kept):
    given_at = [None if age is None else NOW - age for age in ages]
    assert answers_still_kept(given_at, NOW) is kept


# Guesses sent at once, from many accounts (P4): they are settled one after the other.


class RacingTenancies(TenancyRepository):
    """Tenancy records that hold every check at a barrier until all have read them,
    so that the checks are settled at the same moment."""

    def __init__(self, engine, barrier):
        super().__init__(engine)
        self._barrier = barrier

    def people(self, tenancy_id):
        found = super().people(tenancy_id)
        self._barrier.wait(timeout=30)
        return found


def race(engine, guesses, tenancy_exists=True):
    """Each of `guesses` from its own account at once; their results, in no order."""
    # Every check of a made-up tenancy waits too, as `people` is asked only for a real one.
    barrier = threading.Barrier(len(guesses))
    tenancies = RacingTenancies(engine, barrier)
    if not tenancy_exists:

        def find_none(_locator):
            barrier.wait(timeout=30)

        tenancies.find = find_none
    identity = IdentityChecks(engine, tenancies, HashScheme.fresh(n=TEST_WORK_FACTOR))
    results, errors = [], []

    def check(n, answers):
        try:
            results.append(attempt(identity, answers, Account("x", f"racer-{n}")))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=check, args=pair) for pair in enumerate(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return identity, results


@pytest.mark.parametrize("round_", range(3))
@pytest.mark.parametrize("reference", ["TEN-204817", "TEN-999999"])
def test_guesses_sent_at_once_are_checked_no_more_than_three_times(checks, reference, round_):
    # Eight accounts send their guess at once: as when sent one by one, the third
    # failure shows the lock once, and no guess after it is checked.
    identity, engine = checks
    _, results = race(engine, [guess(reference)] * 8, reference == "TEN-204817")
    outcomes = sorted(r.outcome.value for r in results)
    assert outcomes == ["failed"] * 7 + ["failed_and_locked"]
    later = Answers(locator(reference), "margaret thompson", date(1958, 4, 12))
    assert attempt(identity, later, Account("x", "later")) == CheckResult(Outcome.FAILED)


@pytest.mark.parametrize("round_", range(3))
def test_right_answers_sent_with_guesses_at_once_verify_only_before_the_third_failure(
    checks, round_
):
    # Three wrong guesses and five right answers race from eight accounts: whatever
    # the order they are settled in (the audit's), no right answer is accepted after
    # the third failure.
    _, engine = checks
    named = ["TEN-204817", "14 Elm Road LS6 2AB", "ten 204817"]
    wrong = [Answers(locator(text), "margaret thompson", date(1958, 1, 1)) for text in named]
    right = [Answers(locator(t), "margaret thompson", date(1958, 4, 12)) for t in named[:2]] * 3
    race(engine, wrong + right[:5])
    with engine.connect() as connection:
        order = [
            row.outcome
            for row in connection.execute(
                select(identity_attempts).order_by(identity_attempts.c.id)
            )
        ]
    failed = [outcome != "verified" for outcome in order]
    failures_before = [sum(failed[:n]) for n, outcome in enumerate(order) if outcome == "verified"]
    assert all(count < 3 for count in failures_before), order


# The lock shown on a way of naming a tenancy holds however the address is written (P4).

ELM_ROAD = ["14 Elm Road LS6 2AB", "14 elm rd, leeds LS6 2AB", "my address is 14 Elm Road LS6 2AB"]
NOWHERE = [
    "9 Nowhere Lane B15 2TT",
    "9 nowhere ln, birmingham b152tt",
    "my address is 9 Nowhere Lane B15 2TT",
]


@pytest.mark.parametrize("named", [ELM_ROAD, NOWHERE])
def test_one_address_however_written_is_locked_after_three_failures(checks, named):
    identity, _ = checks
    replies = [
        attempt(identity, guess(text), Account("x", f"g{n}"), NOW + timedelta(minutes=n))
        for n, text in enumerate(named)
    ]
    assert replies == [
        CheckResult(Outcome.FAILED),
        CheckResult(Outcome.FAILED),
        CheckResult(Outcome.LOCKED, locked_until=NOW + timedelta(minutes=32)),
    ]


def test_a_real_and_a_made_up_address_written_three_ways_get_the_same_replies(checks):
    identity, _ = checks

    def replies(named, prefix):
        return [
            attempt(identity, guess(named[n % 3]), Account("x", f"{prefix}{n}"), NOW)
            for n in range(5)
        ]

    assert replies(ELM_ROAD, "r") == replies(NOWHERE, "m")


def test_another_flat_or_house_at_the_same_postcode_is_locked_apart(checks):
    identity, _ = checks
    for n in range(3):
        attempt(identity, guess(ELM_ROAD[n]), Account("x", f"g{n}"), NOW)
    for text in ("16 Elm Road LS6 2AB", "Flat 2, 14 Elm Road LS6 2AB"):
        assert attempt(identity, guess(text), Account("x", "other"), NOW) == CheckResult(
            Outcome.FAILED
        )
