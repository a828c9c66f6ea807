"""Rasa's slots copied without the pickling protocol (P12: speed).

Every tracker Rasa makes copies each of the domain's slots (`copy.copy`, in
`DialogueStateTracker.__init__`), and a Rasa server makes trackers all the time: one
for each message read from the store, one for each action run (`tracker.copy()`), one for
each form's check of its slots, one for each replay of a history. With this domain's 42
slots that was some 280 copies a message, each through `__reduce_ex__` and
`copyreg.__newobj__`: 5% of a Rasa server's time with eight conversations at once
(cProfile, 600 messages).

`use_direct_copy` gives Rasa's `Slot` the copy that protocol makes for a class like it
(no `__slots__`, `__getstate__` or `__setstate__`): a new instance of the same class,
its `__dict__` a shallow copy of the original's. tests/server/test_slot_copies.py
checks it against `copy.copy` for every kind of slot of the domain.
"""

from __future__ import annotations

from rasa.shared.core.slots import Slot


def copy_slot(slot: Slot) -> Slot:
    """What `copy.copy` makes of `slot` through the pickling protocol."""
    cls = type(slot)
    copied = cls.__new__(cls)
    copied.__dict__.update(slot.__dict__)
    return copied


def use_direct_copy() -> None:
    """Have `copy.copy` copy this process's Rasa slots directly."""
    Slot.__copy__ = copy_slot
