"""The history benchmark (bench/past_states.py) times Rasa's walks as Rasa ships them
and the project's, whichever the process had in place, and puts that back."""

from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bench.past_states import history, play, walks
from bot.channels import past_states
from tests.helpers import rasa_domain


def in_place():
    return DialogueStateTracker.applied_events, Domain.states_for_tracker_history


def test_each_way_is_timed_with_its_own_walks_and_the_process_is_left_as_it_was():
    before = in_place()
    with walks(faster=False):
        assert in_place() == (
            past_states.rasas_applied_events,
            past_states.rasas_states_for_tracker_history,
        )
    with walks(faster=True):
        assert in_place() == (
            past_states.applied_events,
            past_states.states_for_tracker_history,
        )
    assert in_place() == before


def test_the_conversation_played_keeps_the_identity_check_asking():
    domain = rasa_domain()
    stored = history(20)
    tracker = DialogueStateTracker.from_events("bench", stored, domain.slots)
    assert tracker.active_loop_name == "identity_form"
    for faster in (False, True):
        with walks(faster):
            assert play(domain, stored, predictions=2) > 0
