"""End to end: `make run` as a newcomer runs it, a conversation through the REST channel.

`make test` has already installed and trained by the time this runs, so this is the
"second `make run`": it must install nothing, train nothing and answer within 30 s.
"""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from stat import S_IMODE

import pytest
from dotenv import dotenv_values

from bot.association import load_association
from scripts.processes import free_port, send
from tests.helpers import ROOT

ASSOCIATION = load_association(ROOT / "association.yml")


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class MakeRun:
    """`make run` in its own process group, its output collected as it comes."""

    def __init__(self, database_url, admin_password_file):
        self.admin_password_file = Path(admin_password_file)
        self.database_url = database_url
        self.rasa_port, self.action_port = free_port(), free_port()
        self.console_port = free_port()
        self.url = f"http://127.0.0.1:{self.rasa_port}"
        env = {
            **os.environ,
            "RASA_PORT": str(self.rasa_port),
            "ACTION_PORT": str(self.action_port),
            "CONSOLE_PORT": str(self.console_port),
            "DATABASE_URL": database_url,
            "CONSOLE_ADMIN_PASSWORD_FILE": admin_password_file,
        }
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            ["make", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines = []
        threading.Thread(target=self._collect, daemon=True).start()
        self.answered_after = self._first_answer(deadline=180)
        self._wait_for_banner(seconds=15)

    def _collect(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def _first_answer(self, deadline):
        while time.monotonic() - self.started < deadline:
            if self.process.poll() is not None:
                pytest.fail("make run exited:\n" + "".join(self.lines[-40:]))
            try:
                if send(self.url, f"probe-{uuid.uuid4().hex}", "hello", timeout=10):
                    return time.monotonic() - self.started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        pytest.fail("make run did not answer:\n" + "".join(self.lines[-40:]))

    def _wait_for_banner(self, seconds):
        # The server can answer a moment before the supervisor prints where it listens.
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and "Stop it:" not in "".join(self.lines):
            time.sleep(0.2)

    def interrupt(self):
        """What Ctrl-C in the terminal does: SIGINT to the foreground process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=60)

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("make-run")
    running = MakeRun(f"sqlite:///{folder / 'assistant.db'}", str(folder / "admin-password"))
    yield running
    running.kill()


class Tenant:
    def __init__(self, url):
        self.url, self.sender = url, f"tenant-{uuid.uuid4().hex[:12]}"

    def says(self, text):
        replies = send(self.url, self.sender, text)
        assert replies, f"no reply to {text!r}"
        return "\n".join(r.get("text", "") for r in replies)


@pytest.fixture()
def tenant(run):
    return Tenant(run.url)


def test_a_second_make_run_installs_nothing_trains_nothing_and_answers_in_30_seconds(run):
    output = "".join(run.lines)
    assert "Model is up to date" in output
    assert "Installing" not in output
    assert "Training a model" not in output
    assert run.answered_after < 30, f"first answer after {run.answered_after:.1f}s"


def test_it_prints_where_it_listens_and_how_to_talk_to_it(run):
    output = "".join(run.lines)
    assert f"http://127.0.0.1:{run.rasa_port}/webhooks/rest/webhook" in output
    assert f"http://127.0.0.1:{run.action_port}/webhook" in output
    assert "make chat" in output
    # The REST channel is on for local chat, and it says so.
    assert "REST channel:   on, for local chat" in output
    # No platform secrets in this environment: it starts in sandbox mode, and says so,
    # with the sandbox's address; every channel is played by the sandbox.
    assert "Sandbox mode: no platform credentials are set" in output
    assert f"Sandbox:        http://127.0.0.1:{run.console_port}/sandbox" in output
    for name in ("Facebook", "X", "Instagram", "YouTube", "LinkedIn"):
        assert f"{name + ':':15} on, played by the sandbox (no real platform)" in output


def test_the_secrets_are_in_a_env_file_only_its_user_can_read_and_git_ignores(run):
    # P9: make run wrote them on its first run (the store's keys come from this test
    # session's environment, so only the others needed writing), mode 600, not committed.
    env_file = ROOT / ".env"
    assert S_IMODE(env_file.lstat().st_mode) == 0o600
    assert subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT).returncode == 0
    values = dotenv_values(env_file)
    for name in ("ENCRYPTION_KEYS", "LOOKUP_KEY", "RASA_API_TOKEN", "CONSOLE_SESSION_SECRET"):
        assert values.get(name) or os.environ.get(name), name
    assert "Secrets:        .env (mode 600" in "".join(run.lines)
    # The Rasa server runs behind the token .env holds.
    token = os.environ.get("RASA_API_TOKEN") or values["RASA_API_TOKEN"]
    tracker = f"{run.url}/conversations/nobody/tracker"
    with urllib.request.urlopen(f"{tracker}?token={urllib.parse.quote(token)}", timeout=10) as ok:
        assert ok.status == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{tracker}?token=wrong", timeout=10)
    assert refused.value.code == 401


def test_greeting_names_the_association_from_its_configuration(tenant):
    assert ASSOCIATION.name in tenant.says("hello there")


def test_an_emergency_gets_every_emergency_contact_in_the_first_reply(tenant):
    """P2."""
    reply = tenant.says("water is pouring through my kitchen ceiling from the flat upstairs")
    for contact in ASSOCIATION.emergency_contacts:
        assert contact.number in reply


def test_opening_hours_state_p1_from_the_configuration(tenant):
    reply = tenant.says("what hours do you answer messages on here")
    assert ASSOCIATION.monitoring.describe() in reply
    assert "bank holidays" in reply


def test_a_repair_in_private_is_checked_for_an_emergency_then_triaged(tenant):
    assert "emergency" in tenant.says("the radiator in my back bedroom has gone cold")
    reply = tenant.says("no it isnt")
    assert "four quick questions so our Repairs team has what they need" in reply
    assert reply.endswith(
        "What's wrong? Tell me in a few words, for example: the kitchen tap drips all the time."
    )


def test_rent_balance_asks_for_a_security_check_and_discloses_nothing(tenant):
    """P4."""
    reply = tenant.says("how much rent do i owe")
    assert "security questions" in reply
    assert "£" not in reply


def test_the_demo_tenancies_are_loaded_at_set_up_and_a_check_passes(run, tenant):
    """P4: docs/staff.md, "Demo tenancies"."""
    assert "Loaded 3 demo tenancies" in "".join(run.lines)
    tenant.says("whats my rent balance")
    assert "full name" in tenant.says("TEN-204817")
    assert "date of birth" in tenant.says("Margaret Thompson")
    assert "£123.45 in arrears" in tenant.says("12/04/1958")


def test_the_running_processes_say_which_keys_they_hold_so_rotation_waits_for_them(run, tenant):
    """P9: a new key is not used until every running process holds it."""
    from datetime import datetime, timezone

    from sqlalchemy import select

    from bot.keys import DataKeys, new_encryption_key
    from bot.protection.rotation import encrypting_under_old, not_holding
    from bot.store import connect, key_holders

    tenant.says("whats my rent balance")  # an action runs on the action server
    values = {**dotenv_values(ROOT / ".env"), **os.environ}
    keys = DataKeys(values["ENCRYPTION_KEYS"].split(","), values["LOOKUP_KEY"])
    store = connect(run.database_url, keys)
    with store.connect() as connection:
        kinds = set(connection.execute(select(key_holders.c.kind)).scalars())
    assert {"Rasa server", "action server", "console"} <= kinds
    now = datetime.now(timezone.utc)
    assert encrypting_under_old(store, keys.encryption_keys[0], now) == []
    waiting = not_holding(store, new_encryption_key(), now)
    assert {"Rasa server", "action server", "console"} <= set(waiting)


def test_a_complaint_goes_to_customer_experience(tenant):
    """P11."""
    reply = tenant.says("i want to make a formal complaint about my repair taking months")
    assert "Customer Experience" in reply
    assert ASSOCIATION.pages["complaints"] in reply


def test_abuse_gets_a_civil_warning_that_repeats_nothing(tenant):
    """P7."""
    reply = tenant.says("you lot are useless f*cking idiots")
    assert "civil" in reply
    assert "f*ck" not in reply.lower()


def test_privacy_explains_p9_and_links_the_notice(tenant):
    reply = tenant.says("who can see the private messages i send you")
    assert "Communications and Customer teams" in reply
    assert ASSOCIATION.pages["privacy_notice"] in reply


def test_not_understood_asks_to_rephrase_and_offers_a_person(tenant):
    # "/nlu_fallback" gives the fallback intent directly: the model's confidence on any
    # one made-up text is not something to build a test on.
    reply = tenant.says("/nlu_fallback")
    assert "say it another way" in reply and "member of our team" in reply
    assert "passed your conversation to our Communications team" in tenant.says("yes please")


def test_no_reply_leaves_a_placeholder_unfilled(tenant):
    for text in ["hi", "are you a bot", "any jobs going", "any houses to rent", "thanks"]:
        reply = tenant.says(text)
        assert "{" not in reply and "None" not in reply, reply


def test_the_staff_app_runs_on_loopback_behind_the_token_it_printed(run):
    output = "".join(run.lines)
    address = f"http://127.0.0.1:{run.console_port}"
    assert f"Staff API:      {address}/api/handoffs" in output
    assert "var/staff-api-tokens" in output
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{address}/api/handoffs", timeout=10)
    assert refused.value.code == 401
    lines = (ROOT / "var" / "staff-api-tokens").read_text().splitlines()
    name, _, token = next(line for line in lines if not line.startswith("#")).partition(":")
    request = urllib.request.Request(
        f"{address}/api/handoffs", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert "handoffs" in json.loads(response.read())


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_console_asks_for_a_sign_in_and_the_first_admin_account_signs_in(run):
    output = "".join(run.lines)
    address = f"http://127.0.0.1:{run.console_port}"
    assert f"Staff console:  {address}/" in output
    assert f"admin, password in {run.admin_password_file}" in output
    assert oct(run.admin_password_file.stat().st_mode & 0o777) == "0o600"
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(jar))
    with pytest.raises(urllib.error.HTTPError) as stranger:
        browser.open(f"{address}/accounts", timeout=10)
    assert stranger.value.code == 303
    assert stranger.value.headers["Location"] == "/login?next=%2Faccounts"
    with browser.open(f"{address}/login", timeout=10) as form:
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.read().decode()).group(1)
    lines = run.admin_password_file.read_text().splitlines()
    password = next(line for line in lines if not line.startswith("#"))
    body = urllib.parse.urlencode(
        {"csrf_token": token, "name": "admin", "password": password, "next": "/accounts"}
    ).encode()
    with pytest.raises(urllib.error.HTTPError) as signed_in:
        browser.open(f"{address}/login", data=body, timeout=10)
    assert signed_in.value.code == 303 and signed_in.value.headers["Location"] == "/accounts"
    with browser.open(f"{address}/accounts", timeout=10) as page:
        text = re.sub(r"<[^>]+>", "", page.read().decode())
        assert "Signed in as admin (Admin)" in " ".join(text.split())


def test_in_sandbox_mode_the_sandbox_page_shows_all_five_platforms_panes(run):
    address = f"http://127.0.0.1:{run.console_port}"
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with browser.open(f"{address}/login", timeout=10) as form:
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.read().decode()).group(1)
    lines = run.admin_password_file.read_text().splitlines()
    password = next(line for line in lines if not line.startswith("#"))
    body = urllib.parse.urlencode(
        {"csrf_token": token, "name": "admin", "password": password, "next": "/sandbox"}
    ).encode()
    with browser.open(f"{address}/login", data=body, timeout=10) as page:
        shown = page.read().decode()
    assert re.findall(r'data-pane="([\w-]+)"', shown) == [
        "facebook",
        "messenger",
        "x-timeline",
        "x-dms",
        "instagram",
        "instagram-dms",
        "youtube",
        "linkedin",
    ]


def test_ctrl_c_stops_both_servers(run):
    code = run.interrupt()
    # make ends itself with the signal (-2) or reports it (2, 130); the servers must be gone.
    assert code in (0, 2, 130, -2), "".join(run.lines[-20:])
    assert not port_open(run.rasa_port)
    assert not port_open(run.action_port)
    assert not port_open(run.console_port)


def descendants(pid):
    """The processes started under `pid` (children, theirs, ...), read from /proc."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, waiting = [], [pid]
    while waiting:
        for child in children.get(waiting.pop(), []):
            found.append(child)
            waiting.append(child)
    return found


def running_pid(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def command_line(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_sigterm_to_make_run_stops_both_servers_within_seconds(tmp_path):
    """As systemd or a container runtime stops a service: SIGTERM to the main process."""
    run = MakeRun(f"sqlite:///{tmp_path / 'assistant.db'}", str(tmp_path / "admin-password"))
    started = descendants(run.process.pid)
    try:
        servers = [pid for pid in started if " run " in f"{command_line(pid)} "]
        servers = [pid for pid in servers if "rasa" in command_line(pid)]
        assert len(servers) == 2, [command_line(pid) for pid in started]
        os.kill(run.process.pid, signal.SIGTERM)
        run.process.wait(timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(map(running_pid, started)):
            time.sleep(0.2)
        left = [command_line(pid) for pid in started if running_pid(pid)]
        assert left == [], left
        assert not port_open(run.rasa_port) and not port_open(run.action_port)
    finally:
        run.kill()
        for pid in started:  # what a failed stop left behind
            if running_pid(pid):
                os.kill(pid, signal.SIGKILL)


def test_sigterm_while_make_run_trains_stops_the_training(tmp_path):
    import shutil
    import sys

    # What `make run` runs first when the model is stale, in a copy of the project so
    # that no model is written here; --force trains whatever.
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "models").mkdir()
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "train_if_needed.py", tmp_path / "scripts")
    process = subprocess.Popen(
        [sys.executable, "scripts/train_if_needed.py", "--force"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    training = []
    try:
        deadline = time.monotonic() + 60
        while not training and time.monotonic() < deadline:
            time.sleep(0.2)
            training = [p for p in descendants(process.pid) if "train" in command_line(p)]
        assert training, "the training did not start"
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(map(running_pid, training)):
            time.sleep(0.2)
        assert not any(map(running_pid, training)), [command_line(p) for p in training]
    finally:
        if process.poll() is None:
            process.kill()
        for pid in training:
            if running_pid(pid):
                os.kill(pid, signal.SIGKILL)


def test_when_the_supervisor_is_killed_outright_the_servers_stop_too(tmp_path):
    """SIGKILL (or the out-of-memory killer) leaves the supervisor no time to stop them."""
    run = MakeRun(f"sqlite:///{tmp_path / 'assistant.db'}", str(tmp_path / "admin-password"))
    started = descendants(run.process.pid)
    try:
        [supervisor] = [pid for pid in started if "scripts/run.py" in command_line(pid)]
        os.kill(supervisor, signal.SIGKILL)
        run.process.wait(timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(map(running_pid, started)):
            time.sleep(0.2)
        assert [command_line(pid) for pid in started if running_pid(pid)] == []
    finally:
        run.kill()
        for pid in started:
            if running_pid(pid):
                os.kill(pid, signal.SIGKILL)
