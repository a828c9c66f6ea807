"""The messages the assistant missed, as trainers see them (bot/trainer/misses.py): read
from a throwaway tracker store written as the project's encrypted tracker store writes
it, redacted before anything else (P5), grouped, the most frequent first, and the
rule that says what was missed holding on both sides."""

import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from sqlalchemy import insert

from bot.keys import DataKeys
from bot.privacy import find
from bot.protection.conversations import TrackerEvents, engine_for, tracker_events
from bot.trainer.misses import Rule, group_key, miss_id, missed_messages, rule_from_config
from tests.helpers import ROOT

NOW = datetime(2026, 11, 25, 15, 30, tzinfo=timezone.utc)
KEYS = DataKeys.ephemeral()
# config.yml's values today: fallback below 0.4, ambiguous within 0.1.
RULE = Rule(threshold=0.4, ambiguity_threshold=0.1)


@pytest.fixture
def store(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path / 'tracker.db'}")
    tracker_events.metadata.create_all(engine)
    return engine


def said(engine, text, intent, ranking, at=NOW, keys=KEYS, sender="facebook-private-1"):
    """A tenant's message as the encrypted tracker store keeps it."""
    ranked = [{"name": name, "confidence": c} for name, c in ranking]
    confidence = ranking[0][1] if ranking else 1.0
    data = {
        "event": "user",
        "timestamp": at.timestamp(),
        "text": text,
        "parse_data": {
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranked,
        },
    }
    with engine.begin() as connection:
        connection.execute(
            insert(tracker_events).values(
                sender_id=sender,
                type_name="user",
                timestamp=at.timestamp(),
                data=keys.encrypt(json.dumps(data)),
            )
        )


def fallback(engine, text, at=NOW, guess=("report_repair", 0.3)):
    said(engine, text, "nlu_fallback", [("nlu_fallback", 0.4), guess, ("greet", 0.1)], at)


def misses(engine, **options):
    return missed_messages(TrackerEvents(engine, KEYS), RULE, NOW, **options)


def test_personal_details_are_redacted_before_the_messages_are_grouped(store):
    fallback(store, "me tap is drippin can u ring me on 07700 900123 after 3")
    fallback(store, "me tap is drippin can u ring me on 07700 900999 after 3")
    fallback(store, "email me at jo.bloggs@example.com about TEN-204817")

    found = misses(store)

    texts = [m.text for m in found]
    assert texts == [
        "me tap is drippin can u ring me on [phone] after 3",
        "email me at [email] about [tenancy_reference]",
    ]
    # Two tenants with different numbers wrote the same message: one group of two.
    assert found[0].count == 2
    for miss in found:
        assert find(miss.text) == []
        assert "07700" not in repr(miss) and "bloggs" not in repr(miss)


def test_grouped_ignoring_case_and_spacing_most_frequent_first_with_the_latest_guess(store):
    fallback(store, "Zxqv plork", NOW - timedelta(days=2))
    fallback(store, "zxqv   PLORK", NOW - timedelta(hours=1), guess=("out_of_scope", 0.35))
    fallback(store, "zxqv plork", NOW - timedelta(days=3))
    fallback(store, "whats the score in the city game", NOW - timedelta(minutes=5))
    fallback(store, "wibble", NOW - timedelta(days=1))
    fallback(store, "wibble", NOW - timedelta(days=4))

    found = misses(store)

    assert [(m.key, m.count) for m in found] == [
        ("zxqv plork", 3),
        ("wibble", 2),
        ("whats the score in the city game", 1),
    ]
    top = found[0]
    assert top.text == "zxqv PLORK"  # as it was last written
    assert (top.guess, top.confidence, top.fell_back) == ("out_of_scope", 0.35, True)
    assert top.last_seen == NOW - timedelta(hours=1)


def test_the_same_count_puts_the_most_recent_first(store):
    fallback(store, "older one", NOW - timedelta(days=2))
    fallback(store, "newer one", NOW - timedelta(hours=2))
    assert [m.text for m in misses(store)] == ["newer one", "older one"]


@pytest.mark.parametrize(
    "ranking, missed",
    [
        # Sure, well ahead of the next: understood.
        ([("report_repair", 0.92), ("make_complaint", 0.05)], False),
        # Just at the margin above the threshold (0.4 + 0.1) and well ahead: understood.
        ([("report_repair", 0.5), ("make_complaint", 0.2)], False),
        # Just below it: unsure, though the assistant acted on it.
        ([("report_repair", 0.49), ("make_complaint", 0.2)], True),
        # Sure enough, but the second within twice the ambiguity threshold (0.2): unsure.
        ([("report_repair", 0.58), ("report_emergency", 0.39)], True),
        # A gap of exactly 0.2: not close.
        ([("report_repair", 0.6), ("report_emergency", 0.4)], False),
    ],
)
def test_the_rule_holds_on_both_sides(store, ranking, missed):
    said(store, "the boiler is making a noise", ranking[0][0], ranking)
    assert bool(misses(store)) is missed
    assert RULE.missed(ranking[0][0], ranking) is missed


def test_a_fallback_is_always_missed_and_the_thresholds_come_from_config_yml(store):
    said(store, "hmm", "nlu_fallback", [("nlu_fallback", 0.9), ("greet", 0.8)])
    assert [m.text for m in misses(store)] == ["hmm"]
    rule = rule_from_config(ROOT / "config.yml")
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    fallback_classifier = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    assert rule.threshold == fallback_classifier["threshold"]
    assert rule.ambiguity_threshold == fallback_classifier["ambiguity_threshold"]
    assert rule.unsure_below == pytest.approx(rule.threshold + 0.1)
    assert rule.close_gap == pytest.approx(max(2 * rule.ambiguity_threshold, 0.1))


def test_a_close_call_is_unsure_even_with_the_ambiguity_check_off():
    rule = Rule(threshold=0.5, ambiguity_threshold=0.0)
    assert rule.missed("greet", [("greet", 0.7), ("thank", 0.62)])
    assert not rule.missed("greet", [("greet", 0.7), ("thank", 0.2)])


def test_training_examples_and_handled_messages_are_left_out(store):
    fallback(store, "My Boiler is broken")
    fallback(store, "zxqv plork")
    fallback(store, "wibble")

    found = misses(store, leave_out={group_key("my boiler is broken"), miss_id("WIBBLE")})

    assert [m.text for m in found] == ["zxqv plork"]


def test_the_window_the_cap_payloads_and_unreadable_events(store):
    fallback(store, "long ago", NOW - timedelta(days=31))
    earlier = NOW - timedelta(hours=1)
    fallback(store, "/greet", earlier)  # a button's payload, not a tenant's words
    said(store, "under another key", "nlu_fallback", [], earlier, keys=DataKeys.ephemeral())
    for n in range(5):
        fallback(store, f"recent {n}", NOW - timedelta(minutes=5 - n))

    assert {m.text for m in misses(store)} == {f"recent {n}" for n in range(5)}
    # The cap reads the latest messages stored only.
    assert {m.text for m in misses(store, cap=2)} == {"recent 3", "recent 4"}


def test_no_tracker_store_yet_lists_nothing(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path / 'none.db'}")
    assert missed_messages(TrackerEvents(engine, KEYS), RULE, NOW) == []
