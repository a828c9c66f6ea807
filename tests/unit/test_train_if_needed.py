"""A model is retrained only when a training input's content changed, and fine-tuned
rather than trained in full when only NLU examples did."""

import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from scripts.train_if_needed import (
    MAX_FINETUNES,
    finetunable,
    fingerprint,
    is_up_to_date,
    main,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def project(tmp_path):
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "models").mkdir()
    return tmp_path


def record(project, inputs, model_name, **more):
    (project / "models" / model_name).write_bytes(b"model")
    (project / "models" / ".fingerprint.json").write_text(
        json.dumps({"inputs": inputs, "model": model_name, **more})
    )


def trained_in_full(project, finetuned=0):
    """A model as the script records it after training."""
    name = "20261201-000000.tar.gz"
    record(
        project, fingerprint(project), name, rest=fingerprint(project, "rest"), finetuned=finetuned
    )
    return project / "models" / name


def append(project, changed):
    with open(project / changed, "a") as out:
        out.write("\n# changed\n")


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


def test_new_examples_alone_fine_tune_the_newest_model(project):
    model = trained_in_full(project)
    append(project, "data/nlu/homes_jobs.yml")
    (project / "data" / "nlu" / "more.yml").write_text('version: "3.1"\n')
    assert finetunable(project) == model
    assert not is_up_to_date(fingerprint(project), project / "models")


@pytest.mark.parametrize(
    "changed",
    ["config.yml", "domain.yml", "data/rules/information.yml", "data/stories/repairs.yml"],
)
def test_anything_but_examples_trains_in_full(project, changed):
    trained_in_full(project)
    path = project / changed
    if not path.exists():
        path.write_text('version: "3.1"\n')
    append(project, changed)
    assert finetunable(project) is None


def test_a_model_fine_tuned_too_often_or_recorded_before_fine_tuning_trains_in_full(project):
    trained_in_full(project, finetuned=MAX_FINETUNES)
    assert finetunable(project) is None
    trained_in_full(project, finetuned=MAX_FINETUNES - 1)
    assert finetunable(project) is not None
    record(project, fingerprint(project), "20261201-000000.tar.gz")  # no "rest": older
    assert finetunable(project) is None


def test_no_model_is_never_fine_tuned(project):
    assert finetunable(project) is None


def test_the_two_partial_fingerprints_split_the_inputs(project):
    examples, rest = fingerprint(project, "examples"), fingerprint(project, "rest")
    append(project, "data/nlu/homes_jobs.yml")
    assert fingerprint(project, "examples") != examples and fingerprint(project, "rest") == rest
    append(project, "domain.yml")
    assert fingerprint(project, "rest") != rest


class FakeRasa:
    """Stands in for `rasa train`: writes a new model, or fails when told to."""

    def __init__(self, project, fails=()):
        self.project, self.fails, self.calls = project, set(fails), []

    def __call__(self, command, cwd):
        kind = "finetune" if "--finetune" in command else "full"
        self.calls.append((kind, command))
        if kind in self.fails:
            return SimpleNamespace(returncode=1)
        model = self.project / "models" / f"2026120{len(self.calls)}-000000.tar.gz"
        model.write_bytes(kind.encode())
        os.utime(model, (2_000_000_000 + len(self.calls),) * 2)
        return SimpleNamespace(returncode=0)


def saved(project):
    return json.loads((project / "models" / ".fingerprint.json").read_text())


def test_the_script_fine_tunes_after_new_examples_and_trains_in_full_otherwise(project):
    rasa = FakeRasa(project)
    assert main([], project, rasa) == 0
    assert [kind for kind, _ in rasa.calls] == ["full"] and saved(project)["finetuned"] == 0
    assert main([], project, rasa) == 0 and len(rasa.calls) == 1  # nothing changed
    append(project, "data/nlu/homes_jobs.yml")
    assert main([], project, rasa) == 0
    kind, command = rasa.calls[-1]
    assert kind == "finetune" and command[-2:] == ["--epoch-fraction", "0.03"]
    assert "--skip-validation" in command
    assert command[command.index("--finetune") + 1].endswith("20261201-000000.tar.gz")
    assert saved(project)["finetuned"] == 1
    append(project, "domain.yml")
    assert main([], project, rasa) == 0
    assert rasa.calls[-1][0] == "full" and saved(project)["finetuned"] == 0
    assert "--skip-validation" not in rasa.calls[-1][1]  # a full training checks it all
    append(project, "data/nlu/homes_jobs.yml")
    assert main(["--full"], project, rasa) == 0 and rasa.calls[-1][0] == "full"


def test_a_fine_tuning_rasa_refuses_trains_in_full(project):
    rasa = FakeRasa(project)
    main([], project, rasa)
    rasa.fails = {"finetune"}
    append(project, "data/nlu/homes_jobs.yml")
    assert main([], project, rasa) == 0
    assert [kind for kind, _ in rasa.calls] == ["full", "finetune", "full"]
    assert saved(project)["finetuned"] == 0


def test_after_five_fine_tunings_the_next_training_is_full(project):
    rasa = FakeRasa(project)
    main([], project, rasa)
    for _ in range(MAX_FINETUNES + 1):
        append(project, "data/nlu/homes_jobs.yml")
        main([], project, rasa)
    assert [kind for kind, _ in rasa.calls] == ["full"] + ["finetune"] * MAX_FINETUNES + ["full"]
