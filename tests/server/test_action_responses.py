"""The action server's answers are checked against Rasa's schema with the same result
as Rasa's own check, without checking the schema itself again for every answer
(bot/channels/action_responses.py, P12: speed)."""

import jsonschema
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain

from bot.channels import action_responses
from bot.channels.tracker_store import EncryptedSQLTrackerStore
from bot.keys import DataKeys
from tests.helpers import ROOT

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
    EncryptedSQLTrackerStore(
        domain=Domain.load(str(ROOT / "domain.yml")),
        dialect="sqlite",
        db=str(tmp_path / "tracker.db"),
        data_keys=DataKeys.ephemeral(),
    )
    assert RemoteAction._validate_action_result is action_responses.validate_action_result
