"""End to end in a real browser: a trainer turns what the assistant missed into training
data.

The staff app runs as `make run` starts it (`python -m bot.console`), over a tracker
store holding a tenant's message the assistant fell back on (written encrypted, as the
Rasa server's tracker store writes it) and a copy of the project's training files
(TRAINER_PROJECT_ROOT), so the checkout is never written to. Headless Chromium: a
trainer signs in, lands on the missed messages, sees the message with the phone number
taken out (P5), edits it, assigns it to an intent, and the intent's NLU file holds it,
sorted in the project's format.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import insert

from bot.console.accounts import Role, StaffAccounts
from bot.protection.conversations import engine_for, tracker_events
from bot.store import connect
from bot.trainer.nlu_files import read_blocks, render
from scripts.processes import free_port
from tests.e2e.browser import low_contrast
from tests.helpers import ROOT, keys_environment, store_keys

NAME, PASSWORD = "Tess Trainer", "trainer password " + secrets.token_hex(4)
MISSED = "me tap is drippin can u ring me on 07700 900123 after 3"
SHOWN = "me tap is drippin can u ring me on [phone] after 3"
EDITED = "me tap is drippin can u ring me after 3"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """The staff app alone (no Rasa server: the trainer pages do not need one), its
    address and the project copy it writes to."""
    tmp = tmp_path_factory.mktemp("trainer-console")
    project = tmp / "project"
    shutil.copytree(ROOT / "data" / "nlu", project / "data" / "nlu")
    for name in ("domain.yml", "config.yml"):
        shutil.copy(ROOT / name, project / name)

    database_url = f"sqlite:///{tmp / 'assistant.db'}"
    StaffAccounts(connect(database_url, store_keys())).create(
        NAME, PASSWORD, Role.TRAINER, datetime.now(timezone.utc)
    )
    tracker = engine_for(f"sqlite:///{tmp / 'tracker.db'}")
    tracker_events.metadata.create_all(tracker)
    ranking = [("nlu_fallback", 0.4), ("report_repair", 0.33), ("ask_repair_status", 0.2)]
    parse = {
        "intent": {"name": "nlu_fallback", "confidence": 0.4},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
    }
    with tracker.begin() as connection:
        for sender in ("facebook-private-1", "x-private-2"):
            at = time.time() - 60
            event = {"event": "user", "timestamp": at, "text": MISSED, "parse_data": parse}
            connection.execute(
                insert(tracker_events).values(
                    sender_id=sender,
                    type_name="user",
                    timestamp=at,
                    data=store_keys().encrypt(json.dumps(event)),
                )
            )
    endpoints = tmp / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: bot.channels.tracker_store.EncryptedSQLTrackerStore\n"
        f"  dialect: sqlite\n  db: {tmp / 'tracker.db'}\n"
    )

    port = free_port()
    env = {
        **os.environ,
        **keys_environment(),
        "DATABASE_URL": database_url,
        "CONSOLE_HOST": "127.0.0.1",
        "CONSOLE_PORT": str(port),
        "RASA_PORT": str(free_port()),
        "RASA_API_TOKEN": secrets.token_hex(16),
        "STAFF_API_TOKENS": f"e2e:{secrets.token_hex(16)}",
        "ENDPOINTS_FILE": str(endpoints),
        "TRAINER_PROJECT_ROOT": str(project),
    }
    log = open(tmp / "console.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.console"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp / "console.log").read_text()
            try:
                with urllib.request.urlopen(f"{address}/api/health", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "the staff app did not start"
                time.sleep(0.3)
        yield address, project
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
        log.close()


def test_a_trainer_assigns_a_missed_message_and_the_nlu_file_holds_it(page: Page, console):
    address, project = console
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))

    page.goto(f"{address}/")
    page.get_by_label("Name").fill(NAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # A trainer's home is the missed messages; their header offers the trainer pages only.
    expect(page.get_by_role("heading", name="Missed messages", level=1)).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(["Missed messages", "NLU report"])

    miss = page.get_by_role("region", name=SHOWN)
    expect(miss).to_contain_text("Sent 2 times")
    expect(miss).to_contain_text("report_repair (0.33)")
    assert "07700" not in page.content()
    assert low_contrast(page) == []  # WCAG AA, as the browser renders it

    text = miss.get_by_label("Example text")
    expect(text).to_have_value(SHOWN)
    text.fill(EDITED)
    miss.get_by_label("Intent").select_option("report_repair")
    miss.get_by_role("button", name="Add to training data").click()

    expect(page.get_by_role("status")).to_contain_text(
        f'Added to data/nlu/repairs.yml under report_repair: "{EDITED}"'
    )
    expect(page.get_by_role("status")).to_contain_text("make train")
    expect(page.get_by_role("region", name=SHOWN)).to_have_count(0)

    path = project / "data" / "nlu" / "repairs.yml"
    assert EDITED in dict(read_blocks(path))["report_repair"]
    assert path.read_text() == render(read_blocks(path))
    # The tenant's number is not written (the training data may hold other numbers from
    # Ofcom's range for drama, as examples of a message's shape).
    assert "900123" not in path.read_text()

    page.get_by_role("link", name="NLU report").click()
    expect(page.get_by_role("heading", name="NLU report", level=1)).to_be_visible()
    expect(page.get_by_text("make nlu-report")).to_be_visible()
    assert errors == []
