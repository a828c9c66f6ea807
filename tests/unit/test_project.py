"""The project's shape: layout, pinned dependencies, set-up messages, policy in responses."""

import os
import re
import subprocess

import pytest
import yaml

from tests.helpers import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())


@pytest.mark.parametrize(
    "path",
    [
        "bot",
        "actions",
        "data/nlu",
        "data/rules",
        "data/stories",
        "models",
        "tests",
        "config.yml",
        "domain.yml",
        "credentials.yml",
        "endpoints.yml",
        "README.md",
        "Makefile",
        ".ci/run",
        "requirements.txt",
        "association.yml",
    ],
)
def test_the_layout_is_there(path):
    assert (ROOT / path).exists()


def test_trained_models_are_not_tracked_by_git():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "models/20261122-000000.tar.gz"], cwd=ROOT
    )
    assert ignored.returncode == 0


def test_every_dependency_is_pinned_exactly_in_one_file():
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][A-Za-z0-9.\-+]*", line) for line in lines)
    names = {line.split("==")[0].lower() for line in lines}
    assert {"rasa", "rasa-sdk", "sanic", "requests", "cryptography", "pytest"} <= names
    assert "rasa==3.6.21" in lines
    assert not list(ROOT.glob("requirements-*.txt"))


def test_ci_runs_make_test_and_nothing_else():
    commands = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert commands[-1] == "make test"


def test_without_python_310_set_up_says_what_to_install(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "find-python310.sh")],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode == 0 and os.path.exists("/usr/bin/python3.10"):
        pytest.skip("this machine has a system Python 3.10 at /usr/bin/python3.10")
    assert result.returncode == 1
    assert "Python 3.10 was not found" in result.stderr
    assert "pyenv install 3.10.13" in result.stderr


def test_a_python_that_is_not_310_is_not_taken(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHON": "/usr/bin/false"}
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "find-python310.sh")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1


def texts(response):
    return " ".join(v["text"] for v in DOMAIN["responses"][response])


@pytest.mark.parametrize(
    ("response", "fragments"),
    [
        (
            "utter_opening_hours",
            ["{monitoring_hours}", "bank holidays", "emergencies only"],
        ),  # P1, P2
        ("utter_emergency_contacts", ["{emergency_contacts}", "{emergency_services_phone}"]),  # P2
        (
            "utter_privacy",
            [
                "Communications and Customer teams",
                "other departments",
                "on your file",
                "{privacy_notice_url}",
            ],
        ),  # P9
        ("utter_complaint", ["Customer Experience"]),  # P11
        ("utter_compliment", ["Customer Experience"]),  # P11
        ("utter_abuse_warning", ["civil", "zero tolerance", "removed", "blocked"]),  # P7
        ("utter_homes_available", ["{homes_url}"]),
        ("utter_job_vacancies", ["{jobs_url}"]),
        ("utter_security_check_first", ["security questions"]),  # P4
        ("utter_tenancy_in_private", ["public comment", "private message"]),  # P4, P6
        ("utter_identity_locked", ["{identity_locked_until}"]),  # P4
        ("utter_ask_rephrase", ["another way", "member of our team"]),
    ],
)
def test_each_answer_states_its_policy(response, fragments):
    for fragment in fragments:
        assert fragment in texts(response)


def variation(response, case):
    for v in DOMAIN["responses"][response]:
        if any(c["value"] == case for c in v.get("condition", [])):
            return v["text"]
    raise AssertionError(f"{response} has no variation for {case}")


@pytest.mark.parametrize(
    ("case", "fragments"),
    [
        ("in_hours", ["{handoff_team}", "{handoff_reply_by}"]),  # P3
        (
            "out_of_hours",
            ["{monitoring_resumes}", "{handoff_reply_by}", "{out_of_hours_repairs_phone}"],
        ),
        ("emergency_in_hours", ["urgent", "{handoff_team}"]),  # P2
        ("emergency_out_of_hours", ["emergencies only", "{out_of_hours_repairs_phone}", "urgent"]),
    ],
)
def test_each_handoff_case_says_what_the_policy_requires(case, fragments):
    for fragment in fragments:
        assert fragment in variation("utter_handoff", case)


QUICK = re.compile(
    r"shortly|soon|straight away|right away|quickly|in a (few|couple)|asap|minutes", re.I
)


@pytest.mark.parametrize("case", ["out_of_hours", "emergency_out_of_hours"])
def test_nothing_out_of_hours_promises_a_quick_reply_from_a_person(case):
    assert not QUICK.search(variation("utter_handoff", case))


TIME_WORDS = re.compile(
    r"\b\d{1,2}(:\d\d)?\s?(am|pm)\b|\b\d{1,2}:\d\d\b|monday|tuesday|wednesday|thursday|friday"
    r"|saturday|sunday|weekend|tomorrow|\bhours? of\b|\d+ (working )?hours",
    re.I,
)


@pytest.mark.parametrize("name", sorted(DOMAIN["responses"]))
def test_hours_and_deadlines_come_from_the_calendar_not_the_text(name):
    """P1, P3: times in replies are slots filled from the calendar."""
    for v in DOMAIN["responses"][name]:
        assert not TIME_WORDS.search(v["text"]), v["text"]
