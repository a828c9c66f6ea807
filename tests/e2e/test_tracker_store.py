"""End to end: conversations are never kept only in memory (P12).

Rasa loads the tracker store endpoints.yml names; when it cannot, it carries on with
an in-memory store and a warning, and every conversation (handoffs, pauses, identity
checks) would vanish at the next restart. The Rasa server refuses to start instead.
"""

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from scripts.processes import free_port
from tests.helpers import ROOT


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
