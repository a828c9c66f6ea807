"""A Rasa server reads a conversation's history for its policies without Rasa's repeated
walks, and reads the same: the same applied events and the same states as Rasa's own
(bot/channels/past_states.py, P12: speed)."""

import random
from functools import cache

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    DefinePrevUserUtteredFeaturization,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from bot.channels import past_states
from tests.helpers import ROOT, encrypted_tracker_store, rasa_domain

RULE_ONLY = {"rule_only_slots": ["identity_status", "is_emergency"], "rule_only_loops": []}
# Every way the policies and Rasa's training ask (omit unset slots, ignore rule-only
# turns, rule-only data).
ASKS = [
    (False, False, None),
    (False, True, None),
    (False, True, RULE_ONLY),
    (True, False, None),
    (True, True, RULE_ONLY),
]


def rasas_reading(domain, tracker):
    with past_states.walks(faster=False):
        return tracker.applied_events(), [tracker.past_states(domain, *ask) for ask in ASKS]


def faster_reading(domain, tracker):
    with past_states.walks(faster=True):
        return tracker.applied_events(), [tracker.past_states(domain, *ask) for ask in ASKS]


def assert_reads_as_rasa(domain, tracker):
    events, states = rasas_reading(domain, tracker)
    our_events, our_states = faster_reading(domain, tracker)
    assert len(our_events) == len(events)
    assert all(ours is theirs for ours, theirs in zip(our_events, events, strict=True))
    for ask, ours, theirs in zip(ASKS, our_states, states, strict=True):
        assert ours == theirs, ask


@cache
def training_trackers():
    """Every story and rule of the training data, as trackers (no augmentation)."""
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(ROOT / "domain.yml"), training_data_paths=[str(ROOT / "data")]
    )
    domain = importer.get_domain()
    generator = TrainingDataGenerator(
        importer.get_stories(), domain, augmentation_factor=0, use_story_concatenation=False
    )
    return domain, generator.generate()


def test_every_story_and_rule_reads_as_rasa_reads_it():
    domain, trackers = training_trackers()
    assert len(trackers) > 50  # 7 story blocks and 69 rules when this was written
    assert any(isinstance(e, ActiveLoop) for t in trackers for e in t.events)
    for tracker in trackers:
        assert_reads_as_rasa(domain, tracker)


def random_history(rng: random.Random, domain: Domain, length: int):
    """Events of every kind the walks treat apart, in an order no story would keep.

    A tenant's message comes as Rasa's processor writes it: after action_listen, and
    followed by how the policies featurized it (`DefinePrevUserUtteredFeaturization`,
    which Rasa applies by changing the message's event itself)."""
    loops = list(domain.form_names)[:2]
    slots = [s.name for s in domain.slots][:12]
    intents = domain.intents[:6]
    makers = [
        lambda: [ActionExecuted("action_listen")],
        lambda: [
            ActionExecuted("action_listen"),
            UserUttered("hi", {"name": rng.choice(intents), "confidence": 1.0}),
            DefinePrevUserUtteredFeaturization(rng.random() < 0.3),
        ],
        lambda: [ActionExecuted(rng.choice(domain.action_names_or_texts[:30]))],
        lambda: [ActionExecuted("utter_greet", hide_rule_turn=True)],
        lambda: [BotUttered("hello")],
        lambda: [SlotSet(rng.choice(slots), rng.choice([None, "x", True, 1.0]))],
        lambda: [ActiveLoop(rng.choice(loops))],
        lambda: [ActiveLoop(None)],
        lambda: [ActionExecuted(rng.choice(loops))],
        lambda: [ActionExecutionRejected(rng.choice(loops))],
        lambda: [LoopInterrupted(rng.random() < 0.5)],
        lambda: [FollowupAction("action_listen")],
        lambda: [ActionReverted()],
        lambda: [UserUtteranceReverted()],
        lambda: [Restarted()],
        lambda: [SessionStarted()],
        lambda: [AllSlotsReset()],
    ]
    weights = [3, 8, 5, 2, 4, 5, 2, 1, 8, 1, 1, 1, 1, 1, 1, 1, 1]
    events = []
    while len(events) < length:
        events += rng.choices(makers, weights)[0]()
    return events


@pytest.mark.parametrize("seed", range(40))
def test_random_histories_read_as_rasa_reads_them_as_they_grow(seed):
    rng = random.Random(seed)
    domain = rasa_domain()
    events = random_history(rng, domain, 80)
    # One tracker grows an event at a time, as a message's predictions see it, and
    # another conversation's tracker is read in between, now and then.
    tracker = DialogueStateTracker("grows", domain.slots)
    other = DialogueStateTracker.from_events("other", random_history(rng, domain, 30), domain.slots)
    for event in events:
        tracker.update(event)
        assert_reads_as_rasa(domain, tracker)
        if rng.random() < 0.2:
            assert_reads_as_rasa(domain, other)


def test_a_long_form_filled_conversation_reads_as_rasa_reads_it():
    # As the bench's: the identity check asks again and again, turn after turn.
    domain = rasa_domain()
    tracker = DialogueStateTracker("long", domain.slots)
    for turn in range(40):
        for event in [
            ActionExecuted("action_listen"),
            UserUttered("x", {"name": "ask_rent_balance", "confidence": 1.0}),
            DefinePrevUserUtteredFeaturization(False),
            *(
                [ActionExecuted("action_tenancy_gate"), ActiveLoop("identity_form")]
                if turn % 10 == 0
                else []
            ),
            ActionExecuted("identity_form"),
            BotUttered("First, what's your tenancy reference?"),
            SlotSet("requested_slot", "security_locator"),
        ]:
            tracker.update(event)
            assert_reads_as_rasa(domain, tracker)


def test_states_handed_out_can_be_changed_without_changing_the_next():
    domain = rasa_domain()
    tracker = DialogueStateTracker.from_events(
        "changes", random_history(random.Random(7), domain, 60), domain.slots
    )
    with past_states.walks(faster=True):
        first = tracker.past_states(domain)
        for state in first:
            for sub_state in state.values():
                sub_state.clear()
        assert tracker.past_states(domain) == rasas_reading(domain, tracker)[1][0]


def test_a_rasa_server_reads_histories_through_the_faster_walks(tmp_path):
    with past_states.walks(faster=False):
        encrypted_tracker_store(tmp_path / "tracker.db")  # as a Rasa server starts
        assert DialogueStateTracker.applied_events is past_states.applied_events
        assert Domain.states_for_tracker_history is past_states.states_for_tracker_history


def in_place():
    return DialogueStateTracker.applied_events, Domain.states_for_tracker_history


def test_either_walks_are_put_in_place_for_a_while_and_what_was_is_put_back():
    before = in_place()
    with past_states.walks(faster=False):
        assert in_place() == (
            past_states.rasas_applied_events,
            past_states.rasas_states_for_tracker_history,
        )
    with past_states.walks(faster=True):
        assert in_place() == (past_states.applied_events, past_states.states_for_tracker_history)
    assert in_place() == before
