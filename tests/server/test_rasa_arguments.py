"""The Rasa server is started with arguments Rasa's own parser reads as meant."""

from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

from scripts.processes import Assistant

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("token", ["plain-token", "-starts-with-a-dash", "--looks-like-an-option"])
def test_any_api_token_reaches_rasa_as_the_token(tmp_path, token):
    """A random token may start with "-": it must still protect the API, not stop the
    server from starting (or be taken for another option)."""
    assistant = Assistant(PROJECT, tmp_path, tmp_path / "model.tar.gz", api_token=token)
    arguments = create_argument_parser().parse_args(assistant.rasa_arguments())
    assert arguments.auth_token == token
    assert arguments.enable_api
