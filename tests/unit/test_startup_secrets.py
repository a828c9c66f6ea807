"""Outside development the processes refuse to start without their secrets, naming the
missing ones and never a value; in development the store's keys are still required,
while Rasa's token and the console's session secret are made up with a notice (P9)."""

import subprocess
import sys

import pytest

from bot.channels.base import SecretsMissing, refuse_without_secrets
from bot.keys import new_encryption_key, new_lookup_key
from bot.settings import Settings, SettingsError
from tests.helpers import ROOT

ALL = ("ENCRYPTION_KEYS", "LOOKUP_KEY", "RASA_API_TOKEN", "CONSOLE_SESSION_SECRET")


def settings(tmp_path, **given):
    return Settings.from_env(given, tmp_path / "absent.env")


def keys():
    return {"ENCRYPTION_KEYS": new_encryption_key(), "LOOKUP_KEY": new_lookup_key()}


def test_in_production_every_missing_secret_is_named_and_no_value_shown(tmp_path):
    given = {**keys(), "RASA_API_TOKEN": "a-real-token-0123456789"}
    production = settings(tmp_path, ASSISTANT_ENV="production", **given)
    with pytest.raises(SettingsError) as refused:
        production.require(*ALL)
    said = str(refused.value)
    assert "CONSOLE_SESSION_SECRET" in said and "production" in said
    assert "RASA_API_TOKEN" not in said
    assert not any(value in said for value in given.values())


def test_in_production_the_store_keys_are_named_when_missing(tmp_path):
    production = settings(tmp_path, ASSISTANT_ENV="production")
    with pytest.raises(SettingsError, match="ENCRYPTION_KEYS, LOOKUP_KEY"):
        production.require("ENCRYPTION_KEYS", "LOOKUP_KEY")


def test_in_development_the_store_keys_are_still_required_and_make_run_named(tmp_path):
    with pytest.raises(SettingsError, match="`make run` writes them"):
        settings(tmp_path, RASA_API_TOKEN="t").require(*ALL)


def test_in_development_the_token_and_session_secret_are_made_up_with_a_notice(tmp_path):
    notices = []
    made = settings(tmp_path, **keys()).require(*ALL, notice=notices.append)
    assert made.rasa_api_token and made.console_session_secret
    [notice] = notices
    assert "RASA_API_TOKEN" in notice and "CONSOLE_SESSION_SECRET" in notice
    assert made.rasa_api_token not in notice and made.console_session_secret not in notice
    # Made up for this process alone: another gets others.
    other = settings(tmp_path, **keys()).require(*ALL, notice=notices.append)
    assert other.console_session_secret != made.console_session_secret


def test_a_malformed_key_refuses_too_without_showing_it(tmp_path):
    bad = {**keys(), "ENCRYPTION_KEYS": "not-a-fernet-key"}
    with pytest.raises(SettingsError) as refused:
        settings(tmp_path, **bad).require("ENCRYPTION_KEYS", "LOOKUP_KEY")
    assert "not-a-fernet-key" not in str(refused.value)


def test_the_rasa_server_refuses_without_its_secrets(tmp_path):
    with pytest.raises(SecretsMissing, match="Refusing to start the Rasa server.*ENCRYPTION_KEYS"):
        refuse_without_secrets(settings(tmp_path))
    production = settings(tmp_path, ASSISTANT_ENV="production", **keys())
    with pytest.raises(SecretsMissing, match="RASA_API_TOKEN"):
        refuse_without_secrets(production)
    refuse_without_secrets(settings(tmp_path, **keys()))  # development: the token is Rasa's flag


def test_the_action_server_package_refuses_to_start_without_the_store_keys():
    # What `rasa run actions` does first: import every module of the package.
    started = subprocess.run(
        [sys.executable, "-c", "import actions.startup"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "ENCRYPTION_KEYS": "", "LOOKUP_KEY": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert "action server cannot start" in started.stderr and "LOOKUP_KEY" in started.stderr


@pytest.mark.parametrize("command", [["scripts.staff", "list"], ["scripts.outbox", "dead"]])
def test_the_commands_refuse_to_start_without_the_store_keys(tmp_path, command):
    ran = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "ASSISTANT_ENV": "production",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
            "ENCRYPTION_KEYS": new_encryption_key(),
            "LOOKUP_KEY": "",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 2
    assert "LOOKUP_KEY" in ran.stderr and "Traceback" not in ran.stderr
    assert not (tmp_path / "a.db").exists()  # refused before touching the store


def test_in_production_the_rasa_server_refuses_unless_started_with_the_api_token(tmp_path):
    token = "a-real-token-0123456789"
    production = settings(tmp_path, ASSISTANT_ENV="production", RASA_API_TOKEN=token, **keys())
    run = ["/venv/bin/rasa", "run", "--enable-api", "--port", "5005"]
    # The token set, but Rasa's HTTP API started without it: open to anyone.
    with pytest.raises(SecretsMissing, match="--auth-token") as refused:
        refuse_without_secrets(production, run)
    assert token not in str(refused.value)
    with pytest.raises(SecretsMissing, match="RASA_API_TOKEN") as refused:
        refuse_without_secrets(production, [*run, "--auth-token=some-other-token"])
    assert "some-other-token" not in str(refused.value)
    refuse_without_secrets(production, [*run, f"--auth-token={token}"])
    refuse_without_secrets(production, [*run, "--auth-token", token])
    refuse_without_secrets(settings(tmp_path, **keys()), run)  # development: not required
