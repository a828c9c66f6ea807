"""The dashboard page: pictures of the assistant at work, each with its words.

Five charts, drawn on the server (bot/console/charts.py) and served as SVG images from
`/dashboard/<name>.svg`: messages per hour against the monitoring window (P1), handoffs
by reason and team, the share of deadlines met each week (P3), the most common intents,
and how often the assistant fell back or was unsure. Each has a text alternative: a
short description as the image's `alt`, a caption, and a table of the numbers, so the
page says everything without the pictures.

The numbers come from the project's store and, read-only, from the tracker store the
Rasa server writes (the endpoints file of ENDPOINTS_FILE). Reading them and drawing
are blocking: both run off the event loop. Every role but trainer may see the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Dict, List, Sequence, Tuple
from zoneinfo import ZoneInfo

from sanic import Blueprint, Request
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse

from bot.association import load_association
from bot.console import charts
from bot.console.dashboard_data import (
    DayOfUnderstanding,
    HandoffTally,
    HourCount,
    Understanding,
    WeekOfDeadlines,
    common_intents,
    deadlines_met_per_week,
    handoffs_by_reason_and_team,
    messages_per_hour,
    shares,
    tracker_reader,
    tracker_store_url,
    understanding_config,
    understanding_per_day,
)
from bot.console.web import Console
from bot.feedback.surveys import Surveys, by_team_and_week
from bot.handoff.working_hours import WorkingCalendar
from bot.settings import PROJECT_ROOT
from bot.store import keys_of

# The periods each chart covers.
MESSAGE_HOURS = 7 * 24
HANDOFF_DAYS = 30
DEADLINE_WEEKS = 8
FEEDBACK_WEEKS = 8
# {team: {week: (mean rating, how many)}}
Ratings = Dict[str, Dict[date, Tuple[float, int]]]
INTENT_DAYS = 30
TOP_INTENTS = 10
UNDERSTANDING_DAYS = 14
# An SVG image is a document of its own: it may use its inline styles (matplotlib's),
# and nothing else: no script, no loads.
SVG_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Figure:
    """One chart as the page shows it: its picture's address and its words.

    Attributes:
        name: the chart's name in its address (`/dashboard/<name>.svg`).
        title: the heading.
        alt: what the picture shows, in a sentence or two (the image's text alternative).
        caption: what is counted, and over which period.
        columns: the table's column headings; `rows` its cells.
    """

    name: str
    title: str
    alt: str
    caption: str
    columns: Tuple[str, ...]
    rows: List[Tuple[str, ...]] = field(default_factory=list)


class Dashboard:
    """The dashboard's numbers and pictures over the stores, at the clock's time."""

    def __init__(
        self,
        console: Console,
        calendar: WorkingCalendar,
        understanding: Understanding,
        tracker_url: object | None,
    ) -> None:
        self._console = console
        self.calendar = calendar
        self.understanding = understanding
        # The console's keys are the Rasa server's: the conversations are read decrypted.
        self._tracker = tracker_reader(tracker_url, keys_of(console.engine.dialect))

    @classmethod
    def for_console(cls, console: Console) -> Dashboard:
        """The dashboard over the console's store, calendar, and tracker store."""
        settings = console.settings
        association = load_association(settings.association_file)
        return cls(
            console,
            WorkingCalendar.from_config(association.monitoring),
            understanding_config(PROJECT_ROOT / "config.yml"),
            tracker_store_url(settings.endpoints_file, PROJECT_ROOT),
        )

    # The numbers -----------------------------------------------------------------

    def hours(self, now: datetime) -> List[HourCount]:
        """Messages per hour over the last week."""
        return messages_per_hour(self._console.engine, self.calendar, now, MESSAGE_HOURS)

    def handoffs(self, now: datetime) -> HandoffTally:
        """Handoffs by reason and team over the last 30 days."""
        return handoffs_by_reason_and_team(self._console.engine, now - timedelta(days=HANDOFF_DAYS))

    def deadlines(self, now: datetime) -> List[WeekOfDeadlines]:
        """Deadlines met, week by week."""
        return deadlines_met_per_week(self._console.engine, self.calendar.zone, now, DEADLINE_WEEKS)

    def intents(self, now: datetime) -> List[Tuple[str, int]]:
        """The most common intents over the last 30 days."""
        if self._tracker is None:
            return []
        return common_intents(self._tracker, now - timedelta(days=INTENT_DAYS), TOP_INTENTS)

    def feedback(self, now: datetime) -> Tuple[List[date], Ratings]:
        """The weeks shown, and the ratings after conversations by team and week (P11)."""
        this_week = now.astimezone(self.calendar.zone).date()
        this_week -= timedelta(days=this_week.weekday())
        weeks = [this_week - timedelta(weeks=FEEDBACK_WEEKS - 1 - i) for i in range(FEEDBACK_WEEKS)]
        since = datetime.combine(weeks[0], datetime.min.time(), self.calendar.zone)
        ratings = by_team_and_week(Surveys(self._console.engine).ratings(since))
        return weeks, ratings

    def days(self, now: datetime) -> List[DayOfUnderstanding]:
        """Fallbacks and unsure guesses, day by day."""
        if self._tracker is None:
            return understanding_per_day_empty(self.calendar, now)
        return understanding_per_day(
            self._tracker, self.understanding, self.calendar.zone, now, UNDERSTANDING_DAYS
        )

    # The pictures and their words ------------------------------------------------

    def figures(self, now: datetime) -> List[Figure]:
        """Every chart's words (no drawing): the page."""
        zone = self.calendar.zone
        return [
            messages_figure(self.hours(now), zone, self.calendar.hours.describe()),
            handoffs_figure(self.handoffs(now)),
            deadlines_figure(self.deadlines(now)),
            intents_figure(self.intents(now)),
            understanding_figure(self.days(now), self.understanding, self._tracker is not None),
            feedback_figure(*self.feedback(now)),
        ]

    def svg(self, name: str, now: datetime) -> str:
        """The chart called `name`, drawn.

        Raises:
            KeyError: there is no chart of that name.
        """
        draw: Dict[str, Callable[[], str]] = {
            "messages": lambda: charts.messages_chart(self.hours(now), self.calendar.zone),
            "handoffs": lambda: charts.handoffs_chart(self.handoffs(now)),
            "deadlines": lambda: charts.deadlines_chart(self.deadlines(now)),
            "intents": lambda: charts.intents_chart(self.intents(now)),
            "understanding": lambda: charts.understanding_chart(self.days(now)),
            "feedback": lambda: charts.feedback_chart(*self.feedback(now)),
        }
        return draw[name]()


def understanding_per_day_empty(
    calendar: WorkingCalendar, now: datetime
) -> List[DayOfUnderstanding]:
    """The days of the fallbacks chart, each with nothing, when there is no SQL tracker store."""
    today = now.astimezone(calendar.zone).date()
    return [
        DayOfUnderstanding(today - timedelta(days=UNDERSTANDING_DAYS - 1 - i))
        for i in range(UNDERSTANDING_DAYS)
    ]


def _percent(share: float | None) -> str:
    return "none due" if share is None else f"{round(100 * share)}%"


def _met(share: float | None, met: int, due: int) -> str:
    return f"{_percent(share)} ({met} of {due})"


def messages_figure(hours: Sequence[HourCount], zone: ZoneInfo, window: str) -> Figure:
    """Messages per hour: the picture's words, and a table by day; `window` says the
    monitoring hours in words."""
    total = sum(h.count for h in hours)
    monitored = sum(h.count for h in hours if h.monitored)
    busiest = max(hours, key=lambda h: h.count, default=None)
    by_day: Dict[str, List[int]] = {}
    for hour in hours:
        day = f"{hour.start.astimezone(zone):%a %d %b}"
        counts = by_day.setdefault(day, [0, 0, 0])
        counts[0] += hour.count
        counts[1 if hour.monitored else 2] += hour.count
    alt = (
        f"Bar chart of messages received each hour, {charts.hour_span(hours, zone)}, over"
        f" shaded monitoring hours: {total} messages, {monitored} in monitoring hours and"
        f" {total - monitored} outside them."
    )
    if busiest is not None and busiest.count:
        alt += f" The busiest hour began {busiest.start.astimezone(zone):%a %d %b %H:%M}"
        alt += f" with {busiest.count}."
    return Figure(
        name="messages",
        title="Messages per hour",
        alt=alt,
        caption=(
            "Messages received from tenants each hour over the last 7 days (UK time),"
            f" against the monitoring window ({window}, not on bank holidays; shaded)."
        ),
        columns=("Day", "Messages", "In monitoring hours", "Outside them"),
        rows=[(day, *(str(n) for n in counts)) for day, counts in by_day.items()],
    )


def handoffs_figure(tally: HandoffTally) -> Figure:
    """Handoffs by reason and team: the picture's words and the table of counts."""
    teams = tally.teams
    reasons = tally.reasons
    if reasons:
        top = reasons[0]
        alt = (
            f"Horizontal bar chart of {tally.total} handoffs by reason, each bar split by"
            f" team; the most frequent reason is {top.replace('_', ' ')}"
            f" ({sum(tally.count(top, t) for t in teams)})."
        )
    else:
        alt = "Empty chart: no handoffs in the last 30 days."
    return Figure(
        name="handoffs",
        title="Handoffs by reason and team",
        alt=alt,
        caption=(
            "Conversations handed to people in the last 30 days, by why, and by the team"
            " that has them now."
        ),
        columns=("Reason", *teams, "Total"),
        rows=[
            (
                r.replace("_", " "),
                *(str(tally.count(r, t)) for t in teams),
                str(sum(tally.count(r, t) for t in teams)),
            )
            for r in reasons
        ],
    )


def deadlines_figure(weeks: Sequence[WeekOfDeadlines]) -> Figure:
    """Deadlines met each week: the picture's words and the table."""
    due = [w for w in weeks if w.acknowledge_due or w.reply_due]
    if due:
        latest = due[-1]
        alt = (
            f"Bar chart of the share of deadlines met each week for the last {len(weeks)}"
            f" weeks; in the week of {latest.week:%d %b}, {_percent(latest.acknowledge_share)}"
            f" of acknowledgements and {_percent(latest.reply_share)} of full replies were"
            " in time."
        )
    else:
        alt = f"Empty chart: no deadline fell due in the last {len(weeks)} weeks."
    return Figure(
        name="deadlines",
        title="Deadlines met each week",
        alt=alt,
        caption=(
            "The share of handoffs acknowledged within 2 working hours and fully answered"
            " within 4 (P3; emergencies: 30 minutes and 2 hours), by the week each deadline"
            " fell due. A deadline still to come is not counted."
        ),
        columns=("Week beginning", "Acknowledged in time", "Full reply in time"),
        rows=[
            (
                f"{w.week:%a %d %b %Y}",
                _met(w.acknowledge_share, w.acknowledged_in_time, w.acknowledge_due),
                _met(w.reply_share, w.replied_in_time, w.reply_due),
            )
            for w in weeks
        ],
    )


def feedback_figure(weeks: Sequence[date], ratings: Ratings) -> Figure:
    """Ratings after conversations, by team and week: the picture's words and the table."""
    teams = sorted(ratings)
    given = sum(n for by_week in ratings.values() for _, n in by_week.values())
    if given:
        means = ", ".join(f"{team} {_mean(ratings[team])}" for team in teams if ratings[team])
        alt = (
            f"Bar chart of the mean rating (1 to 5) tenants gave after their conversations,"
            f" by team, for each of the last {len(weeks)} weeks; {given} ratings in all."
            f" Over the period: {means}."
        )
    else:
        alt = f"Empty chart: no tenant gave a rating in the last {len(weeks)} weeks."
    return Figure(
        name="feedback",
        title="Ratings after conversations, by team and week",
        alt=alt,
        caption=(
            "The mean of the ratings (1 poor, 5 great) tenants gave when asked after a"
            " handoff was closed (the team that had it) or after a conversation the"
            " assistant resolved on its own (Assistant), by the week it was given"
            " (P11). The number of ratings is in brackets."
        ),
        columns=("Week beginning", *teams) if teams else ("Week beginning", "Ratings"),
        rows=[
            (
                f"{week:%a %d %b %Y}",
                *(
                    f"{ratings[t][week][0]:.1f} ({ratings[t][week][1]})"
                    if week in ratings[t]
                    else "none"
                    for t in teams
                ),
            )
            if teams
            else (f"{week:%a %d %b %Y}", "none")
            for week in weeks
        ],
    )


def _mean(by_week: Dict[date, Tuple[float, int]]) -> str:
    total = sum(mean * n for mean, n in by_week.values())
    count = sum(n for _, n in by_week.values())
    return f"{total / count:.1f} of 5 ({count})"


def intents_figure(intents: Sequence[Tuple[str, int]]) -> Figure:
    """The most common intents: the picture's words and the table."""
    if intents:
        listed = ", ".join(f"{name} ({n})" for name, n in intents[:3])
        alt = f"Horizontal bar chart of the {len(intents)} most common intents; the top: {listed}."
    else:
        alt = "Empty chart: no messages in the last 30 days."
    return Figure(
        name="intents",
        title="The most common intents",
        alt=alt,
        caption=(
            f"What tenants' messages meant, as the model read them, over the last"
            f" {INTENT_DAYS} days: the top {TOP_INTENTS}. Messages it was not sure of are"
            " counted in the next chart."
        ),
        columns=("Intent", "Messages"),
        rows=[(name, str(n)) for name, n in intents],
    )


def understanding_figure(
    days: Sequence[DayOfUnderstanding], understanding: Understanding, readable: bool
) -> Figure:
    """Fallbacks and unsure guesses: the picture's words and the table."""
    fell_back, unsure = shares(days)
    if fell_back is not None:
        alt = (
            f"Line chart of the share of messages the assistant fell back on and was unsure"
            f" of, each day for the last {len(days)} days: overall {_percent(fell_back)}"
            f" fell back and {_percent(unsure)} were unsure."
        )
    else:
        alt = f"Empty chart: no messages in the last {len(days)} days."
    caption = (
        "Fell back: the assistant asked the tenant to say it again, or handed over,"
        " because it did not understand (nlu_fallback, or a fallback action). Unsure: its"
        f" best guess was below the fallback threshold ({understanding.threshold:g},"
        " config.yml)."
    )
    if not readable:
        caption += " The tracker store is not an SQL store, so the dashboard cannot read it."
    return Figure(
        name="understanding",
        title="How often the assistant fell back or was unsure",
        alt=alt,
        caption=caption,
        columns=("Day", "Messages", "Fell back", "Unsure"),
        rows=[
            (
                f"{d.day:%a %d %b}",
                str(d.messages),
                f"{d.fell_back} ({_percent(d.fell_back / d.messages)})" if d.messages else "0",
                f"{d.unsure} ({_percent(d.unsure / d.messages)})" if d.messages else "0",
            )
            for d in days
        ],
    )


def routes(console: Console) -> Blueprint:
    """The dashboard page and its pictures."""
    bp = Blueprint("console_dashboard")
    dashboard = Dashboard.for_console(console)
    names = ("messages", "handoffs", "deadlines", "intents", "understanding", "feedback")

    @bp.get("/dashboard")
    async def page(request: Request) -> HTTPResponse:
        figures = await console.run(dashboard.figures, console.clock())
        return console.render(request, "dashboard.html", figures=figures)

    @bp.get(r"/dashboard/<file:[a-z]+\.svg>")
    async def picture(request: Request, file: str) -> HTTPResponse:
        name = file.removesuffix(".svg")
        if name not in names:
            raise NotFound(f"There is no chart called {name}.")
        svg = await console.run(dashboard.svg, name, console.clock())
        return HTTPResponse(svg, content_type="image/svg+xml; charset=utf-8", headers=SVG_HEADERS)

    return bp
