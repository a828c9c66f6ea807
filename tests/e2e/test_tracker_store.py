"""End to end: conversations are never kept only in memory (P12), and are kept
encrypted (P9), with no sealed answer left once an identity check is over (P4).

Rasa loads the tracker store endpoints.yml names; when it cannot, it carries on with
an in-memory store and a warning, and every conversation (handoffs, pauses, identity
checks) would vanish at the next restart. The Rasa server refuses to start instead.
"""

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from bot.channels.rest import rest_conversation_id
from bot.handoff.conversations import RasaConversations
from bot.protection.conversations import TrackerEvents, engine_for
from bot.store import connect
from bot.tenancy.masking import HIDDEN, SECURITY_SLOTS
from bot.tenancy.records import TenancyRepository, load_tenancies
from bot.tenancy.security_question import Sealer
from scripts.processes import free_port, send
from tests.helpers import DEMO_TENANCIES, ROOT, assistant_in, store_keys


def test_the_rasa_server_refuses_to_start_without_its_tracker_store(tmp_path):
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    endpoints["tracker_store"] = {"type": "bot.no_such_module.TrackerStore", "db": "x.db"}
    endpoints.pop("action_endpoint", None)
    (tmp_path / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
    port, log = free_port(), tmp_path / "rasa.log"
    command = [
        str(Path(sys.executable).parent / "rasa"),
        "run",
        "--model",
        str(ROOT / "models"),
        "--port",
        str(port),
        "--interface",
        "127.0.0.1",
        "--endpoints",
        str(tmp_path / "endpoints.yml"),
        "--credentials",
        str(ROOT / "credentials.yml"),
    ]
    with open(log, "wb") as output:
        server = subprocess.Popen(
            command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            answered = False
            deadline = time.monotonic() + 180
            while server.poll() is None and time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                        answered = True
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    time.sleep(0.5)
        finally:
            if server.poll() is None:
                server.kill()
            server.wait()
    said = log.read_text(errors="replace")
    assert not answered, "the server answered with its conversations only in memory"
    assert server.returncode != 0
    assert "bot.no_such_module.TrackerStore" in said
    assert "refus" in said.lower()


def test_the_rasa_server_refuses_to_start_without_the_keys_of_its_tracker_store(tmp_path):
    # P9: without ENCRYPTION_KEYS the conversations could not be kept encrypted; the
    # server must neither keep them in clear nor in memory.
    port, log = free_port(), tmp_path / "rasa.log"
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    endpoints.pop("action_endpoint", None)
    endpoints["tracker_store"]["db"] = str(tmp_path / "tracker.db")
    (tmp_path / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
    command = [
        str(Path(sys.executable).parent / "rasa"),
        "run",
        "--model",
        str(ROOT / "models"),
        "--port",
        str(port),
        "--interface",
        "127.0.0.1",
        "--endpoints",
        str(tmp_path / "endpoints.yml"),
        "--credentials",
        str(ROOT / "credentials.yml"),
    ]
    # Set, and empty: a .env in the project does not fill them in either.
    env = {**os.environ, "ENCRYPTION_KEYS": "", "LOOKUP_KEY": ""}
    with open(log, "wb") as output:
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            answered = False
            deadline = time.monotonic() + 180
            while server.poll() is None and time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                        answered = True
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    time.sleep(0.5)
        finally:
            if server.poll() is None:
                server.kill()
            server.wait()
    said = log.read_text(errors="replace")
    assert not answered, "the server answered without the keys of its tracker store"
    assert server.returncode != 0
    assert "Refusing to start" in said and "ENCRYPTION_KEYS" in said, said[-2000:]


# --- conversations through the running assistant (P4, P9) ---------------------------

PERSONAL = ("07700 900123", "12/04/1961", "14 Elm Road, LS6 2AB")
MARGARET = ("TEN-204817", "Margaret Thompson", "12th April 1958")


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tracker")
    database_url = f"sqlite:///{tmp / 'assistant.db'}"
    engine = connect(database_url, store_keys())
    load_tenancies(DEMO_TENANCIES, TenancyRepository(engine))
    token = secrets.token_urlsafe(16)
    assistant = assistant_in(
        tmp,
        {"DATABASE_URL": database_url, "SECURITY_ANSWERS_KEY": Sealer.new_key()},
        api_token=token,
    )
    with assistant:
        yield {
            "assistant": assistant,
            "rasa": RasaConversations(assistant.rasa_url, token),
            "tracker": tmp / "tracker.db",
        }


def stored(running, conversation_id):
    """Every stored event of the conversation, decrypted with the servers' keys."""
    reader = TrackerEvents(engine_for(f"sqlite:///{running['tracker']}"), store_keys())
    return reader.events(conversation_id)


def test_conversations_are_encrypted_on_disk_and_read_back_through_rasas_api(running):
    sender = f"tracker-{uuid.uuid4().hex[:8]}"
    said = [
        f"my phone number is {PERSONAL[0]}",
        f"my date of birth is {PERSONAL[1]}",
        f"I live at {PERSONAL[2]}",
    ]
    for text in said:
        send(running["assistant"].rasa_url, sender, text)

    content = running["tracker"].read_bytes()
    for detail in (*PERSONAL, "07700", "Elm Road"):
        assert detail.encode() not in content, detail

    # Staff read the conversation through Rasa's HTTP API: every message, decrypted.
    tracker = running["rasa"].tracker(rest_conversation_id(sender))
    texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert texts == said


def test_once_a_check_through_the_assistant_is_over_no_sealed_answer_is_kept(running):
    url = running["assistant"].rasa_url
    refused, verified = (f"tracker-{uuid.uuid4().hex[:8]}" for _ in range(2))
    for sender, answers in (
        (refused, ("TEN-204817", "Margaret Thompson", "13/04/1958")),
        (verified, MARGARET),
    ):
        asked = " ".join(r.get("text", "") for r in send(url, sender, "how much rent do i owe"))
        assert "tenancy reference" in asked, asked
        for answer in answers:
            told = " ".join(r.get("text", "") for r in send(url, sender, answer))
    assert "£123.45 in arrears" in told  # the check worked with the sealed answers

    for sender in (refused, verified):
        events = stored(running, rest_conversation_id(sender))
        answered = [e for e in events if e.get("event") == "slot" and e["name"] in SECURITY_SLOTS]
        assert HIDDEN in [e["value"] for e in answered]
        sealed = [e for e in events if "sealed:" in json.dumps(e)]
        # Only who verified, and when, stays sealed (it is no answer): the gate needs it.
        assert [e.get("name") for e in sealed] == (
            [] if sender == refused else ["identity_verification"]
        ), sealed
