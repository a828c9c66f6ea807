"""The history benchmark (bench/past_states.py) plays a conversation in which the
identity check keeps asking, with Rasa's walks and with the project's."""

from rasa.shared.core.trackers import DialogueStateTracker

from bench.past_states import history, play
from bot.channels import past_states
from tests.helpers import rasa_domain


def test_the_conversation_played_keeps_the_identity_check_asking():
    domain = rasa_domain()
    stored = history(20)
    tracker = DialogueStateTracker.from_events("bench", stored, domain.slots)
    assert tracker.active_loop_name == "identity_form"
    for faster in (False, True):
        with past_states.walks(faster):
            assert play(domain, stored, predictions=2) > 0
