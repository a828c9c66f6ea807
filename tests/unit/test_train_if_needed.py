"""A model is retrained only when a training input's content changed."""

import json
import os
import shutil
from pathlib import Path

import pytest

from scripts.train_if_needed import fingerprint, is_up_to_date

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def project(tmp_path):
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "models").mkdir()
    return tmp_path


def record(project, inputs, model_name):
    (project / "models" / model_name).write_bytes(b"model")
    (project / "models" / ".fingerprint.json").write_text(
        json.dumps({"inputs": inputs, "model": model_name})
    )


def test_touching_a_file_without_changing_it_keeps_the_fingerprint(project):
    before = fingerprint(project)
    os.utime(project / "domain.yml", (0, 0))
    assert fingerprint(project) == before


@pytest.mark.parametrize("changed", ["config.yml", "domain.yml", "data/nlu/chitchat.yml"])
def test_changing_a_training_input_changes_the_fingerprint(project, changed):
    before = fingerprint(project)
    with open(project / changed, "a") as out:
        out.write("\n# changed\n")
    assert fingerprint(project) != before


def test_a_new_data_file_changes_the_fingerprint(project):
    before = fingerprint(project)
    (project / "data" / "nlu" / "new_topic.yml").write_text('version: "3.1"\n')
    assert fingerprint(project) != before


def test_no_model_means_training(project):
    assert not is_up_to_date(fingerprint(project), project / "models")


def test_the_recorded_model_with_the_same_inputs_is_up_to_date(project):
    current = fingerprint(project)
    record(project, current, "20261122-000000.tar.gz")
    assert is_up_to_date(current, project / "models")
    assert not is_up_to_date("something-else", project / "models")


def test_a_newer_model_from_elsewhere_is_not_taken_as_up_to_date(project):
    current = fingerprint(project)
    record(project, current, "20261122-000000.tar.gz")
    newer = project / "models" / "20261122-010000.tar.gz"
    newer.write_bytes(b"other")
    os.utime(newer, (2_000_000_000, 2_000_000_000))
    assert not is_up_to_date(current, project / "models")
