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
"""

from __future__ import annotations

from functools import cache
from typing import Any, Dict

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


def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result`, with the validator built once.

    Raises:
        jsonschema.ValidationError: the answer does not fit the schema, with Rasa's
            own message.
    """
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
    RemoteAction._validate_action_result = validate_action_result
