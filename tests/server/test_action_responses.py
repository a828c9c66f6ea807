"""The action server's answers are checked against Rasa's schema with the same result
as Rasa's own check, without checking the schema itself again for every answer
(bot/channels/action_responses.py, P12: speed)."""

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.channels import action_responses
from tests.helpers import encrypted_tracker_store

VALID = {
    "events": [
        {"event": "session_started", "timestamp": None},
        {"event": "slot", "name": "verified", "value": True, "timestamp": None},
        {"event": "action", "name": "action_listen", "timestamp": None},
    ],
    "responses": [{"text": "hello"}],
}
INVALID = [
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
    {"events": [], "responses": ["not an object"]},
]


@pytest.fixture()
def installed(monkeypatch):
    monkeypatch.setattr(
        RemoteAction, "_validate_action_result", RemoteAction._validate_action_result
    )
    original = RemoteAction("action_session_start", None)._validate_action_result
    action_responses.check_once()
    return original, RemoteAction("action_session_start", None)._validate_action_result


def test_a_valid_answer_passes_as_with_rasas_own_check(installed):
    original, ours = installed
    assert original(VALID) is ours(VALID) is True


@pytest.mark.parametrize("answer", INVALID)
def test_an_invalid_answer_is_refused_with_rasas_own_error(installed, answer):
    original, ours = installed
    with pytest.raises(ValidationError) as theirs:
        original(answer)
    with pytest.raises(ValidationError) as mine:
        ours(answer)
    assert mine.value.message == theirs.value.message
    assert "Failed to validate Action server response" in mine.value.message


def test_the_schema_itself_is_checked_once_not_for_every_answer(installed, monkeypatch):
    original, ours = installed
    checks = []
    for name in dir(jsonschema.validators):
        kind = getattr(jsonschema.validators, name)
        if isinstance(kind, type) and hasattr(kind, "check_schema"):
            original = kind.check_schema
            monkeypatch.setattr(
                kind,
                "check_schema",
                classmethod(lambda cls, s, o=original: checks.append(s) or o(s)),
            )
    for _ in range(20):
        ours(VALID)
    assert checks == []
    # Rasa's own check does it for every answer.
    original(VALID)
    assert len(checks) == 1


def test_every_rasa_server_checks_answers_this_way(tmp_path, monkeypatch):
    monkeypatch.setattr(
        RemoteAction, "_validate_action_result", RemoteAction._validate_action_result
    )
    encrypted_tracker_store(tmp_path / "tracker.db")
    assert RemoteAction._validate_action_result is action_responses.validate_action_result


def _kinds():
    kinds = RemoteAction.action_response_format_spec()["properties"]["events"]["items"]["oneOf"]
    return {kind["properties"]["event"]["const"]: kind for kind in kinds}


KINDS = _kinds()
FIELDS = sorted({f for kind in KINDS.values() for f in kind.get("properties", {})} - {"event"})
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["name", "text", "value", "x"]), st.text(max_size=3)),
)
EVENTS = st.fixed_dictionaries(
    {"event": st.one_of(st.sampled_from([*KINDS, "no_such_event"]), VALUES)},
    optional={field: VALUES for field in [*FIELDS, "timestamp", "metadata"]},
)
ANSWERS = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "events": st.one_of(st.lists(EVENTS, max_size=4), VALUES),
            "responses": st.one_of(st.lists(st.one_of(st.just({}), VALUES), max_size=2), VALUES),
        },
    ),
    VALUES,
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANSWERS)
def test_the_kind_by_kind_check_gives_the_whole_schemas_verdict(answer):
    """The fast check (each event against its own kind) passes and refuses exactly the
    answers that the schema with its `oneOf` does."""
    whole = next(action_responses._validator().iter_errors(answer), None) is None
    assert action_responses.fits(answer) is whole


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_of_event_passes_alone_as_rasa_passes_it(name, installed):
    original, ours = installed
    answer = {"events": [{"event": name, "timestamp": None}]}
    try:
        expected = original(answer)
    except ValidationError:
        expected = False
    assert action_responses.fits(answer) is expected
