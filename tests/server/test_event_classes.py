"""A Rasa server finds each event's class by its name in a table, as Rasa's walk over
every subclass of `Event` would find it (bot/channels/event_classes.py, P12: speed)."""

import pytest
import rasa.shared.utils.common
from rasa.shared.core.events import Event, SlotSet, deserialise_events

from bot.channels import event_classes
from tests.helpers import encrypted_tracker_store

NAMES = sorted(
    {kind.type_name for kind in rasa.shared.utils.common.all_subclasses(Event)}
    | {"topic", "no_such_event", "slot_set", "bot_uttered"}
)


@pytest.mark.parametrize("name", NAMES)
def test_each_name_finds_the_class_rasas_walk_finds(name):
    try:
        rasas = event_classes.rasas_lookup(name)
    except ValueError as error:
        with pytest.raises(ValueError, match=str(error)):
            event_classes.resolve_by_type(name)
    else:
        assert event_classes.resolve_by_type(name) is rasas
    assert event_classes.resolve_by_type(name, SlotSet) is event_classes.rasas_lookup(name, SlotSet)


def test_a_rasa_server_reads_an_action_answer_without_walking_the_event_classes(
    monkeypatch, tmp_path
):
    # As Rasa reads an action server's answer: a session start sets some twenty slots.
    monkeypatch.setattr(Event, "resolve_by_type", staticmethod(event_classes.rasas_lookup))
    encrypted_tracker_store(tmp_path / "tracker.db")
    answer = [{"event": "session_started"}] + [
        {"event": "slot", "name": f"association_{n}", "value": "x"} for n in range(20)
    ]
    assert [type(e) for e in deserialise_events(answer)]  # the table is filled

    walks = []
    walk = rasa.shared.utils.common.all_subclasses
    monkeypatch.setattr(
        rasa.shared.utils.common, "all_subclasses", lambda cls: walks.append(cls) or walk(cls)
    )
    events = deserialise_events(answer)
    assert [e.as_dict()["event"] for e in events] == [data["event"] for data in answer]
    assert walks == []
