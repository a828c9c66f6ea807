"""The scaffold of a new intent (`python -m bot.trainer new-intent NAME`): each file it
writes, the markers that keep the checks failing until a trainer fills them, the
refusals that change nothing, and domain.yml kept as it was written."""

import difflib
import fcntl
import hashlib
import shutil
import threading
from pathlib import Path
from typing import Dict

import pytest
import yaml

from bot.trainer import checks
from bot.trainer import scaffold as scaffold_module
from bot.trainer.__main__ import main
from bot.trainer.scaffold import RESPONSE_MARKER
from tests.helpers import ROOT
from tests.trainer_fill import INTENT, fill

# What the scaffold and the checks read: the project's own files.
PARTS = ("domain.yml", "data", "tests/nlu", "tests/stories", "actions")


@pytest.fixture()
def project(tmp_path) -> Path:
    """A copy of the project's data, domain, test sets and actions."""
    for part in PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / part)
    return tmp_path


def snapshot(root: Path) -> Dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        # var/ holds the NLU files' lock, which is no part of the project.
        if path.is_file() and path.relative_to(root).parts[0] != "var"
    }


def scaffold(root: Path, *arguments: str) -> int:
    return main(["--root", str(root), "new-intent", *arguments])


def test_it_writes_every_file_a_new_intent_needs_each_marked(project, capsys):
    assert scaffold(project, INTENT) == 0
    out = capsys.readouterr().out
    nlu = project / "data" / "nlu" / f"{INTENT}.yml"
    rule = project / "data" / "rules" / f"{INTENT}.yml"
    story = project / "tests" / "stories" / f"test_{INTENT}.yml"
    for path in (nlu, rule, story):
        assert f"created {path.relative_to(project)}" in out
    assert "changed domain.yml" in out and "changed tests/nlu/held_out.yml" in out
    assert "Next: replace every line marked TODO(trainer)" in out

    assert yaml.safe_load(nlu.read_text())["nlu"] == [
        {
            "intent": INTENT,
            "examples": f"- {checks.MARKER}: at least 30 ways a tenant asks "
            "this, one a line, as tenants write (replace this line)\n",
        }
    ]
    domain = yaml.safe_load((project / "domain.yml").read_text())
    assert INTENT in domain["intents"]
    [response] = domain["responses"][f"utter_{INTENT}"]
    assert response["text"].startswith(f"{checks.MARKER}: the answer a tenant gets")
    [rule_steps] = yaml.safe_load(rule.read_text())["rules"]
    assert rule_steps["steps"] == [{"intent": INTENT}, {"action": f"utter_{INTENT}"}]
    assert checks.MARKER in rule.read_text()
    held_out = yaml.safe_load((project / "tests" / "nlu" / "held_out.yml").read_text())["nlu"]
    assert held_out[-1]["intent"] == INTENT and checks.MARKER in held_out[-1]["examples"]
    [test_story] = yaml.safe_load(story.read_text())["stories"]
    assert test_story["steps"][0]["intent"] == INTENT
    assert test_story["steps"][0]["user"].startswith(f"{checks.MARKER}: a message a tenant")
    assert test_story["steps"][1] == {"action": f"utter_{INTENT}"}


def test_the_checks_fail_naming_every_marker_until_they_are_filled(project):
    scaffold(project, INTENT)
    problems = [str(problem) for problem in checks.check(project)]
    for where in (
        f"data/nlu/{INTENT}.yml:5",
        "domain.yml:",
        f"data/rules/{INTENT}.yml:3",
        "tests/nlu/held_out.yml:",
        f"tests/stories/test_{INTENT}.yml:6",
    ):
        assert any(p.startswith(where) and "still to fill in" in p for p in problems), where
    assert any(f"intent {INTENT} has no examples" in p for p in problems)

    fill(project)
    assert checks.check(project) == []


def test_domain_yml_keeps_its_comments_and_layout(project):
    before = (project / "domain.yml").read_text()
    scaffold(project, INTENT)
    after = (project / "domain.yml").read_text()
    changes = [
        line
        for line in difflib.ndiff(before.splitlines(), after.splitlines())
        if line[:2] in ("- ", "+ ", "? ")
    ]
    # Only lines added: the intent, and the response (a blank line, its name, its text).
    assert [line[:2] for line in changes] == ["+ "] * 4
    added = {line[2:] for line in changes}
    assert {"", f"  - {INTENT}", f"  utter_{INTENT}:"} < added
    assert after.rstrip().endswith(f'  utter_{INTENT}:\n    - text: "{RESPONSE_MARKER}"')
    lines = after.splitlines()
    # The new intent joins the first list, not the connectors' one under its comment.
    at = lines.index(f"  - {INTENT}")
    assert lines[at - 1] == "  - out_of_scope" or not lines[at + 1].startswith("  - ")
    assert lines[at + 1].strip().startswith("#")


def test_examples_can_go_in_an_existing_topic_file(project):
    topic = project / "data" / "nlu" / "homes_jobs.yml"
    before = topic.read_text()
    assert scaffold(project, INTENT, "--file", "homes_jobs") == 0
    after = topic.read_text()
    assert after.startswith(before)
    assert after[len(before) :].startswith(f"- intent: {INTENT}\n")
    assert not (project / "data" / "nlu" / f"{INTENT}.yml").exists()
    assert INTENT in [intent for intent, _ in _blocks(topic)]


def _blocks(path):
    return [(b["intent"], b["examples"]) for b in yaml.safe_load(path.read_text())["nlu"]]


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("AskParking", "not a valid intent name: use lower-case words joined by underscores"),
        ("ask-parking", "not a valid intent name"),
        ("ask parking", "not a valid intent name"),
        ("2nd_request", "not a valid intent name"),
        ("ask__parking", "not a valid intent name"),
        ("report_repair+make_complaint", "has a '+': that joins two intents"),
        ("nlu_fallback", "one of Rasa's own intents"),
        ("restart", "one of Rasa's own intents"),
        ("greet", "the intent greet exists already (domain.yml); to improve it, add examples"),
        ("inform", "the intent inform exists already"),
    ],
)
def test_a_bad_name_is_refused_with_a_reason_and_nothing_changes(project, capsys, name, says):
    before = snapshot(project)
    assert scaffold(project, name) == 1
    err = capsys.readouterr().err
    assert err.startswith("Nothing was changed: ") and says in err
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ((INTENT, "--file", "../domain"), "not a valid topic file name"),
        ((INTENT, "--file", "Homes"), "not a valid topic file name"),
    ],
)
def test_a_bad_topic_is_refused_and_nothing_changes(project, capsys, arguments, says):
    before = snapshot(project)
    assert scaffold(project, *arguments) == 1
    assert says in capsys.readouterr().err
    assert snapshot(project) == before


def test_an_intent_with_examples_but_not_in_the_domain_is_refused(project, capsys):
    topic = project / "data" / "nlu" / "homes_jobs.yml"
    topic.write_text(topic.read_text() + f"- intent: {INTENT}\n  examples: |\n    - parking\n")
    before = snapshot(project)
    assert scaffold(project, INTENT) == 1
    assert f"data/nlu/homes_jobs.yml already has examples of {INTENT}" in capsys.readouterr().err
    assert snapshot(project) == before


@pytest.mark.parametrize("taken", [f"data/rules/{INTENT}.yml", f"tests/stories/test_{INTENT}.yml"])
def test_an_existing_rule_or_story_file_is_not_overwritten(project, capsys, taken):
    (project / taken).write_text("version: '3.1'\n")
    before = snapshot(project)
    assert scaffold(project, INTENT) == 1
    assert f"{taken} exists already" in capsys.readouterr().err
    assert snapshot(project) == before


def test_scaffolding_twice_is_refused_the_second_time(project, capsys):
    assert scaffold(project, INTENT) == 0
    before = snapshot(project)
    assert scaffold(project, INTENT) == 1
    assert "exists already" in capsys.readouterr().err
    assert snapshot(project) == before


def test_it_waits_for_an_example_being_assigned_and_loses_nothing(project, capsys):
    """The scaffold holds the NLU files' lock, as add_example does: it writes nothing
    while another writer holds it, and both changes are there after."""
    lock = project / "var" / "nlu-files.lock"
    lock.parent.mkdir(exist_ok=True)
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        before = snapshot(project)
        worker = threading.Thread(target=scaffold, args=(project, INTENT))
        worker.start()
        worker.join(timeout=1.5)
        waited = worker.is_alive()
        unchanged = snapshot(project) == before
        fcntl.flock(held, fcntl.LOCK_UN)
    worker.join(timeout=30)
    assert waited and unchanged
    assert (project / "data" / "nlu" / f"{INTENT}.yml").exists()


def test_a_failure_part_way_puts_back_every_file_it_wrote(project, capsys, monkeypatch):
    before = snapshot(project)
    written = []
    real = scaffold_module.replace_file

    failed = []

    def fail_on_the_fourth(path, content):
        if len(written) == 3 and not failed:
            failed.append(path)
            raise OSError("disk full")
        written.append(path)
        real(path, content)

    monkeypatch.setattr(scaffold_module, "replace_file", fail_on_the_fourth)
    with pytest.raises(OSError, match="disk full"):
        scaffold_module.new_intent(project, INTENT)
    assert len(failed) == 1
    assert snapshot(project) == before
