"""What `make run` decides before it starts anything."""

import pytest

from bot.settings import Settings
from scripts.run import rest_channel_on_unless_set


@pytest.mark.parametrize(
    "environ, dotenv, expected",
    [
        ({}, "", True),  # local chat: on
        ({"REST_CHANNEL": "off"}, "", False),
        ({}, "REST_CHANNEL=off\n", False),  # an operator's .env stands
        ({"REST_CHANNEL": "on"}, "REST_CHANNEL=off\n", True),  # the environment wins
    ],
)
def test_make_run_turns_the_rest_channel_on_unless_it_is_set(tmp_path, environ, dotenv, expected):
    env_file = tmp_path / ".env"
    env_file.write_text(dotenv)
    environ = dict(environ)
    rest_channel_on_unless_set(environ, env_file)
    assert Settings.from_env(environ, dotenv_path=env_file).rest_channel is expected


@pytest.mark.parametrize("value", [None, "", "off", "no", "0", "false"])
def test_the_rest_channel_is_off_unless_turned_on(tmp_path, value):
    environ = {} if value is None else {"REST_CHANNEL": value}
    assert Settings.from_env(environ, dotenv_path=tmp_path / "none").rest_channel is False
