"""The one question after a conversation (P11): when a tenant may be asked (the
platform's window, once, their no, an open complaint, an emergency out of hours), and
what counts as an answer."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.feedback.surveys import (
    Answer,
    Occasion,
    Surveys,
    by_team_and_week,
    read_answer,
    why_not,
)
from bot.store import connect
from tests.helpers import store_keys

NOW = datetime(2026, 12, 1, 11, 0, tzinfo=timezone.utc)  # a Tuesday, in hours


def occasion(platform="facebook", last=NOW - timedelta(minutes=5), emergency=False):
    return Occasion(
        "handoff:h-1", "facebook-private-p1", platform, "p1", "Repairs", last, emergency
    )


def asked(occasion, now=NOW, in_hours=True, before=False, until=None, complaint=False):
    return why_not(occasion, now, in_hours, before, until, complaint)


def test_a_tenant_who_wrote_lately_may_be_asked():
    assert asked(occasion()) is None


@pytest.mark.parametrize(
    "case, why",
    [
        (dict(before=True), "asked already"),
        (dict(until=NOW + timedelta(days=30)), "said no"),
        (dict(complaint=True), "a complaint is open"),
        (dict(in_hours=False), None),  # out of hours is fine, but not for an emergency
    ],
)
def test_once_never_after_a_no_nor_with_a_complaint_open(case, why):
    assert asked(occasion(), **case) == why


def test_a_no_lapses_after_its_days():
    assert asked(occasion(), until=NOW - timedelta(seconds=1)) is None


def test_never_out_of_hours_after_an_emergency():
    assert asked(occasion(emergency=True), in_hours=False) == "an emergency, out of hours"
    assert asked(occasion(emergency=True), in_hours=True) is None


@pytest.mark.parametrize("platform", ["facebook", "instagram"])
def test_only_inside_messengers_and_instagrams_24_hours(platform):
    late = occasion(platform, last=NOW - timedelta(hours=24))
    assert asked(late) == "outside the platform's window"
    assert asked(occasion(platform, last=None)) == "outside the platform's window"
    assert asked(occasion(platform, last=NOW - timedelta(hours=23, minutes=59))) is None


def test_x_has_no_window():
    assert asked(occasion("twitter", last=NOW - timedelta(days=5))) is None


@pytest.mark.parametrize(
    "text, answer",
    [
        ("5", Answer(5, "")),
        ("4 - quick and friendly", Answer(4, "quick and friendly")),
        ("1. nobody came and nobody rang", Answer(1, "nobody came and nobody rang")),
        ("3/5 ok i suppose", Answer(3, "ok i suppose")),
        ("2 out of 5, slow", Answer(2, "slow")),
        ("Five!", Answer(5, "")),
        ("no thanks", Answer(None, "", declined=True)),
        ("Stop", Answer(None, "", declined=True)),
        ("don't ask me again", Answer(None, "", declined=True)),
    ],
)
def test_an_answer_is_a_rating_with_words_or_no(text, answer):
    assert read_answer(text) == answer


@pytest.mark.parametrize(
    "text",
    ["my boiler is broken again", "6", "10 out of 10", "12 Elm Road", "no heating", "", "0"],
)
def test_anything_else_is_no_answer(text):
    assert read_answer(text) is None


def test_asked_once_per_occasion_and_the_answer_kept(tmp_path):
    store = Surveys(connect(f"sqlite:///{tmp_path / 's.db'}", store_keys()))
    first = store.record_asked(occasion(), NOW)
    assert first is not None and store.record_asked(occasion(), NOW) is None
    assert store.asked("handoff:h-1")
    waiting = store.pending("facebook-private-p1", NOW + timedelta(hours=1))
    assert waiting.id == first and waiting.team == "Repairs"
    assert store.pending("facebook-private-p1", NOW + timedelta(days=1, seconds=1)) is None
    store.answer(first, Answer(2, "slow"), NOW + timedelta(hours=1))
    assert store.pending("facebook-private-p1", NOW + timedelta(hours=1)) is None
    assert store.ratings(NOW - timedelta(days=1)) == [
        ("Repairs", NOW.date() - timedelta(days=1), 2)
    ]
    store.opt_out("facebook", "p1", NOW + timedelta(days=90))
    store.opt_out("facebook", "p1", NOW + timedelta(days=91))  # said again: the later stands
    assert store.opted_out_until("facebook", "p1") == NOW + timedelta(days=91)


def test_results_by_team_and_week():
    monday = NOW.date() - timedelta(days=1)
    rated = [("Repairs", monday, 2), ("Repairs", monday, 4), ("Assistant", monday, 5)]
    assert by_team_and_week(rated) == {
        "Repairs": {monday: (3.0, 2)},
        "Assistant": {monday: (5.0, 1)},
    }
