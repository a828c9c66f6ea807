"""P1 monitoring hours and P3 deadlines in working hours, on the configured calendar."""

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.association import load_association
from bot.handoff.working_hours import CalendarError, WorkingCalendar, describe_when
from tests.helpers import CALENDAR, ROOT, UK

HOURS = load_association(ROOT / "association.yml").monitoring


def uk(*args):
    return datetime(*args, tzinfo=UK)


@pytest.mark.parametrize(
    ("t", "monitoring"),
    [
        (uk(2026, 11, 23, 8, 59), False),  # Monday, a minute before opening
        (uk(2026, 11, 23, 9, 0), True),  # opening time counts
        (uk(2026, 11, 23, 16, 59), True),
        (uk(2026, 11, 23, 17, 0), False),  # closing time does not
        (uk(2026, 11, 21, 12, 0), False),  # Saturday
        (uk(2026, 11, 22, 12, 0), False),  # Sunday
        (uk(2026, 4, 3, 12, 0), False),  # Good Friday
        (uk(2026, 4, 6, 12, 0), False),  # Easter Monday
        (uk(2026, 12, 25, 12, 0), False),  # Christmas Day
        (uk(2026, 12, 28, 12, 0), False),  # Boxing Day substitute (26th is a Saturday)
        (uk(2026, 12, 29, 12, 0), True),
        (uk(2026, 8, 31, 10, 0), False),  # late summer bank holiday
        (uk(2026, 7, 1, 9, 30), True),  # BST
        (datetime(2026, 7, 1, 8, 30, tzinfo=timezone.utc), True),  # 09:30 BST
        (datetime(2026, 1, 7, 8, 30, tzinfo=timezone.utc), False),  # 08:30 GMT
    ],
)
def test_is_monitoring(t, monitoring):
    assert CALENDAR.is_monitoring(t) is monitoring


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (uk(2026, 11, 23, 10, 0), uk(2026, 11, 23, 10, 0)),  # already monitoring
        (uk(2026, 11, 23, 8, 59), uk(2026, 11, 23, 9, 0)),
        (uk(2026, 11, 23, 17, 0), uk(2026, 11, 24, 9, 0)),
        (uk(2026, 11, 20, 17, 30), uk(2026, 11, 23, 9, 0)),  # Friday evening -> Monday
        (uk(2026, 4, 2, 17, 0), uk(2026, 4, 7, 9, 0)),  # Easter: Good Friday to Easter Monday
        (uk(2026, 12, 24, 17, 0), uk(2026, 12, 29, 9, 0)),  # Christmas and the substitute day
    ],
)
def test_next_monitoring_start(t, expected):
    assert CALENDAR.next_monitoring_start(t) == expected


@pytest.mark.parametrize(
    ("t", "hours", "expected"),
    [
        (uk(2026, 11, 20, 16, 30), 2, uk(2026, 11, 23, 10, 30)),  # Friday 16:30 + 2 = Monday 10:30
        (uk(2026, 11, 23, 10, 0), 2, uk(2026, 11, 23, 12, 0)),
        (uk(2026, 11, 23, 10, 0), 4, uk(2026, 11, 23, 14, 0)),
        (uk(2026, 11, 23, 8, 59), 2, uk(2026, 11, 23, 11, 0)),  # before opening counts from 9
        (uk(2026, 11, 23, 17, 0), 2, uk(2026, 11, 24, 11, 0)),  # at closing counts from tomorrow
        (uk(2026, 11, 23, 15, 0), 2, uk(2026, 11, 23, 17, 0)),  # uses the day up exactly
        (uk(2026, 11, 21, 11, 0), 2, uk(2026, 11, 23, 11, 0)),  # weekend: from Monday 9am
        (uk(2026, 4, 2, 16, 0), 2, uk(2026, 4, 7, 10, 0)),  # over Good Friday and Easter Monday
        (uk(2026, 12, 24, 16, 0), 4, uk(2026, 12, 29, 12, 0)),  # over Christmas and the 28th
        (uk(2026, 3, 27, 16, 0), 2, uk(2026, 3, 30, 10, 0)),  # over the change to BST (29 Mar)
        (uk(2026, 10, 23, 16, 0), 4, uk(2026, 10, 26, 12, 0)),  # over the change to GMT (25 Oct)
        (uk(2026, 11, 23, 12, 0), 0, uk(2026, 11, 23, 12, 0)),
        (uk(2026, 11, 20, 13, 0), 12, uk(2026, 11, 23, 17, 0)),  # 4h Friday, all of Monday
    ],
)
def test_add_working_hours(t, hours, expected):
    assert CALENDAR.add_working_hours(t, hours) == expected


def test_extra_closure_days_are_closed():
    closed = WorkingCalendar.from_config(replace(HOURS, extra_closures=(date(2026, 11, 23),)))
    assert not closed.is_monitoring(uk(2026, 11, 23, 12, 0))
    assert closed.add_working_hours(uk(2026, 11, 20, 16, 0), 2) == uk(2026, 11, 24, 10, 0)


def test_other_hours_come_from_configuration():
    saturdays = WorkingCalendar.from_config(
        replace(HOURS, days=(5,), opens=time(10), closes=time(12))
    )
    assert saturdays.is_monitoring(uk(2026, 11, 21, 11, 0))
    assert saturdays.add_working_hours(uk(2026, 11, 21, 11, 0), 2) == uk(2026, 11, 28, 11, 0)


def test_unknown_calendars_are_refused():
    with pytest.raises(CalendarError, match="bank_holidays"):
        WorkingCalendar.from_config(replace(HOURS, bank_holidays="mars"))


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.is_monitoring(datetime(2026, 11, 23, 12, 0))


@pytest.mark.parametrize(
    ("t", "now", "words"),
    [
        (uk(2026, 11, 23, 14, 30), uk(2026, 11, 23, 10, 0), "2:30pm"),
        (uk(2026, 11, 24, 9, 0), uk(2026, 11, 23, 18, 0), "tomorrow at 9am"),
        (uk(2026, 11, 23, 9, 0), uk(2026, 11, 20, 18, 0), "Monday at 9am"),
        (uk(2026, 12, 29, 9, 0), uk(2026, 12, 18, 18, 0), "Tuesday 29 December at 9am"),
        (datetime(2026, 7, 1, 13, 30, tzinfo=timezone.utc), uk(2026, 7, 1, 9, 0), "2:30pm"),
    ],
)
def test_describe_when_in_uk_time(t, now, words):
    assert describe_when(t, now, UK) == words


instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UK)
)


@settings(max_examples=300, deadline=None)
@given(start=instants, hours=st.floats(min_value=0.01, max_value=40))
def test_a_deadline_never_falls_in_closed_time_nor_before_its_start(start, hours):
    deadline = CALENDAR.add_working_hours(start, hours)
    assert deadline > start
    closing = datetime.combine(deadline.date(), HOURS.closes, UK)
    assert CALENDAR.is_monitoring(deadline) or (
        deadline == closing and CALENDAR.is_working_day(deadline.date())
    )


@settings(max_examples=300, deadline=None)
@given(start=instants)
def test_monitoring_next_starts_at_an_open_instant_not_before_t(start):
    opens = CALENDAR.next_monitoring_start(start)
    assert opens >= start
    assert CALENDAR.is_monitoring(opens)
    assert not CALENDAR.is_monitoring(opens - timedelta(minutes=1)) or opens == start


@settings(max_examples=200, deadline=None)
@given(start=instants, a=st.floats(0, 20), b=st.floats(0, 20))
# Found by the property: eight hours from New Year's Day (a bank holiday) end at Friday's
# closing time, and no more time added there had jumped to Monday's opening.
@example(start=datetime(2026, 1, 1, tzinfo=UK), a=8.0, b=0.0)
def test_working_hours_add_up(start, a, b):
    once = CALENDAR.add_working_hours(start, a + b)
    twice = CALENDAR.add_working_hours(CALENDAR.add_working_hours(start, a), b)
    assert abs(once - twice) < timedelta(milliseconds=1)


def test_no_time_added_at_a_closing_time_stays_at_it():
    closing = datetime(2026, 1, 2, 17, 0, tzinfo=UK)  # a Friday
    assert CALENDAR.add_working_hours(closing, 0) == closing
    assert CALENDAR.add_working_hours(closing, 1) == datetime(2026, 1, 5, 10, 0, tzinfo=UK)
