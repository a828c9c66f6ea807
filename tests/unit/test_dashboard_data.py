"""The dashboard's numbers, from a store and a tracker store filled here: messages per
hour against the monitoring window (P1), handoffs by reason and team, deadlines met
each week (P3), the common intents and how often the assistant fell back."""

import json
from datetime import datetime, timedelta

import pytest
import yaml
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from bot.console.dashboard_data import (
    Understanding,
    common_intents,
    deadlines_met_per_week,
    handoffs_by_reason_and_team,
    messages_per_hour,
    shares,
    tracker_engine,
    tracker_events,
    tracker_reader,
    tracker_store_url,
    understanding_config,
    understanding_per_day,
)
from bot.events import InboundEvent
from bot.handoff.handoffs import Conversation, Reason
from bot.handoff.service import HandoffService
from bot.intake import IntakeStore
from bot.keys import DataKeys
from bot.store import connect
from tests.helpers import CALENDAR, ROOT, TEAMS, UK


def uk(*args):
    return datetime(*args, tzinfo=UK)


# Wednesday 25 November 2026, mid-afternoon.
NOW = uk(2026, 11, 25, 15, 30)
# The keys the Rasa server encrypted its conversations with, and the console's too.
KEYS = DataKeys.ephemeral()


@pytest.fixture
def engine(tmp_path):
    return connect(f"sqlite:///{tmp_path / 'assistant.db'}")


def message(n, at):
    return InboundEvent(
        "facebook", "message", f"m{n}", "private", f"tenant-{n}", "hello", sent_at=at
    )


def test_messages_per_hour_show_each_hour_of_the_week_against_the_monitoring_window(engine):
    intake = IntakeStore(engine)
    arrivals = [
        uk(2026, 11, 25, 10, 5),  # Wednesday, in hours
        uk(2026, 11, 25, 10, 55),
        uk(2026, 11, 24, 20, 15),  # Tuesday evening: nobody is watching
        uk(2026, 11, 22, 11, 0),  # Sunday
        uk(2026, 11, 17, 10, 0),  # eight days ago: outside the week shown
    ]
    for n, at in enumerate(arrivals):
        intake.accept([message(n, at)], at)

    hours = messages_per_hour(engine, CALENDAR, NOW)

    assert len(hours) == 7 * 24
    assert hours[-1].start == uk(2026, 11, 25, 15, 0)
    by_start = {h.start: h for h in hours}
    assert by_start[uk(2026, 11, 25, 10, 0)].count == 2
    assert by_start[uk(2026, 11, 25, 10, 0)].monitored
    assert by_start[uk(2026, 11, 24, 20, 0)].count == 1
    assert not by_start[uk(2026, 11, 24, 20, 0)].monitored
    assert not by_start[uk(2026, 11, 22, 11, 0)].monitored  # a Sunday (P1)
    assert sum(h.count for h in hours) == 4
    # From last Wednesday 16:00 (one monitored hour) to this one's 15:00 (seven), with
    # four whole working days between.
    assert sum(h.monitored for h in hours) == 1 + 4 * 8 + 7


def tenant(name, platform="facebook"):
    return Conversation(f"{platform}-private-{name}", platform, "private", name)


def test_handoffs_are_counted_by_reason_and_by_the_team_that_has_them(engine):
    service = HandoffService(engine, CALENDAR, TEAMS)
    since = NOW - timedelta(days=30)
    service.open(Reason.REQUEST_HUMAN, tenant("a"), NOW - timedelta(days=1))
    service.open(Reason.REQUEST_HUMAN, tenant("b"), NOW - timedelta(days=2))
    service.open(Reason.COMPLAINT, tenant("c"), NOW - timedelta(days=3))
    service.open(Reason.EMERGENCY, tenant("d"), NOW - timedelta(hours=1))
    moved = service.open(Reason.REQUEST_HUMAN, tenant("e"), NOW - timedelta(hours=2))
    service.repository.transfer(moved.id, "Repairs", "sam", NOW)
    service.open(Reason.COMPLAINT, tenant("old"), NOW - timedelta(days=40))

    tally = handoffs_by_reason_and_team(engine, since)

    human_team = TEAMS.for_reason(Reason.REQUEST_HUMAN)
    assert tally.total == 5
    assert tally.reasons[0] == "request_human"  # the most frequent first
    assert tally.count("request_human", human_team) == 2
    assert tally.count("request_human", "Repairs") == 1  # counted where it went
    assert tally.count("complaint", TEAMS.for_reason(Reason.COMPLAINT)) == 1
    assert tally.count("emergency", TEAMS.for_reason(Reason.EMERGENCY)) == 1
    assert set(tally.teams) >= {human_team, "Repairs"}


def test_deadlines_met_each_week_count_met_and_missed_but_not_those_still_to_come(engine):
    service = HandoffService(engine, CALENDAR, TEAMS)
    repository = service.repository
    last_monday = uk(2026, 11, 16, 10, 0)
    # Last week: one answered in time, one left until both deadlines passed.
    in_time = service.open(Reason.REQUEST_HUMAN, tenant("a"), last_monday)
    repository.reply_sent(in_time.id, "sam", last_monday + timedelta(minutes=30), holding=False)
    service.open(Reason.COMPLAINT, tenant("b"), last_monday)
    repository.record_missed(uk(2026, 11, 20, 12, 0))
    # This week: acknowledged in time with a holding message, the full reply late.
    held = service.open(Reason.REQUEST_HUMAN, tenant("c"), uk(2026, 11, 23, 10, 0))
    repository.reply_sent(held.id, "ali", uk(2026, 11, 23, 11, 0), holding=True)
    repository.reply_sent(held.id, "ali", uk(2026, 11, 24, 16, 0), holding=False)
    # Due later today: nothing to count yet.
    service.open(Reason.REQUEST_HUMAN, tenant("d"), uk(2026, 11, 25, 15, 0))

    weeks = deadlines_met_per_week(engine, UK, NOW, weeks=3)

    assert [w.week.isoformat() for w in weeks] == ["2026-11-09", "2026-11-16", "2026-11-23"]
    quiet, last, this = weeks
    assert quiet.acknowledge_share is None and quiet.reply_share is None
    assert (last.acknowledged_in_time, last.acknowledge_due) == (1, 2)
    assert (last.replied_in_time, last.reply_due) == (1, 2)
    assert last.acknowledge_share == 0.5
    assert (this.acknowledged_in_time, this.acknowledge_due) == (1, 1)
    assert (this.replied_in_time, this.reply_due) == (0, 1)
    assert this.reply_share == 0.0


# --- the tracker store -----------------------------------------------------------------


@pytest.fixture
def tracker(tmp_path):
    """A tracker store file with Rasa's `events` table, read through the read-only
    address the dashboard uses, decrypted with the keys it was written with."""
    path = tmp_path / "tracker.db"
    writer = tracker_engine(f"sqlite:///{path}")
    tracker_events.metadata.create_all(writer)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: bot.channels.tracker_store.EncryptedSQLTrackerStore\n"
        '  dialect: "sqlite"\n  db: "tracker.db"\n'
    )
    reader = tracker_reader(tracker_store_url(endpoints, tmp_path), KEYS)
    return writer, reader


def user(writer, sender, at, intent, ranking):
    """A tenant's message as the tracker store keeps it: its intent in clear, the
    model's ranking in its data, encrypted."""
    ranked = [{"name": name, "confidence": c} for name, c in ranking]
    parse = {"intent": {"name": intent, "confidence": ranking[0][1]}, "intent_ranking": ranked}
    data = {"event": "user", "timestamp": at.timestamp(), "text": "…", "parse_data": parse}
    row = {"sender_id": sender, "type_name": "user", "timestamp": at.timestamp()}
    with writer.begin() as connection:
        connection.execute(
            insert(tracker_events).values(
                **row, intent_name=intent, data=KEYS.encrypt(json.dumps(data))
            )
        )


def action(writer, sender, at, name):
    """An action, as Rasa's own store wrote it before encryption (plain JSON)."""
    data = {"event": "action", "timestamp": at.timestamp(), "name": name}
    row = {"sender_id": sender, "type_name": "action", "timestamp": at.timestamp()}
    with writer.begin() as connection:
        connection.execute(
            insert(tracker_events).values(**row, action_name=name, data=json.dumps(data))
        )


UNDERSTANDING = Understanding(
    threshold=0.4, fallback_actions=("action_default_fallback", "utter_ask_rephrase")
)


def test_the_common_intents_and_the_fallbacks_come_from_the_tracker_store(tracker):
    writer, reader = tracker
    today, yesterday = uk(2026, 11, 25, 9, 0), uk(2026, 11, 24, 18, 0)
    user(writer, "a", today, "ask_rent_balance", [("ask_rent_balance", 0.95), ("greet", 0.01)])
    user(writer, "b", today, "ask_rent_balance", [("ask_rent_balance", 0.9), ("thank", 0.05)])
    user(writer, "b", today, "greet", [("greet", 0.99)])
    # Unsure: the best guess below the threshold, replaced by nlu_fallback.
    unsure = [("nlu_fallback", 0.4), ("report_repair", 0.3), ("greet", 0.2)]
    user(writer, "c", today, "nlu_fallback", unsure)
    action(writer, "c", today, "action_default_fallback")
    # Ambiguous: sure enough, but two intents too close; the assistant still asks again.
    user(
        writer,
        "d",
        yesterday,
        "nlu_fallback",
        [("nlu_fallback", 0.4), ("thank", 0.5), ("affirm", 0.45)],
    )
    # Understood, but the dialogue had no rule: the core fallback asks again, twice.
    user(writer, "e", yesterday, "deny", [("deny", 0.97)])
    action(writer, "e", yesterday, "utter_ask_rephrase")
    action(writer, "e", yesterday, "utter_ask_rephrase")
    # Three weeks ago: outside both windows.
    user(writer, "f", NOW - timedelta(days=21), "goodbye", [("goodbye", 0.99)])

    assert common_intents(reader, NOW - timedelta(days=14)) == [
        ("ask_rent_balance", 2),
        ("deny", 1),
        ("greet", 1),
    ]
    days = understanding_per_day(reader, UNDERSTANDING, UK, NOW, days=14)
    assert len(days) == 14 and days[-1].day.isoformat() == "2026-11-25"
    by_day = {d.day.isoformat(): d for d in days}
    assert (by_day["2026-11-25"].messages, by_day["2026-11-25"].fell_back) == (4, 1)
    assert by_day["2026-11-25"].unsure == 1
    assert (by_day["2026-11-24"].messages, by_day["2026-11-24"].fell_back) == (2, 2)
    assert by_day["2026-11-24"].unsure == 0
    assert shares(days) == (3 / 6, 1 / 6)


def test_the_dashboard_reads_the_tracker_store_without_writing_to_it(tracker):
    _writer, reader = tracker
    with pytest.raises(DBAPIError):
        with reader.engine.begin() as connection:
            connection.execute(insert(tracker_events).values(sender_id="x", type_name="user"))


def test_no_conversations_yet_gives_empty_figures_not_an_error(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: none-yet.db\n")
    reader = tracker_reader(tracker_store_url(endpoints, tmp_path), KEYS)

    assert common_intents(reader, NOW - timedelta(days=30)) == []
    days = understanding_per_day(reader, UNDERSTANDING, UK, NOW, days=7)
    assert [d.messages for d in days] == [0] * 7
    assert shares(days) == (None, None)
    assert not (tmp_path / "none-yet.db").exists()  # reading created nothing


def test_the_project_files_name_the_tracker_store_and_the_fallback_threshold():
    url = tracker_store_url(ROOT / "endpoints.yml", ROOT)
    assert str(url) == f"sqlite:///file:{ROOT / 'var' / 'tracker.db'}?mode=ro&uri=true"
    understanding = understanding_config(ROOT / "config.yml")
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    chosen = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    assert understanding.threshold == chosen["threshold"]
    assert set(understanding.fallback_actions) == {"action_default_fallback", "utter_ask_rephrase"}


def test_a_tracker_store_that_is_not_sql_gives_no_address(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: redis\n  url: localhost\n")
    assert tracker_store_url(endpoints, tmp_path) is None
