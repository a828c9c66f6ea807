"""End to end: outside development the processes refuse to start without their secrets
(P9), as they are started for real, naming what is missing and showing no value."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from bot.keys import new_encryption_key, new_lookup_key
from scripts.processes import free_port
from tests.helpers import ROOT

VENV_BIN = Path(sys.executable).parent


def started(command, tmp_path, **env):
    """Run `command` as a production deployment would, with `env` over the usual."""
    given = {
        **os.environ,
        "ASSISTANT_ENV": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'assistant.db'}",
        "STAFF_API_TOKENS": f"Sam:{secrets.token_hex(16)}",
        "CONSOLE_PORT": str(free_port()),
        "RASA_API_TOKEN": secrets.token_hex(16),
        "CONSOLE_SESSION_SECRET": secrets.token_hex(16),
        **env,
    }
    process = subprocess.run(
        command, cwd=ROOT, env=given, capture_output=True, text=True, timeout=60
    )
    return process, given


def test_the_staff_app_in_production_without_its_session_secret_refuses_to_start(tmp_path):
    # Empty, not unset: a .env in the checkout must not fill it in.
    process, given = started(
        [sys.executable, "-m", "bot.console"], tmp_path, CONSOLE_SESSION_SECRET=""
    )
    assert process.returncode != 0
    said = process.stdout + process.stderr
    assert "cannot start" in said and "CONSOLE_SESSION_SECRET" in said
    for name in ("ENCRYPTION_KEYS", "LOOKUP_KEY", "RASA_API_TOKEN"):
        assert given[name] not in said


def test_the_action_server_in_production_without_the_lookup_key_refuses_to_start(tmp_path):
    port = free_port()
    process, given = started(
        [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(port)],
        tmp_path,
        LOOKUP_KEY="",
    )
    assert process.returncode != 0
    said = process.stdout + process.stderr
    assert "action server cannot start" in said and "LOOKUP_KEY" in said
    assert given["ENCRYPTION_KEYS"] not in said


def test_the_rasa_server_in_production_without_its_api_token_refuses_to_start(tmp_path):
    # RASA_API_TOKEN is set, but Rasa's HTTP API is started without it: open to anyone.
    command = [
        str(VENV_BIN / "rasa"),
        "run",
        "--model",
        str(ROOT / "models"),
        "--enable-api",
        "--port",
        str(free_port()),
        "--interface",
        "127.0.0.1",
        "--credentials",
        str(ROOT / "credentials.yml"),
        "--endpoints",
        str(ROOT / "endpoints.yml"),
    ]
    keys = {"ENCRYPTION_KEYS": new_encryption_key(), "LOOKUP_KEY": new_lookup_key()}
    process, given = started(command, tmp_path, **keys)
    assert process.returncode != 0
    said = process.stdout + process.stderr
    assert "Refusing to start the Rasa server" in said and "--auth-token" in said
    for name in ("ENCRYPTION_KEYS", "LOOKUP_KEY", "RASA_API_TOKEN"):
        assert given[name] not in said
