"""The outbox sent from a process of its own (bot/channels/sending.py, P12: speed): a
reply queued by the server is sent once by its child, on the server's clock; the child
goes with its server, even one killed; the server starts it again if it stops."""

import asyncio
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from bot.channels import runtime as runtime_module
from bot.channels.sending import SendingProcess, serve
from bot.channels.wiring import build_runtime, shared_runtime
from bot.clock import real_now
from bot.events import InboundEvent
from bot.settings import Settings
from scripts.fake_platforms import FakePlatforms
from tests.helpers import ROOT, facebook_environ, until

# Two days on: a child on the real clock would find the reply not due yet.
AHEAD = timedelta(days=2)


def ahead() -> datetime:
    return real_now() + AHEAD


@pytest.fixture
def platforms():
    with FakePlatforms() as fake:
        yield fake


@pytest.fixture
def settings(platforms, tmp_path):
    environ = facebook_environ(tmp_path, platforms.graph_url)
    return Settings.from_env(environ=environ, dotenv_path=tmp_path / "none")


def message(psid, number):
    return InboundEvent(
        "facebook", "message", f"mid.{psid}.{number}", "private", psid, "hello", ahead()
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child that has exited but not been reaped yet is a zombie: gone all the same.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


async def test_the_child_sends_each_reply_once_on_the_servers_clock(settings, platforms):
    runtime = build_runtime(settings, clock=ahead)
    runtime.sending = SendingProcess(settings, ahead)
    claims = []
    claim = runtime.outbox.claim
    runtime.outbox.claim = lambda *a, **k: claims.append(1) or claim(*a, **k)
    runtime.start(SimpleNamespace(ctx=SimpleNamespace(agent=None)), None)
    try:
        assert await until(runtime.sending.running, 10)
        for number in range(3):
            await runtime.enqueue_reply(message(f"p{number}", number), f"Reply {number}", 0)
        assert await until(lambda: len(platforms.texts()) == 3, 30), platforms.texts()
        await asyncio.sleep(1.5)  # time for a second sending, were there one
        child = runtime.sending._process
    finally:
        await runtime.stop()
    assert sorted(platforms.texts()) == ["Reply 0", "Reply 1", "Reply 2"]
    assert claims == [], "the server read its outbox itself"
    # Stopping the runtime ends the child.
    assert child.returncode is not None


async def test_the_server_starts_its_child_again_if_it_stops(settings, monkeypatch):
    monkeypatch.setattr(runtime_module, "SENDING_CHECK_EVERY", 0.2)
    runtime = build_runtime(settings)
    runtime.sending = SendingProcess(settings, runtime_module.utc_now)
    runtime.start(SimpleNamespace(ctx=SimpleNamespace(agent=None)), None)
    try:
        assert await until(runtime.sending.running, 10)
        first = runtime.sending._process.pid
        os.kill(first, signal.SIGKILL)
        assert await until(
            lambda: runtime.sending.running() and runtime.sending._process.pid != first, 10
        )
    finally:
        await runtime.stop()


def test_the_child_goes_with_a_killed_server(settings, tmp_path):
    """A server killed (SIGKILL, no clean-up) leaves no child sending behind it."""
    script = tmp_path / "server.py"
    script.write_text(
        textwrap.dedent(
            """
            import pickle, sys, time
            from bot.channels.sending import SendingProcess, serve
            from bot.clock import real_now
            sending = SendingProcess(pickle.load(sys.stdin.buffer), real_now)
            sending.start()
            print(sending._process.pid, flush=True)
            time.sleep(600)
            """
        )
    )
    import pickle

    server = subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        server.stdin.write(pickle.dumps(settings))
        server.stdin.close()
        child = int(server.stdout.readline())
        time.sleep(3)  # the child has read its orders and is waiting for rings
        assert alive(child)
        server.kill()
        server.wait()
        deadline = time.monotonic() + 20
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(child), "the child outlived its server"
    finally:
        server.kill()


async def test_a_rasa_server_sends_from_a_child_unless_told_not_to(platforms, tmp_path):
    environ = facebook_environ(tmp_path, platforms.graph_url)
    for setting, expected in (({}, True), ({"OUTBOX_PROCESS": "off"}, False)):
        settings = Settings.from_env(environ={**environ, **setting}, dotenv_path=tmp_path / "n")
        app = SimpleNamespace(ctx=SimpleNamespace())
        runtime = await shared_runtime(app, settings)
        assert (runtime.sending is not None) is expected
        assert settings.outbox_process is expected


def ignores_ctrl_c(pid: int) -> bool:
    """Whether `pid` has set SIGINT aside (its mask of ignored signals, /proc)."""
    with open(f"/proc/{pid}/status") as status:
        mask = next(line.split()[1] for line in status if line.startswith("SigIgn:"))
    return bool(int(mask, 16) & (1 << (signal.SIGINT - 1)))


def test_ctrl_c_leaves_the_child_to_finish_after_its_server(settings):
    sending = SendingProcess(settings, real_now)
    sending.start()
    try:
        pid = sending._process.pid
        deadline = time.monotonic() + 30
        while not ignores_ctrl_c(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(pid, signal.SIGINT)
        time.sleep(1)
        assert sending.running()
    finally:
        sending.stop()
    assert sending._process is None


def test_a_ring_never_waits_on_a_child_that_does_not_read(settings):
    sending = SendingProcess(settings, real_now)
    sending.start()
    try:
        os.kill(sending._process.pid, signal.SIGSTOP)  # reads nothing, pipe fills
        began = time.monotonic()
        for _ in range(100_000):
            sending.set()
        assert time.monotonic() - began < 5
    finally:
        os.kill(sending._process.pid, signal.SIGCONT)
        sending.stop()
    assert not sending.running()


async def test_a_server_stopped_at_once_starts_no_child(settings, monkeypatch):
    """A test client's request starts and stops the server's runtime: no process for it."""
    started = []
    monkeypatch.setattr(SendingProcess, "start", lambda self: started.append(self))
    runtime = build_runtime(settings)
    runtime.sending = SendingProcess(settings, runtime_module.utc_now)
    runtime.start(SimpleNamespace(ctx=SimpleNamespace(agent=None)), None)
    await asyncio.sleep(runtime_module.SENDING_START_AFTER / 2)
    await runtime.stop()
    await asyncio.sleep(runtime_module.SENDING_START_AFTER)
    assert started == []


def test_a_child_given_no_orders_ends_quietly():
    built = []
    for given in (b"", (100).to_bytes(8, "big") + b"short"):
        serve(io.BytesIO(given), lambda *args: built.append(args))
    assert built == []
