"""A Rasa server copies slots directly, making what Python's copy protocol makes
(bot/channels/slot_copies.py, P12: speed)."""

import copy

import pytest
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels import slot_copies
from tests.helpers import encrypted_tracker_store, rasa_domain

VALUES = {
    "text": "a value",
    "bool": True,
    "float": 0.5,
    "categorical": None,
    "list": ["a", "b"],
    "any": {"nested": [1]},
}


@pytest.fixture
def protocol_copy(monkeypatch):
    """`copy.copy` through the protocol, as without `use_direct_copy`."""
    monkeypatch.delattr(Slot, "__copy__", raising=False)
    return copy.copy


@pytest.mark.parametrize("slot", rasa_domain().slots, ids=lambda s: s.name)
def test_every_slot_of_the_domain_copies_as_the_protocol_copies_it(slot, protocol_copy):
    slot = protocol_copy(slot)
    value = VALUES.get(slot.type_name)
    if slot.type_name == "categorical" and getattr(slot, "values", None):
        value = slot.values[0]
    slot.value = value
    theirs, ours = protocol_copy(slot), slot_copies.copy_slot(slot)
    assert type(ours) is type(theirs) is type(slot)
    assert ours.__dict__ == theirs.__dict__
    assert ours is not slot and ours.__dict__ is not slot.__dict__
    assert all(ours.__dict__[k] is v for k, v in slot.__dict__.items())  # shallow, as copy.copy
    ours.value = "changed"
    assert slot.value == value


def test_a_rasa_server_copies_slots_directly(tmp_path, monkeypatch):
    monkeypatch.delattr(Slot, "__copy__", raising=False)
    encrypted_tracker_store(tmp_path / "tracker.db")  # as a Rasa server starts
    assert Slot.__copy__ is slot_copies.copy_slot
    domain = rasa_domain()
    tracker = DialogueStateTracker("someone", domain.slots)
    assert all(tracker.slots[s.name] is not s for s in domain.slots)
    assert [type(tracker.slots[s.name]) for s in domain.slots] == [type(s) for s in domain.slots]
