"""The guided scenarios: the identity checks really pass and fail against the demo
tenancies (P4), and a run waits for the assistant's answer between its steps."""

import threading
import time
from datetime import datetime, timezone

import pytest

from bot.sandbox.scenarios import BY_NAME, MAX_RUNS_KEPT, SCENARIOS, Runner, ScenarioBusy
from bot.sandbox.world import MAX_GUESTS, PERSONAS, Author, Pane, World
from bot.tenancy.answers import date_of_birth, full_name, locator
from bot.tenancy.identity import Account, Answers, IdentityChecks, Outcome
from bot.tenancy.records import HashScheme
from tests.helpers import TEST_WORK_FACTOR, demo_tenancies

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def typed_answers(scenario):
    """The three answers the scenario types after its question, as the form reads them."""
    _question, reference, name, born = (step.text for step in scenario.steps)
    return Answers(locator(reference), full_name(name), date_of_birth(born, NOW.date()))


@pytest.fixture
def checks(tmp_path):
    engine, repository = demo_tenancies(f"sqlite:///{tmp_path / 'store.db'}")
    return IdentityChecks(engine, repository, HashScheme.fresh(n=TEST_WORK_FACTOR))


def test_the_passed_check_scenario_passes_every_time(checks):
    answers = typed_answers(BY_NAME["check-passed"])
    for run in range(4):
        account = Account("facebook", f"newcomer-{run}")
        assert checks.attempt(account, f"c{run}", answers, NOW).outcome is Outcome.VERIFIED


def test_the_failed_check_scenario_fails_and_never_stops_the_passed_one(checks):
    failed, passed = typed_answers(BY_NAME["check-failed"]), typed_answers(BY_NAME["check-passed"])
    # Each run is a newcomer; after three runs the failed tenancy's checks stop too.
    for run in range(4):
        result = checks.attempt(Account("facebook", f"failing-{run}"), f"f{run}", failed, NOW)
        assert result.outcome is not Outcome.VERIFIED
    assert (
        checks.attempt(Account("facebook", "after"), "p", passed, NOW).outcome is Outcome.VERIFIED
    )


def test_every_scenario_of_the_issue_is_there_and_says_what_to_notice():
    assert [s.name for s in SCENARIOS] == [
        "personal-details",
        "rent-in-public",
        "check-passed",
        "check-failed",
        "emergency",
        "abuse",
        "request-person",
    ]
    assert all(s.notice and s.steps for s in SCENARIOS)
    assert len(BY_NAME["abuse"].steps) == 3  # the third strike blocks (P7)
    assert BY_NAME["emergency"].out_of_hours


class Assistant:
    """Answers each message in Messenger after `delay` seconds, twice."""

    def __init__(self, world, delay=0.1):
        self.world, self.delay, self.sent = world, delay, []

    def __call__(self, pane, item):
        self.sent.append((pane, item.text))
        persona = self.world.persona(item.persona)

        def answer():
            for _ in range(2):
                time.sleep(self.delay)
                self.world.send_message(persona.psid, "answer", Author.ASSISTANT)

        threading.Thread(target=answer, daemon=True).start()


def test_a_run_waits_for_each_answer_before_the_next_step():
    world = World(lambda: NOW)
    assistant = Assistant(world)
    runner = Runner(world, assistant, lambda: NOW, wait=5, settle=0.5)
    progress = runner.start("check-passed")
    deadline = time.monotonic() + 20
    while not runner.runs()[0].finished and time.monotonic() < deadline:
        time.sleep(0.1)
    [done] = runner.runs()
    assert (done.state, done.done_steps) == ("done", 4)
    assert [text for _, text in assistant.sent] == [s.text for s in progress.scenario.steps]
    # Both answers to each step came before the next step was sent.
    [thread] = world.view().messenger
    authors = [i.author for i in thread.items]
    assert authors == [Author.TENANT, Author.ASSISTANT, Author.ASSISTANT] * 4
    assert thread.persona == progress.persona != "margaret"


def test_a_run_with_no_answer_stops_and_says_so():
    world = World(lambda: NOW)
    sent = []
    runner = Runner(world, lambda pane, item: sent.append(pane), lambda: NOW, wait=0.3)
    progress = runner.start("abuse")
    deadline = time.monotonic() + 10
    while not runner.runs()[0].finished and time.monotonic() < deadline:
        time.sleep(0.05)
    [stopped] = runner.runs()
    assert (stopped.state, stopped.done_steps) == ("no answer", 0)
    assert sent == [Pane.FACEBOOK]  # it did not carry on without an answer
    assert progress.run == stopped.run


def test_a_run_that_cannot_reach_the_assistant_says_why():
    world = World(lambda: NOW)

    def down(pane, item):
        raise RuntimeError("the Rasa server did not answer")

    runner = Runner(world, down, lambda: NOW, wait=0.3)
    runner.start("emergency")
    deadline = time.monotonic() + 10
    while not runner.runs()[0].finished and time.monotonic() < deadline:
        time.sleep(0.05)
    [stopped] = runner.runs()
    assert stopped.state == "failed" and "did not answer" in stopped.problem


def wait_until(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_at_most_two_scenarios_run_at_once():
    world = World(lambda: NOW)
    runner = Runner(world, lambda pane, item: None, lambda: NOW, wait=1.0)  # nobody answers
    runner.start("abuse")
    runner.start("emergency")
    with pytest.raises(ScenarioBusy, match="already running"):
        runner.start("check-passed")
    assert [r.scenario.name for r in runner.runs()] == ["emergency", "abuse"]
    assert len(world.people()) == len(PERSONAS) + 2  # no persona for the refused click
    assert wait_until(lambda: all(r.finished for r in runner.runs()))
    runner.start("check-passed")  # a slot is free again


def test_many_runs_keep_memory_bounded():
    world = World(lambda: NOW)

    def answered_at_once(pane, item):
        world.send_message(world.persona(item.persona).psid, "answer", Author.ASSISTANT)

    runner = Runner(world, answered_at_once, lambda: NOW, wait=2, settle=0.01)
    for _ in range(MAX_GUESTS + 15):
        runner.start("request-person")
        assert wait_until(lambda: all(r.finished for r in runner.runs()))
    runs = runner.runs()
    assert len(runs) == MAX_RUNS_KEPT and runs[0].run == MAX_GUESTS + 15  # the latest first
    # Only the latest runs' tenants are kept, with their conversations.
    guests = [p for p in world.people() if p.key not in {p.key for p in PERSONAS}]
    assert len(guests) == MAX_GUESTS
    assert runs[0].persona in {g.key for g in guests}
    assert len(world.view().messenger) == MAX_GUESTS
