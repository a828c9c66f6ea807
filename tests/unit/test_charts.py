"""The dashboard's pictures: SVG drawn on the server, with their words as text, nothing
loaded from elsewhere, and matplotlib loaded only when a chart is drawn."""

import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.console import charts
from bot.console.dashboard_data import (
    DayOfUnderstanding,
    HandoffTally,
    HourCount,
    WeekOfDeadlines,
)
from tests.helpers import CALENDAR, ROOT, UK

SVG = "{http://www.w3.org/2000/svg}"
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)


def words(svg: str) -> str:
    """Every text the picture shows, as a reader would get it."""
    root = ElementTree.fromstring(svg.encode())
    assert root.tag == f"{SVG}svg"
    return " | ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


def a_week_of_hours():
    starts = [NOW - timedelta(hours=167 - i) for i in range(168)]
    return [HourCount(s, i % 5, CALENDAR.is_monitoring(s)) for i, s in enumerate(starts)]


def test_importing_the_console_charts_does_not_load_matplotlib():
    code = (
        "import sys, bot.console.charts, bot.console.dashboard_data;"
        "print('matplotlib' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "False", done.stderr


def test_messages_per_hour_name_the_days_and_the_monitoring_window():
    shown = words(charts.messages_chart(a_week_of_hours(), UK))
    for day in ("Thu 19", "Fri 20", "Mon 23", "Wed 25"):
        assert day in shown
    assert "monitoring hours" in shown and "messages received" in shown


def test_handoffs_show_each_reason_and_each_team():
    tally = HandoffTally(
        {
            ("request_human", "Customer Experience"): 5,
            ("request_human", "Repairs"): 1,
            ("emergency", "Repairs"): 2,
        }
    )
    shown = words(charts.handoffs_chart(tally))
    assert "request human" in shown and "emergency" in shown
    assert "Customer Experience" in shown and "Repairs" in shown


def test_deadlines_show_each_week_as_a_share():
    weeks = [
        WeekOfDeadlines(date(2026, 11, 16), 1, 2, 1, 2),
        WeekOfDeadlines(date(2026, 11, 23), 1, 1, 0, 1),
    ]
    shown = words(charts.deadlines_chart(weeks))
    assert "w/c 16 Nov" in shown and "w/c 23 Nov" in shown
    assert "100%" in shown and "acknowledged in time" in shown and "full reply in time" in shown


def test_intents_and_fallbacks_name_what_they_count():
    shown = words(charts.intents_chart([("ask_rent_balance", 4), ("greet", 2)]))
    assert "ask_rent_balance" in shown and "greet" in shown
    days = [DayOfUnderstanding(date(2026, 11, 24), 4, 1, 1), DayOfUnderstanding(date(2026, 11, 25))]
    shown = words(charts.understanding_chart(days))
    assert "Tue 24" in shown and "fell back" in shown and "unsure" in shown


@pytest.mark.parametrize(
    ("draw", "says"),
    [
        (lambda: charts.handoffs_chart(HandoffTally({})), "No handoffs in this period"),
        (lambda: charts.intents_chart([]), "No messages in this period"),
        (lambda: charts.deadlines_chart([WeekOfDeadlines(date(2026, 11, 23))]), "No deadline"),
        (
            lambda: charts.understanding_chart([DayOfUnderstanding(date(2026, 11, 25))]),
            "No messages in this period",
        ),
    ],
)
def test_a_chart_with_nothing_to_show_says_so(draw, says):
    assert says in words(draw())


def test_a_chart_loads_nothing_from_elsewhere_and_names_a_font_browsers_have():
    svg = charts.messages_chart(a_week_of_hours(), UK)
    body = svg.split("<svg", 1)[1]
    # The only addresses are the XML namespaces' names, which are never fetched.
    for fetched in ('href="http', "url(http", "@import", "<script", "<image"):
        assert fetched not in body
    assert "'sans-serif'" not in svg  # a quoted generic family falls back to serif
    assert svg == charts.messages_chart(a_week_of_hours(), UK)  # the same numbers, the same SVG
