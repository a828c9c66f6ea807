"""The dashboard's pictures, drawn on the server as SVG with matplotlib (Agg, no
internet, no fonts fetched): each function takes the numbers from `dashboard_data`
and returns an SVG document.

matplotlib is imported when the first chart is drawn, not when this module is, and
drawing is blocking work: the staff app calls these in a worker thread. Colours keep
3:1 against white (WCAG's figure for graphics), and no chart tells anything by colour
alone: series differ by hatching or marker too, and the page gives each chart's
numbers as a table.
"""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta
from typing import Any, Dict, Iterator, List, Sequence, Tuple
from zoneinfo import ZoneInfo

from bot.console.dashboard_data import (
    DayOfUnderstanding,
    HandoffTally,
    HourCount,
    WeekOfDeadlines,
)

# Dark enough on white for graphics and for text (each above 4.5:1).
BLUE = "#1f4e9c"
ORANGE = "#a34700"
GREEN = "#2b6a2f"
GREY = "#595959"
PURPLE = "#6a3d9a"
TEAL = "#00606b"
SERIES = (BLUE, ORANGE, GREEN, PURPLE, TEAL, GREY)
HATCHES = ("", "//", "..", "xx", "\\\\", "--")
# The monitoring window's shading: a light tint, named in the legend.
MONITORED = "#dce6f5"
WIDTH, HEIGHT = 8.0, 3.2

# matplotlib's settings are global: one chart is drawn at a time.
_drawing = threading.Lock()
_RC = {
    "svg.fonttype": "none",  # text stays text: selectable, and read by screen readers
    "svg.hashsalt": "console",  # the same numbers draw the same SVG
    "font.size": 10,
    "axes.edgecolor": GREY,
    "axes.labelcolor": "#1a1a1a",
    "xtick.color": "#1a1a1a",
    "ytick.color": "#1a1a1a",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


class _Chart:
    """A figure being drawn, saved as SVG when the `with` block ends."""

    def __init__(self, height: float = HEIGHT) -> None:
        self.height = height
        self.svg = ""

    def __enter__(self) -> Any:
        _drawing.acquire()
        try:
            import matplotlib

            matplotlib.use("Agg")
            from matplotlib.figure import Figure

            self._rc = matplotlib.rc_context(_RC)
            self._rc.__enter__()
            self.figure = Figure(figsize=(WIDTH, self.height), constrained_layout=True)
            return self.figure
        except BaseException:
            _drawing.release()
            raise

    def __exit__(self, *exc_info: Any) -> None:
        try:
            if exc_info[0] is None:
                out = io.StringIO()
                self.figure.savefig(out, format="svg", metadata={"Date": None})
                # matplotlib quotes the generic family, which makes browsers look for a
                # font named "sans-serif" and fall back to a serif one.
                self.svg = out.getvalue().replace("'sans-serif'", "sans-serif")
        finally:
            self._rc.__exit__(*exc_info)
            _drawing.release()


def _nothing_yet(axes: Any, what: str) -> None:
    axes.text(0.5, 0.5, what, ha="center", va="center", transform=axes.transAxes, color=GREY)
    axes.set_xticks([])
    axes.set_yticks([])


def messages_chart(hours: Sequence[HourCount], zone: ZoneInfo) -> str:
    """Messages per hour as bars, over the monitoring window shaded (P1)."""
    chart = _Chart()
    with chart as figure:
        axes = figure.add_subplot()
        if not hours:
            _nothing_yet(axes, "No hours to show")
        else:
            for start, end in _monitored_spans(hours):
                axes.axvspan(start, end, color=MONITORED, linewidth=0)
            axes.bar(
                range(len(hours)),
                [h.count for h in hours],
                width=0.9,
                align="edge",
                color=BLUE,
                label="messages received",
            )
            ticks = [i for i, h in enumerate(hours) if h.start.astimezone(zone).hour == 0]
            axes.set_xticks(ticks, [f"{hours[i].start.astimezone(zone):%a %d}" for i in ticks])
            axes.set_xlim(0, len(hours))
            axes.set_ylabel("messages per hour")
            axes.yaxis.get_major_locator().set_params(integer=True)
            from matplotlib.patches import Patch

            handles = [
                Patch(color=BLUE, label="messages received"),
                Patch(facecolor=MONITORED, edgecolor=GREY, label="monitoring hours"),
            ]
            axes.legend(
                handles=handles, loc="lower left", bbox_to_anchor=(0, 1), frameon=False, ncol=2
            )
    return chart.svg


def _monitored_spans(hours: Sequence[HourCount]) -> Iterator[Tuple[int, int]]:
    start = None
    for i, hour in enumerate(hours):
        if hour.monitored and start is None:
            start = i
        elif not hour.monitored and start is not None:
            yield start, i
            start = None
    if start is not None:
        yield start, len(hours)


def handoffs_chart(tally: HandoffTally) -> str:
    """Handoffs by reason (one bar each), split by the team that has them."""
    reasons = tally.reasons
    chart = _Chart(height=max(2.4, 0.45 * len(reasons) + 1.2))
    with chart as figure:
        axes = figure.add_subplot()
        if not reasons:
            _nothing_yet(axes, "No handoffs in this period")
        else:
            labels = [r.replace("_", " ") for r in reasons]
            left = [0] * len(reasons)
            for n, team in enumerate(tally.teams):
                counts = [tally.count(r, team) for r in reasons]
                axes.barh(
                    labels,
                    counts,
                    left=left,
                    color=SERIES[n % len(SERIES)],
                    hatch=HATCHES[n % len(HATCHES)],
                    edgecolor="white",
                    label=team,
                )
                left = [a + b for a, b in zip(left, counts, strict=True)]
            axes.invert_yaxis()
            axes.set_xlabel("handoffs")
            axes.xaxis.get_major_locator().set_params(integer=True)
            axes.legend(frameon=False, loc="upper left", bbox_to_anchor=(1, 1), title="team")
    return chart.svg


def deadlines_chart(weeks: Sequence[WeekOfDeadlines]) -> str:
    """The share of acknowledge-by and reply-by deadlines met, week by week (P3)."""
    chart = _Chart()
    with chart as figure:
        axes = figure.add_subplot()
        if not any(w.acknowledge_due or w.reply_due for w in weeks):
            _nothing_yet(axes, "No deadline has fallen due yet")
        else:
            x = list(range(len(weeks)))
            series = (
                ("acknowledged in time", [w.acknowledge_share for w in weeks], -0.2, ""),
                ("full reply in time", [w.reply_share for w in weeks], 0.2, "//"),
            )
            for n, (label, values, shift, hatch) in enumerate(series):
                axes.bar(
                    [i + shift for i in x],
                    [100 * v if v is not None else 0 for v in values],
                    width=0.4,
                    color=SERIES[n],
                    hatch=hatch,
                    edgecolor="white",
                    label=label,
                )
            axes.set_xticks(x, [f"w/c {w.week:%d %b}" for w in weeks])
            axes.set_ylim(0, 105)
            axes.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
            axes.set_ylabel("deadlines met")
            axes.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1), ncol=2)
    return chart.svg


def feedback_chart(weeks: Sequence[date], ratings: Dict[str, Dict[date, Tuple[float, int]]]) -> str:
    """The mean rating tenants gave after their conversations, by team, week by week."""
    chart = _Chart()
    with chart as figure:
        axes = figure.add_subplot()
        teams = sorted(team for team, by_week in ratings.items() if by_week)
        if not teams:
            _nothing_yet(axes, "No tenant has given a rating yet")
        else:
            x = list(range(len(weeks)))
            width = 0.8 / len(teams)
            for n, team in enumerate(teams):
                shift = -0.4 + width * (n + 0.5)
                axes.bar(
                    [i + shift for i in x],
                    [ratings[team].get(week, (0.0, 0))[0] for week in weeks],
                    width=width,
                    color=SERIES[n % len(SERIES)],
                    hatch=HATCHES[n % len(HATCHES)],
                    edgecolor="white",
                    label=team,
                )
            axes.set_xticks(x, [f"w/c {week:%d %b}" for week in weeks])
            axes.set_ylim(0, 5.2)
            axes.set_yticks([0, 1, 2, 3, 4, 5])
            axes.set_ylabel("mean rating (1 to 5)")
            axes.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1), ncol=4)
    return chart.svg


def intents_chart(intents: Sequence[Tuple[str, int]]) -> str:
    """The most common intents of tenants' messages, as bars."""
    chart = _Chart(height=max(2.4, 0.35 * len(intents) + 1.0))
    with chart as figure:
        axes = figure.add_subplot()
        if not intents:
            _nothing_yet(axes, "No messages in this period")
        else:
            axes.barh([name for name, _ in intents], [n for _, n in intents], color=BLUE)
            axes.invert_yaxis()
            axes.set_xlabel("messages")
            axes.xaxis.get_major_locator().set_params(integer=True)
    return chart.svg


def understanding_chart(days: Sequence[DayOfUnderstanding]) -> str:
    """The share of messages the assistant fell back on, and was unsure of, each day."""
    chart = _Chart()
    with chart as figure:
        axes = figure.add_subplot()
        if not any(d.messages for d in days):
            _nothing_yet(axes, "No messages in this period")
        else:
            x = list(range(len(days)))
            fell_back = _percent([(d.fell_back, d.messages) for d in days])
            unsure = _percent([(d.unsure, d.messages) for d in days])
            axes.plot(x, fell_back, color=ORANGE, marker="o", label="fell back (asked again)")
            axes.plot(
                x, unsure, color=BLUE, marker="s", linestyle="--", label="unsure (below threshold)"
            )
            axes.set_xticks(x, [f"{d.day:%a %d}" for d in days])
            axes.set_ylim(0, 105)
            axes.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
            axes.set_ylabel("share of messages")
            axes.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1), ncol=2)
            for label in axes.get_xticklabels():
                label.set_rotation(45)
    return chart.svg


def _percent(pairs: Sequence[Tuple[int, int]]) -> List[float]:
    # A day with no messages is drawn as a gap, not as 0%.
    return [100 * part / whole if whole else float("nan") for part, whole in pairs]


def hour_span(hours: Sequence[HourCount], zone: ZoneInfo) -> str:
    """The period `hours` covers, in words, for a chart's caption."""
    if not hours:
        return ""
    first = hours[0].start.astimezone(zone)
    last = (hours[-1].start + timedelta(hours=1)).astimezone(zone)
    return f"{first:%a %d %b %H:%M} to {last:%a %d %b %H:%M}"
