"""The load generator's judgement and report (bench/load.py): a step holds only when
nothing is lost and replies are quick, and the figures land between the README's
markers."""

import os
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from bench.load import (
    Processes,
    Run,
    Step,
    cpu_by_role,
    memory_by_role,
    report,
    update_readme,
    webhook,
)
from bot.platforms.signatures import facebook_signature


def step(rate=10.0, sent=4, accepted=4, answered=4, apologies=0, reply=(0.1, 0.2, 0.3, 0.4)):
    return Step(
        rate=rate,
        sent=sent,
        accepted=accepted,
        answered=answered,
        apologies=apologies,
        ack=[0.01] * accepted,
        reply=list(reply),
        cpu={"Rasa server": 80.0},
        memory_mb={"Rasa server": 800.0},
    )


def test_a_step_with_everything_answered_quickly_holds():
    assert step().held


@pytest.mark.parametrize(
    "changed",
    [
        {"accepted": 3, "answered": 3},  # a webhook refused, so never answered
        {"answered": 3},  # a message never answered
        {"apologies": 1},  # answered with the apology, not the answer
        {"reply": (0.1, 0.2, 0.3, 1.5)},  # p95 over a second
        {"answered": 0, "reply": ()},  # nothing answered at all
    ],
)
def test_a_step_that_loses_a_message_or_is_slow_does_not_hold(changed):
    assert not step(**changed).held


def test_the_rate_held_is_the_highest_step_that_held():
    run = Run("embedded", [step(5), step(10), step(15, answered=3)])
    assert run.held_rate == 10
    assert Run("embedded", [step(5, answered=0, reply=())]).held_rate == 0


def test_the_report_compares_two_instances_with_one():
    runs = [Run("embedded", [step(10)]), Run("cluster", [step(10), step(18)])]
    text = report(runs, 20)
    assert "| embedded | 10 |" in text and "| cluster | 18 |" in text
    assert "Two instances against one instance: 1.80 times the rate." in text
    assert "CPU % Rasa server" in text


def test_the_report_goes_between_the_readme_markers_and_nowhere_else(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("before\n<!-- load:start -->\nold\n<!-- load:end -->\nafter\n")
    update_readme("new table", readme)
    assert readme.read_text() == (
        "before\n<!-- load:start -->\nnew table\n<!-- load:end -->\nafter\n"
    )
    readme.write_text("no markers\n")
    with pytest.raises(SystemExit):
        update_readme("new table", readme)


def test_each_webhook_is_signed_as_facebook_signs_it_and_from_its_own_tenant():
    body, headers = webhook("load1", "hiya")
    assert headers["X-Hub-Signature-256"] == facebook_signature(body, "bench-app-secret")
    assert b'"sender": {"id": "load1"}' in body and b'"text": "hiya"' in body


def test_cpu_and_memory_are_counted_by_each_servers_process_group():
    child = subprocess.Popen(
        ["sh", "-c", "sleep 30 & i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; wait"],
        start_new_session=True,
    )
    try:
        server = SimpleNamespace(processes={"rasa": child})
        processes = Processes([server])
        assert processes.role(os.getpid()) == "load generator and fake platforms"
        assert processes.role(child.pid) == "Rasa server"
        first = processes.sample()
        assert first[child.pid][0] == "Rasa server"
        # The shell counts meanwhile: wait until its CPU time has moved (a busy machine
        # gives it less of a core).
        deadline = time.monotonic() + 10
        while True:
            time.sleep(0.2)
            second = processes.sample()
            cpu = cpu_by_role(first, second, 1.0)
            if cpu["Rasa server"] > 0 or time.monotonic() > deadline:
                break
        assert cpu["Rasa server"] > 0
        assert memory_by_role(second)["Rasa server"] > 0
        assert "load generator and fake platforms" in cpu
    finally:
        os.killpg(child.pid, 9)
        child.wait()


def test_a_rasa_servers_outbox_process_is_counted_on_its_own():
    """The child that sends a server's outbox (bot/channels/sending.py) is in the
    server's process group, and has a row of its own."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys; subprocess.run([sys.executable, '-c', "
            "'import time; time.sleep(30)', '-m', 'bot.channels.sending'])",
        ],
        start_new_session=True,
    )
    try:
        processes = Processes([SimpleNamespace(processes={"rasa": server})])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            roles = {role for role, _, _ in processes.sample().values()}
            if "outbox process" in roles:
                break
            time.sleep(0.1)
        assert roles >= {"Rasa server", "outbox process"}
    finally:
        os.killpg(server.pid, 9)
        server.wait()


def test_a_process_that_ends_between_samples_never_makes_the_cpu_negative():
    before = {1: ("postgresql", 5.0, 10.0), 2: ("postgresql", 3.0, 10.0)}
    after = {1: ("postgresql", 5.5, 10.0), 3: ("postgresql", 0.25, 10.0)}  # 2 ended, 3 began
    assert cpu_by_role(before, after, 1.0) == {"postgresql": 75.0}


def test_a_step_of_one_message_is_judged_and_a_refused_one_is_one_error():
    assert step(sent=1, accepted=1, answered=1, reply=(0.2,)).held
    refused = step(sent=4, accepted=3, answered=3, reply=(0.1, 0.2, 0.3))
    assert refused.errors == 1 and not refused.held
