"""Strikes and sanctions (P7): malice earns strikes, threats to staff block at once."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.moderation import Assessment, Category, Finding
from bot.moderation.strikes import Sanction, StrikePolicy, sanction

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
POLICY = StrikePolicy(block_after=3, within=timedelta(days=90))


def found(*categories, towards_staff=False):
    return Assessment(tuple(Finding(c, c.value, towards_staff) for c in categories))


@pytest.mark.parametrize(
    "assessment",
    [
        found(),
        found(Category.OBSCENE),
        found(Category.SUSPICIOUS_LINK),
        found(Category.STAFF_NAMED),
        found(Category.OBSCENE, Category.SUSPICIOUS_LINK),
    ],
)
def test_no_malice_no_strike(assessment):
    assert sanction(assessment, [NOW] * 5, NOW, POLICY) == Sanction()


@pytest.mark.parametrize(
    "category", [Category.ABUSE, Category.THREAT, Category.HATE, Category.SEXUAL, Category.SPAM]
)
def test_malice_earns_a_strike(category):
    decided = sanction(found(category), [], NOW, POLICY)
    assert decided.strike and not decided.block and decided.reason == "strike 1 of 3"


def test_the_third_strike_in_the_window_blocks_reports_and_flags():
    earlier = [NOW - timedelta(days=80), NOW - timedelta(days=2)]
    decided = sanction(found(Category.ABUSE), earlier, NOW, POLICY)
    assert (decided.strike, decided.block, decided.report, decided.flag) == (True,) * 4
    assert decided.reason == "3 strikes within 90 days"


def test_strikes_outside_the_window_do_not_count():
    earlier = [NOW - timedelta(days=91), NOW - timedelta(days=200)]
    assert not sanction(found(Category.ABUSE), earlier, NOW, POLICY).block


def test_the_policy_is_a_setting():
    strict = StrikePolicy(block_after=1, within=timedelta(days=7))
    assert sanction(found(Category.SPAM), [], NOW, strict).block


def test_threats_or_abuse_towards_staff_block_at_once():
    decided = sanction(found(Category.THREAT, towards_staff=True), [], NOW, POLICY)
    assert decided.block and decided.flag and decided.strike
    assert "zero tolerance" in decided.reason


def test_abuse_only_the_model_read_earns_no_strike():
    from bot.moderation import MODEL_REASON

    read = Assessment((Finding(Category.ABUSE, MODEL_REASON),))
    assert read.remove and sanction(read, [NOW, NOW], NOW, POLICY) == Sanction()
    shown = Assessment((Finding(Category.ABUSE, MODEL_REASON), Finding(Category.ABUSE, "insults")))
    assert sanction(shown, [NOW, NOW], NOW, POLICY).block


def test_naming_staff_again_within_the_window_after_a_warning_is_a_strike():
    named = found(Category.STAFF_NAMED)
    assert sanction(named, [], NOW, POLICY, earlier_staff_named=[]) == Sanction()
    warned = [NOW - timedelta(days=10)]
    again = sanction(named, [], NOW, POLICY, earlier_staff_named=warned)
    assert again.strike and not again.block
    blocked = sanction(named, [NOW - timedelta(days=5)] * 2, NOW, POLICY, warned)
    assert blocked.block and blocked.report
    long_ago = [NOW - timedelta(days=200)]
    assert sanction(named, [], NOW, POLICY, earlier_staff_named=long_ago) == Sanction()
