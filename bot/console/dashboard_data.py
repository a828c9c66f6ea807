"""The numbers behind the staff dashboard: how busy the accounts are, where handoffs go,
whether people meet their deadlines (P3), and how well the assistant understands.

Pure reads over two stores, each passed in: the project's store (webhook events,
handoffs) and Rasa's tracker store (its `events` table, read-only, through
`bot.protection.conversations`, decrypted with the console's keys: what tenants meant
and when the assistant fell back). Nothing here reads what a message said: only its
time, its intent and how sure the model was (P5, P9). Every function takes `now`, so
that a test and a server with a fixed clock see the same windows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Tuple
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import func, or_, select
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError

from bot.handoff.working_hours import WorkingCalendar
from bot.keys import DataKeys
from bot.protection import conversations
from bot.protection.conversations import TrackerEvents, tracker_events
from bot.store import as_aware, handoffs, inbound_events, to_utc

# The intent Rasa's FallbackClassifier puts in place of one it is not sure of, and the
# action its rules then run.
NLU_FALLBACK = "nlu_fallback"
DEFAULT_FALLBACK_ACTION = "action_default_fallback"
# config.yml's values if it names none (Rasa's own defaults).
DEFAULT_THRESHOLD = 0.3


# --- where the numbers come from -----------------------------------------------------


@dataclass(frozen=True)
class Understanding:
    """How the assistant decides it did not understand (config.yml).

    Attributes:
        threshold: FallbackClassifier's threshold: a top intent below it is unsure.
        fallback_actions: actions that mean the assistant fell back and asked again.
    """

    threshold: float = DEFAULT_THRESHOLD
    fallback_actions: Tuple[str, ...] = (DEFAULT_FALLBACK_ACTION,)


def understanding_config(config_file: Path) -> Understanding:
    """The fallback threshold and fallback actions that `config_file` sets."""
    raw = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    threshold = DEFAULT_THRESHOLD
    for component in raw.get("pipeline") or ():
        if component.get("name") == "FallbackClassifier":
            threshold = float(component.get("threshold", DEFAULT_THRESHOLD))
    actions = [DEFAULT_FALLBACK_ACTION]
    for policy in raw.get("policies") or ():
        if policy.get("name") == "RulePolicy" and policy.get("core_fallback_action_name"):
            actions.append(str(policy["core_fallback_action_name"]))
    return Understanding(threshold, tuple(dict.fromkeys(actions)))


def tracker_store_url(endpoints_file: Path, project: Path) -> str | URL | None:
    """The address of the SQL tracker store `endpoints_file` configures, or None.

    As `bot.protection.conversations.tracker_store_url` reads it, a SQLite file opened
    read-only: the dashboard must never write to the conversations. None for any
    other kind of tracker store.
    """
    try:
        return conversations.tracker_store_url(endpoints_file, project, read_only=True)
    except conversations.NoTrackerStore:
        return None


def tracker_engine(url: str | URL) -> Engine:
    """An engine on the tracker store at `url`, for reading."""
    return conversations.engine_for(url)


def tracker_reader(url: str | URL | None, keys: DataKeys) -> TrackerEvents | None:
    """The conversations at `url`, decrypted with `keys`; None when there is no address."""
    return TrackerEvents(tracker_engine(url), keys) if url is not None else None


# --- messages per hour against the monitoring window (P1) -----------------------------


@dataclass(frozen=True)
class HourCount:
    """Messages received in one hour, and whether people were monitoring then."""

    start: datetime
    count: int
    monitored: bool


def messages_per_hour(
    engine: Engine, calendar: WorkingCalendar, now: datetime, hours: int = 7 * 24
) -> List[HourCount]:
    """Webhook events received in each of the last `hours` whole hours up to `now`'s.

    Each hour is marked monitored when people watch the accounts at its start (P1), so
    that what arrives out of hours shows against the monitoring window.
    """
    last = to_utc(now).replace(minute=0, second=0, microsecond=0)
    first = last - timedelta(hours=hours - 1)
    query = select(inbound_events.c.received_at).where(inbound_events.c.received_at >= first)
    counts: Counter = Counter()
    with engine.connect() as connection:
        for (received,) in connection.execute(query):
            hour = to_utc(as_aware(received)).replace(minute=0, second=0, microsecond=0)
            counts[hour] += 1
    starts = [first + timedelta(hours=i) for i in range(hours)]
    return [HourCount(s, counts.get(s, 0), calendar.is_monitoring(s)) for s in starts]


# --- handoffs by reason and team --------------------------------------------------------


@dataclass(frozen=True)
class HandoffTally:
    """Handoffs made since a time, counted by reason and by the team that has them."""

    counts: Mapping[Tuple[str, str], int]

    @property
    def reasons(self) -> List[str]:
        """Reasons, the most frequent first."""
        totals: Counter = Counter()
        for (reason, _team), n in self.counts.items():
            totals[reason] += n
        return [r for r, _ in sorted(totals.items(), key=lambda item: (-item[1], item[0]))]

    @property
    def teams(self) -> List[str]:
        """Teams in name order."""
        return sorted({team for _reason, team in self.counts})

    def count(self, reason: str, team: str) -> int:
        """How many handoffs for `reason` the team `team` has."""
        return self.counts.get((reason, team), 0)

    @property
    def total(self) -> int:
        """Every handoff counted."""
        return sum(self.counts.values())


def handoffs_by_reason_and_team(engine: Engine, since: datetime) -> HandoffTally:
    """Handoffs made at or after `since`, by reason and team (their team now, after
    any transfer)."""
    query = (
        select(handoffs.c.reason, handoffs.c.team, func.count())
        .where(handoffs.c.created_at >= to_utc(since))
        .group_by(handoffs.c.reason, handoffs.c.team)
    )
    with engine.connect() as connection:
        return HandoffTally({(r, t): n for r, t, n in connection.execute(query)})


# --- deadlines met each week (P3) --------------------------------------------------------


@dataclass(frozen=True)
class WeekOfDeadlines:
    """Acknowledge-by and reply-by deadlines that fell due in one week, and how many
    were met. A deadline still to come is not counted."""

    week: date
    acknowledged_in_time: int = 0
    acknowledge_due: int = 0
    replied_in_time: int = 0
    reply_due: int = 0

    @property
    def acknowledge_share(self) -> float | None:
        """The share of acknowledgements in time, or None when none fell due."""
        return self.acknowledged_in_time / self.acknowledge_due if self.acknowledge_due else None

    @property
    def reply_share(self) -> float | None:
        """The share of full replies in time, or None when none fell due."""
        return self.replied_in_time / self.reply_due if self.reply_due else None


def deadlines_met_per_week(
    engine: Engine, zone: ZoneInfo, now: datetime, weeks: int = 8
) -> List[WeekOfDeadlines]:
    """The last `weeks` weeks (Monday to Sunday in `zone`, this one included), each with
    the deadlines that fell due in it and how many were met (P3).

    A deadline counts in the week it fell due, once it has an outcome (met, or missed:
    `HandoffRepository.record_missed` marks a breach as soon as it happens).
    """
    this_week = now.astimezone(zone).date()
    this_week -= timedelta(days=this_week.weekday())
    mondays = [this_week - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    start = datetime.combine(mondays[0], datetime.min.time(), zone)
    tally: Dict[date, List[int]] = defaultdict(lambda: [0, 0, 0, 0])
    query = select(
        handoffs.c.acknowledge_by,
        handoffs.c.acknowledge_met,
        handoffs.c.reply_by,
        handoffs.c.reply_met,
    ).where(or_(handoffs.c.acknowledge_by >= to_utc(start), handoffs.c.reply_by >= to_utc(start)))
    weeks_shown = set(mondays)
    with engine.connect() as connection:
        for ack_by, ack_met, reply_by, reply_met in connection.execute(query):
            for due, met, slot in ((ack_by, ack_met, 0), (reply_by, reply_met, 2)):
                if met is None or due is None:
                    continue
                day = as_aware(due).astimezone(zone).date()
                monday = day - timedelta(days=day.weekday())
                if monday not in weeks_shown:
                    continue
                tally[monday][slot] += int(bool(met))
                tally[monday][slot + 1] += 1
    return [WeekOfDeadlines(m, *tally[m]) if m in tally else WeekOfDeadlines(m) for m in mondays]


# --- what tenants meant, and how sure the assistant was ----------------------------------


@dataclass(frozen=True)
class DayOfUnderstanding:
    """Tenants' messages on one day, how many the assistant fell back on (asked again or
    handed over), and on how many its best guess was below the fallback threshold."""

    day: date
    messages: int = 0
    fell_back: int = 0
    unsure: int = 0


def _user_messages(tracker: TrackerEvents, since: datetime) -> List[Tuple[Any, ...]]:
    """(sender, timestamp, kind, event) of every tenant's message and every action since
    `since`, in order, each event decrypted (None for one under keys the console does not
    have: the figures leave it out rather than failing). The names of intents and
    actions are read from the events: the tracker store does not keep them in clear.
    Nothing when the tracker store has no conversations yet."""
    query = (
        select(
            tracker_events.c.sender_id,
            tracker_events.c.timestamp,
            tracker_events.c.type_name,
            tracker_events.c.data,
        )
        .where(
            tracker_events.c.timestamp >= since.timestamp(),
            tracker_events.c.type_name.in_(("user", "action")),
        )
        .order_by(tracker_events.c.id)
    )
    try:
        with tracker.engine.connect() as connection:
            rows = list(connection.execute(query))
    except DBAPIError:
        # No tracker file or no events table yet: the assistant has had no conversations.
        return []
    return [(sender, at, kind, _decoded(tracker, data)) for sender, at, kind, data in rows]


def _decoded(tracker: TrackerEvents, data: str | None) -> Dict[str, Any] | None:
    """One stored event, or None when it cannot be read (not JSON, or Undecryptable)."""
    try:
        event = tracker.decode(data)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def _intent(event: Mapping[str, Any] | None) -> str | None:
    """The intent a tenant's message was understood as, if the event says."""
    intent = ((event or {}).get("parse_data") or {}).get("intent") or {}
    return intent.get("name")


def common_intents(tracker: TrackerEvents, since: datetime, top: int = 10) -> List[Tuple[str, int]]:
    """The `top` intents of tenants' messages since `since`, the most common first.

    A message the assistant was not sure of counts under the intent it acted on only
    when that was a real one: its fallbacks are counted by `understanding_per_day`.
    """
    counted = Counter(
        intent
        for _, _, kind, event in _user_messages(tracker, since)
        if kind == "user" and (intent := _intent(event)) and intent != NLU_FALLBACK
    )
    return sorted(counted.items(), key=lambda item: (-item[1], item[0]))[:top]


def _best_guess(event: Mapping[str, Any] | None) -> float | None:
    """The confidence of the model's best real intent for a message, if it says."""
    parse = (event or {}).get("parse_data") or {}
    ranking = [i for i in parse.get("intent_ranking") or () if i.get("name") != NLU_FALLBACK]
    if ranking:
        return ranking[0].get("confidence")
    intent = parse.get("intent") or {}
    return intent.get("confidence") if intent.get("name") != NLU_FALLBACK else None


def understanding_per_day(
    tracker: TrackerEvents,
    understanding: Understanding,
    zone: ZoneInfo,
    now: datetime,
    days: int = 14,
) -> List[DayOfUnderstanding]:
    """The last `days` days (in `zone`, today included), each with its tenants'
    messages, those the assistant fell back on, and those it was unsure of.

    Fell back: the message's intent became `nlu_fallback` (FallbackClassifier), or a
    fallback action (Rasa's default, or RulePolicy's core fallback) answered it.
    Unsure: the best real intent's confidence was below the threshold. A message is
    counted once however many fallback actions answered it.
    """
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), zone)
    tallies: Dict[date, List[int]] = defaultdict(lambda: [0, 0, 0])
    # Per conversation: the day of its latest message and whether it already fell back.
    latest: Dict[str, Tuple[date, bool]] = {}
    for sender, at, kind, event in _user_messages(tracker, since):
        day = datetime.fromtimestamp(at or 0, timezone.utc).astimezone(zone).date()
        if kind == "user":
            fell_back = _intent(event) == NLU_FALLBACK
            tallies[day][0] += 1
            tallies[day][1] += int(fell_back)
            guess = _best_guess(event)
            tallies[day][2] += int(guess is not None and guess < understanding.threshold)
            latest[sender] = (day, fell_back)
        elif (event or {}).get("name") in understanding.fallback_actions and sender in latest:
            message_day, counted = latest[sender]
            if not counted:
                tallies[message_day][1] += 1
                latest[sender] = (message_day, True)
    span = [first + timedelta(days=i) for i in range(days)]
    return [
        DayOfUnderstanding(d, *tallies[d]) if d in tallies else DayOfUnderstanding(d) for d in span
    ]


def shares(days: Sequence[DayOfUnderstanding]) -> Tuple[float | None, float | None]:
    """The share of all messages in `days` the assistant fell back on, and was unsure of."""
    total = sum(d.messages for d in days)
    if not total:
        return None, None
    return sum(d.fell_back for d in days) / total, sum(d.unsure for d in days) / total
