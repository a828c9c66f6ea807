"""The tracker store benchmark (bench/tracker_encryption.py) measures Rasa's own store as
Rasa ships it: making the project's store puts its lookup of event classes in place for
the whole process, and the benchmark takes it out while Rasa's store runs."""

from rasa.shared.core.events import Event

from bench.tracker_encryption import rasas_own_lookup
from bot.channels import event_classes
from tests.helpers import encrypted_tracker_store


def test_rasas_store_runs_with_rasas_own_lookup_and_ours_with_the_table(tmp_path):
    encrypted_tracker_store(tmp_path / "tracker.db")
    assert Event.resolve_by_type is event_classes.resolve_by_type
    with rasas_own_lookup():
        assert Event.resolve_by_type is event_classes.rasas_lookup
    assert Event.resolve_by_type is event_classes.resolve_by_type
