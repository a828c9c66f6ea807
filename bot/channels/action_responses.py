"""The action server's answers, checked against Rasa's schema once the schema itself
has been checked once (P12: speed).

Rasa 3.6 checks every answer of the action server with `jsonschema.validate`, which
first checks the schema against its meta-schema and builds a new validator, every
time. With py-spy on a Rasa server under load (`make bench-load`, 10 messages a
second), that schema check was a third of all the time the server held the GIL, and
the whole check 45%: every new conversation's session start is an action call.

`check_once` puts in Rasa's place a check with one validator, built once: the same
schema, the same answers passed and refused, the same error as Rasa's (its best match,
with Rasa's words after it). Every Rasa server calls it as its tracker store is made.

Even built once, the check was still a seventh of the server's time held (py-spy, 10
messages a second): the schema says each event is exactly one of 23 kinds (`oneOf`),
and checking that tries every kind for every event. Each kind names its `event` by a
constant, so an event can only ever be the kind its name says: an answer is checked
against the schema without that `oneOf`, then each event against its own kind alone,
about nine times faster. An answer that fails is checked again the whole way, for
Rasa's error (tests/server/test_action_responses.py holds the two to the same verdicts).

Kind by kind, a session start's answer (22 events: the association's slots) still took
0.65 ms with `jsonschema`, which walks the schema anew for each event. `fastjsonschema`
compiles each schema to Python once: 0.04 ms (`python -m bench.action_check`).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any, Callable, Dict, Tuple

import fastjsonschema
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@cache
def _validator() -> Validator:
    schema = RemoteAction.action_response_format_spec()
    kind = validator_for(schema)
    kind.check_schema(schema)
    return kind(schema)


Check = Callable[[Any], Any]


@cache
def _by_kind() -> Tuple[Check, Dict[str, Check]]:
    """The schema without its `oneOf` of event kinds, and a check for each kind by the
    name its `event` must have, each compiled once (a check raises if data fails)."""
    schema = copy.deepcopy(RemoteAction.action_response_format_spec())
    events = schema["properties"]["events"]["items"]
    kinds = events.pop("oneOf")
    names = [kind["properties"]["event"]["const"] for kind in kinds]
    if len(set(names)) != len(names):  # a kind not told apart by its name alone
        raise ValueError("The action response schema's event kinds share a name")
    return fastjsonschema.compile(schema), {
        name: fastjsonschema.compile(kind) for name, kind in zip(names, kinds, strict=True)
    }


def fits(result: Any) -> bool:
    """Whether `result` fits Rasa's action response schema (checked kind by kind)."""
    shell, kinds = _by_kind()
    try:
        shell(result)
        for event in result.get("events") or []:
            kind = kinds.get(event["event"])
            if kind is None:
                return False
            kind(event)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result`, with the validators built once.

    Raises:
        jsonschema.ValidationError: the answer does not fit the schema, with Rasa's
            own message.
    """
    if fits(result):
        return True
    error = best_match(_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        "For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def check_once() -> None:
    """Have this process's Rasa check action answers with the one validator."""
    _validator()
    _by_kind()
    RemoteAction._validate_action_result = validate_action_result
