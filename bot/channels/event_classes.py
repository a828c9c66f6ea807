"""Rasa's events found by the name they are stored and sent under, through a table
(P12: speed).

Rasa finds an event's class by walking every subclass of `Event`, once for every event
it reads: from the tracker store, and from each answer of the action server (a new
conversation's session start alone sets some twenty slots). Under load that walk was a
twentieth of the time the Rasa server held the GIL (py-spy, `make bench-load`).

`use_table` puts in Rasa's place a lookup in a table built once, in the walk's order,
so that each name finds the class Rasa's walk finds first. Names the table does not
hold (old aliases, classes defined since, unknown names) go to Rasa's own lookup, with
its defaults and its errors. Every Rasa server calls it as its tracker store is made.
"""

from __future__ import annotations

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

# Rasa's own lookup, as it was before `use_table`.
rasas_lookup = Event.resolve_by_type

# Each kind of event's class, by its name: filled on first use.
_CLASSES: dict[str, type[Event]] = {}


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """`Event.resolve_by_type`, through the table."""
    if not _CLASSES:
        for kind in all_subclasses(Event):
            _CLASSES.setdefault(kind.type_name, kind)
    return _CLASSES.get(type_name) or rasas_lookup(type_name, default)


def use_table() -> None:
    """Have this process's Rasa find event classes through the table."""
    Event.resolve_by_type = staticmethod(resolve_by_type)
