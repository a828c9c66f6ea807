"""What the console's queue and conversation pages show: countdowns in working time
(P1, P3), urgent ones on the clock (P2), filters, who wrote each message, the
verification state without any answer and the tenancy once verified (P4), and the
canned replies from association.yml."""

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.association import ConfigError, load_association, parse_association
from bot.console.views import (
    FilterChoices,
    QueueFilters,
    chosen_reply,
    countdown,
    deadlines,
    duration_words,
    queue_rows,
    thread_entries,
    verification,
)
from bot.handoff.handoffs import Conversation, Reason, plan
from bot.handoff.threads import ThreadMessage
from bot.tenancy.answers import locator
from bot.tenancy.identity import Account, Answers, IdentityChecks
from bot.tenancy.security_question import HashScheme
from tests.helpers import CALENDAR, ROOT, TEAMS, TEST_WORK_FACTOR, UK, demo_tenancies

CANNED = load_association(ROOT / "association.yml").canned_replies


def uk(*args):
    return datetime(*args, tzinfo=UK)


MONDAY_10 = uk(2026, 11, 23, 10, 0)
MESSENGER = Conversation("facebook-private-psid-1", "facebook", "private", "psid-1")
MENTION = Conversation("twitter-public-42", "twitter", "public", "42")


def handoff(reason=Reason.REQUEST_HUMAN, at=MONDAY_10, conversation=MESSENGER):
    return plan(reason, conversation, at, CALENDAR, TEAMS.for_reason(reason))


# Working time between two instants.


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (uk(2026, 11, 23, 10, 0), uk(2026, 11, 23, 11, 20), timedelta(hours=1, minutes=20)),
        (uk(2026, 11, 20, 16, 0), uk(2026, 11, 23, 10, 0), timedelta(hours=2)),  # a weekend
        (uk(2026, 11, 23, 18, 0), uk(2026, 11, 24, 8, 0), timedelta(0)),  # a night
        (uk(2026, 12, 24, 16, 0), uk(2026, 12, 29, 9, 30), timedelta(hours=1, minutes=30)),
        (uk(2026, 11, 23, 11, 0), uk(2026, 11, 23, 10, 0), timedelta(0)),  # backwards
    ],
)
def test_working_time_between(start, end, expected):
    assert CALENDAR.working_time_between(start, end) == expected


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1)),
    minutes=st.integers(min_value=0, max_value=60 * 40),
)
def test_working_time_is_what_add_working_hours_added(start, minutes):
    start = start.replace(tzinfo=timezone.utc)
    end = CALENDAR.add_working_hours(start, minutes / 60)
    assert CALENDAR.working_time_between(start, end) == timedelta(minutes=minutes)


# Countdowns.


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(seconds=30), "less than 1 min"),
        (timedelta(minutes=35, seconds=59), "35 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=1, minutes=20), "1 h 20 min"),
    ],
)
def test_duration_words(span, words):
    assert duration_words(span) == words


def test_a_fresh_handoff_counts_down_in_working_time():
    acknowledge, reply = deadlines(handoff(), MONDAY_10 + timedelta(minutes=40), CALENDAR)
    assert acknowledge.text == "1 h 20 min working time left"
    assert acknowledge.state == "pending"
    assert acknowledge.due_text == "due Mon 23 Nov, 12:00"
    assert reply.text == "3 h 20 min working time left"


def test_the_weekend_does_not_count():
    friday = handoff(at=uk(2026, 11, 20, 16, 0))  # due Monday 10:00
    acknowledge, _ = deadlines(friday, uk(2026, 11, 21, 12, 0), CALENDAR)
    assert acknowledge.text == "1 h working time left"
    assert not acknowledge.breach


def test_a_passed_deadline_is_a_breach_in_words():
    acknowledge, reply = deadlines(handoff(), uk(2026, 11, 23, 12, 35), CALENDAR)
    assert acknowledge.breach and acknowledge.text == "overdue by 35 min working time"
    assert not reply.breach and reply.text == "1 h 25 min working time left"
    soon, _ = deadlines(handoff(), uk(2026, 11, 23, 11, 45), CALENDAR)
    assert soon.state == "soon"


def test_a_deadline_recorded_missed_stays_a_breach():
    missed = replace(handoff(), acknowledge_met=False)
    acknowledge, _ = deadlines(missed, uk(2026, 11, 23, 11, 0), CALENDAR)
    assert acknowledge.breach


def test_an_emergency_counts_down_on_the_clock():
    saturday_night = uk(2026, 11, 21, 2, 0)
    urgent = handoff(Reason.EMERGENCY, at=saturday_night)
    acknowledge, reply = deadlines(urgent, saturday_night + timedelta(minutes=10), CALENDAR)
    assert acknowledge.text == "20 min left"
    assert reply.text == "1 h 50 min left"
    late, _ = deadlines(urgent, saturday_night + timedelta(minutes=42), CALENDAR)
    assert late.breach and late.text == "overdue by 12 min"


def test_done_deadlines_say_when_and_whether_in_time():
    done = countdown(
        "acknowledge", MONDAY_10, MONDAY_10 - timedelta(minutes=5), True, MONDAY_10, CALENDAR, False
    )
    assert (done.state, done.text) == ("met", "acknowledged Mon 23 Nov, 09:55, in time")
    late = countdown(
        "reply", MONDAY_10, MONDAY_10 + timedelta(hours=1), False, MONDAY_10, CALENDAR, False
    )
    assert (late.state, late.text) == ("late", "replied Mon 23 Nov, 11:00, late")


def test_a_compliment_needs_no_reply():
    _, reply = deadlines(handoff(Reason.COMPLIMENT), MONDAY_10, CALENDAR)
    assert reply.text == "no reply needed" and not reply.breach


# The queue's rows and filters.

CHOICES = FilterChoices.for_teams(TEAMS.names)


def test_staff_see_only_their_teams_handoffs_in_the_order_given():
    handoffs = [handoff(Reason.EMERGENCY), handoff(), handoff(Reason.COMPLAINT)]
    rows = queue_rows(handoffs, lambda team: team != "Repairs", QueueFilters(), MONDAY_10, CALENDAR)
    assert [r.handoff.id for r in rows] == [handoffs[1].id, handoffs[2].id]
    everyone = queue_rows(handoffs, lambda team: True, QueueFilters(), MONDAY_10, CALENDAR)
    assert [r.handoff.id for r in everyone] == [h.id for h in handoffs]
    assert everyone[0].urgent and everyone[0].reason == "Emergency"


@pytest.mark.parametrize(
    ("args", "kept"),
    [
        ({}, [0, 1, 2]),
        ({"platform": "twitter"}, [2]),
        ({"surface": ["private"]}, [0, 1]),
        ({"team": "Customer Experience"}, [1]),
        ({"reason": "request_human", "platform": "facebook"}, [0]),
        ({"platform": "myspace"}, [0, 1, 2]),  # not a choice: any
    ],
)
def test_filters(args, kept):
    handoffs = [handoff(), handoff(Reason.COMPLAINT), handoff(conversation=MENTION)]
    filters = QueueFilters.from_args(args, CHOICES)
    rows = queue_rows(handoffs, lambda team: True, filters, MONDAY_10, CALENDAR)
    assert [r.handoff.id for r in rows] == [handoffs[i].id for i in kept]


def test_filters_round_trip_through_the_query_string():
    filters = QueueFilters(team="Repairs", surface="public")
    assert filters.query() == "team=Repairs&surface=public"
    assert QueueFilters().query() == ""


# A thread's authors.


def test_each_message_says_who_wrote_it_and_where():
    at = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    messages = [
        ThreadMessage(at, "tenant", "facebook", "public", "facebook-public-1", "my boiler"),
        ThreadMessage(at, "assistant", "facebook", "private", "facebook-public-1", "sorry"),
        ThreadMessage(at, "staff", "twitter", "private", "twitter-private-1", "hi", staff="Sam"),
        ThreadMessage(at, "tenant", "twitter", "public", "twitter-public-1", "@us help"),
    ]
    entries = thread_entries(messages, UK)
    assert [(e.author, e.label, e.where) for e in entries] == [
        ("tenant", "Tenant", "Facebook comment"),
        ("assistant", "Assistant", "Messenger"),
        ("staff", "Staff: Sam", "X direct message"),
        ("tenant", "Tenant", "X mention"),
    ]
    assert entries[0].time == "Mon 23 Nov, 10:00"


# Verification and the tenancy.

MARGARET = Answers(locator("TEN-204817"), "margaret thompson", date(1958, 4, 12))
DANIEL = Answers(locator("14 Elm Road LS6 2AB"), "daniel thompson", date(1986, 9, 14))
WRONG = Answers(locator("TEN-204817"), "margaret thomson", date(1958, 4, 12))
ACCOUNT = Account("facebook", "psid-1")
PRIVATE = "facebook-private-psid-1"


@pytest.fixture
def checks(tmp_path):
    engine, repository = demo_tenancies(f"sqlite:///{tmp_path / 'store.db'}")
    return IdentityChecks(engine, repository, HashScheme.fresh(n=TEST_WORK_FACTOR)), engine


def wrote(at, conversation_id=PRIVATE, text="hello"):
    return ThreadMessage(at, "tenant", "facebook", "private", conversation_id, text)


def test_verified_shows_by_what_check_and_the_tenancy_masked(checks):
    identity, engine = checks
    identity.attempt(ACCOUNT, PRIVATE, MARGARET, MONDAY_10)
    now = MONDAY_10 + timedelta(minutes=10)
    view = verification(engine, [wrote(MONDAY_10)], [PRIVATE], now, UK)
    assert view.verified
    assert view.state == "Verified by security questions Mon 23 Nov, 10:00, as tenant"
    assert "margaret" not in view.state.lower() and "1958" not in view.state
    summary = view.tenancy
    assert summary.rent_balance == "£123.45 in arrears on Monday 16 November 2026"
    assert summary.last_payment.startswith("£95.50 by Direct Debit")
    assert summary.repairs[0].startswith("R-30117, leaking kitchen tap")
    assert "TEN-204817" not in summary.reference and "Elm Road" not in summary.address
    shown = verification(engine, [wrote(MONDAY_10)], [PRIVATE], now, UK, unmask=True)
    assert shown.tenancy.reference == "TEN-204817"
    assert shown.tenancy.address == "14 Elm Road, Leeds LS6 2AB"


def test_an_authorised_contact_is_named_by_role(checks):
    identity, engine = checks
    identity.attempt(ACCOUNT, PRIVATE, DANIEL, MONDAY_10)
    view = verification(engine, [], [PRIVATE], MONDAY_10, UK)
    assert view.state.endswith("as authorised contact (son)")
    assert view.tenancy.may_discuss == "rent"


def test_a_verification_lapses_after_30_quiet_minutes(checks):
    identity, engine = checks
    identity.attempt(ACCOUNT, PRIVATE, MARGARET, MONDAY_10)
    later = MONDAY_10 + timedelta(minutes=31)
    view = verification(engine, [wrote(MONDAY_10)], [PRIVATE], later, UK)
    assert not view.verified and view.tenancy is None
    assert "lapsed" in view.state
    kept = [wrote(MONDAY_10 + timedelta(minutes=20))]
    assert verification(engine, kept, [PRIVATE], later, UK).verified


def test_a_failed_check_shows_no_tenancy_and_no_answer(checks):
    identity, engine = checks
    identity.attempt(ACCOUNT, PRIVATE, WRONG, MONDAY_10)
    view = verification(engine, [], [PRIVATE], MONDAY_10, UK)
    assert not view.verified and view.tenancy is None
    assert view.state == "Not verified: the last identity check failed (Mon 23 Nov, 10:00)"
    for _ in range(2):
        identity.attempt(ACCOUNT, PRIVATE, WRONG, MONDAY_10)
    locked = verification(engine, [], [PRIVATE], MONDAY_10, UK)
    assert "locked" in locked.state and locked.tenancy is None


def test_no_check_in_another_tenants_conversation_counts(checks):
    identity, engine = checks
    identity.attempt(Account("facebook", "other"), "facebook-private-other", MARGARET, MONDAY_10)
    view = verification(engine, [], [PRIVATE, "facebook-public-1"], MONDAY_10, UK)
    assert view.state == "Not verified: no identity check yet"


# Canned replies.


def test_the_holding_message_is_one_canned_reply():
    holding = [c for c in CANNED if c.holding]
    assert len(holding) == 1
    assert "01632 960 000" in " ".join(c.text for c in CANNED)  # filled from the phones


def test_the_reply_chosen():
    holding = next(c for c in CANNED if c.holding)
    other = next(c for c in CANNED if not c.holding)
    assert chosen_reply("", holding.name, False, CANNED) == (holding.text, True)
    assert chosen_reply("", other.name, False, CANNED) == (other.text, False)
    assert chosen_reply("  my words ", holding.name, False, CANNED) == ("my words", False)
    assert chosen_reply("my words", "", True, CANNED) == ("my words", True)
    assert chosen_reply("", "", False, CANNED) == ("", False)


@pytest.mark.parametrize(
    ("replies", "complaint"),
    [
        ([{"name": "x", "text": "call {nowhere_phone}"}], "nowhere_phone"),
        (
            [
                {"name": "x", "text": "a", "holding": True},
                {"name": "y", "text": "b", "holding": True},
            ],
            "only one",
        ),
        ([{"name": "x", "text": "a"}, {"name": "x", "text": "b"}], "same name"),
        ([{"name": "x"}], "text is required"),
    ],
)
def test_canned_replies_that_cannot_be_used_are_refused(replies, complaint):
    raw = yaml.safe_load((ROOT / "association.yml").read_text())
    with pytest.raises(ConfigError, match=complaint):
        parse_association({**raw, "canned_replies": replies})
