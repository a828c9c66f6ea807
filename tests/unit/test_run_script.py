"""What `make run` decides before it starts anything."""

import pytest

from bot.sandbox.mode import sandbox_env
from bot.settings import Settings
from scripts.run import ROOT, banner, rest_channel_on_unless_set, sandbox_unless_platforms


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


def test_the_sandbox_keeps_its_own_store(tmp_path):
    # Sandbox handoffs, strikes and blocks never mix with a real store's.
    real = Settings.from_env({}, dotenv_path=tmp_path / "none").database_url
    environ = {}
    assert sandbox_unless_platforms(environ, tmp_path / "none")
    sandbox = Settings.from_env(environ, dotenv_path=tmp_path / "none")
    assert sandbox.database_url == f"sqlite:///{ROOT / 'var' / 'sandbox.db'}" != real


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_a_store_given_explicitly_is_used_in_sandbox_mode_too(tmp_path, where):
    given = f"sqlite:///{tmp_path / 'mine.db'}"
    env_file = tmp_path / ".env"
    env_file.write_text(f"DATABASE_URL={given}\n" if where == ".env" else "")
    environ = {"DATABASE_URL": given} if where == "environment" else {}
    assert sandbox_unless_platforms(environ, env_file)
    assert Settings.from_env(environ, dotenv_path=env_file).database_url == given


def test_outside_sandbox_mode_the_store_is_the_usual_one(tmp_path):
    environ = {"FACEBOOK_APP_SECRET": "s"}
    assert not sandbox_unless_platforms(environ, tmp_path / "none")
    assert "DATABASE_URL" not in environ


def test_the_banner_says_alerts_are_off_in_sandbox_mode(tmp_path):
    class Running:
        rasa_url = action_url = console_url = "http://127.0.0.1:5005"

    on = Settings.from_env(sandbox_env(5080), dotenv_path=tmp_path / "none")
    assert "Alerts:         off in sandbox mode" in banner(Running(), on, "file")
    off = Settings.from_env({}, dotenv_path=tmp_path / "none")
    assert "Alerts:         off" not in banner(Running(), off, "file")
