"""Folding a spent blind set into the training data (bot.trainer.fold and
scripts.fold_blind): what the checks would refuse stays out, the rest goes in sorted under
its intent, the data still passes every check, and a set never measured is refused."""

import json
from pathlib import Path

from bot.trainer import checks
from bot.trainer.fold import ADDED, ALREADY, MEASURING, NEAR, PERSONAL, VALUE, fold
from bot.trainer.nlu_files import file_examples
from scripts import fold_blind
from tests.unit.test_trainer_checks import BINS, PARKING, _write_nlu, write_project


def blind_set(root: Path, blocks) -> Path:
    path = root / "tests" / "nlu" / "blind_9.yml"
    _write_nlu(path, blocks)
    return path


def training(root: Path):
    return {(e.intent, e.text) for e in checks.load(root)[0].training}


def test_what_the_checks_accept_goes_in_sorted_and_the_rest_stays_out(tmp_path):
    write_project(
        tmp_path,
        training={"ask_parking": PARKING, "ask_bins": BINS},
        intents=["ask_bins", "ask_parking"],
    )
    _write_nlu(tmp_path / "tests" / "nlu" / "dev.yml", {"ask_bins": ["which day is bin day"]})
    spent = blind_set(
        tmp_path,
        {
            "ask_parking": [
                "can my visitor park outside overnight",  # new: in
                "Where do i park 3a 3b",  # a training example, case aside
                "where do i park 3a 3c",  # one word from a training example
                "held out ask_parking message 2z 2w",  # the held-out set's message
                "can my van go in the bays, call me on 07912 345678",  # a phone number
                "can my visitor park outside overnight please",  # one word from the first
            ],
            "ask_bins": ["Which day is bin day?", "the recycling lorry skipped our street"],
        },
    )
    before = training(tmp_path)

    counts = fold(tmp_path, spent)

    assert counts == {ADDED: 2, ALREADY: 1, NEAR: 2, MEASURING: 2, PERSONAL: 1}
    added = training(tmp_path) - before
    assert added == {
        ("ask_parking", "can my visitor park outside overnight"),
        ("ask_bins", "the recycling lorry skipped our street"),
    }
    assert checks.check(tmp_path) == []
    texts = [e.text for e in file_examples(tmp_path, tmp_path / "data" / "nlu" / "topics.yml")]
    parking = [t for t in texts if "park" in t]
    assert parking == sorted(parking, key=str.casefold)


def test_made_up_answers_go_in_unless_they_reuse_a_held_out_value(tmp_path):
    answers = [f"TEN-{n:06d}" for n in range(100000, 100100)]
    write_project(
        tmp_path,
        training={"ask_parking": PARKING, "inform": answers},
        held_out={
            "ask_parking": [f"held out parking {n}z {n}w" for n in range(10)],
            "inform": [f"ref {n}" for n in range(200000, 200010)],
        },
    )
    spent = blind_set(tmp_path, {"inform": ["my ref is TEN-300001", "its ten 200003"]})

    counts = fold(tmp_path, spent)

    assert counts == {ADDED: 1, VALUE: 1}
    assert ("inform", "my ref is TEN-300001") in training(tmp_path)
    assert checks.check(tmp_path) == []


def test_a_blind_set_never_measured_is_refused_and_nothing_changes(tmp_path, capsys):
    write_project(tmp_path)
    spent = blind_set(tmp_path, {"ask_bins": ["the recycling lorry skipped our street"]})
    topics = tmp_path / "data" / "nlu" / "topics.yml"
    before = topics.read_bytes()

    assert fold_blind.main([str(spent)], root=tmp_path) == 1

    assert "no recorded blind measure" in capsys.readouterr().err
    assert topics.read_bytes() == before


def test_a_measured_blind_set_is_folded_by_the_command(tmp_path, capsys):
    write_project(tmp_path)
    blind_set(tmp_path, {"ask_bins": ["the recycling lorry skipped our street"]})
    record = tmp_path / "results" / "nlu" / "blind_9.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({"set": "tests/nlu/blind_9.yml"}))

    assert fold_blind.main(["tests/nlu/blind_9.yml"], root=tmp_path) == 0

    assert "1 messages added" in capsys.readouterr().out
    assert ("ask_bins", "the recycling lorry skipped our street") in training(tmp_path)


def test_a_measured_nonsense_set_is_folded_too(tmp_path):
    write_project(tmp_path)
    spent = tmp_path / "tests" / "nlu" / "blind_nonsense_9.yml"
    _write_nlu(spent, {"ask_bins": ["the recycling lorry skipped our street"]})
    record = tmp_path / "results" / "nlu" / "nonsense_blind" / "blind_nonsense_9.json"
    record.parent.mkdir(parents=True)
    record.write_text("{}")

    assert fold_blind.main([str(spent)], root=tmp_path) == 0
    assert ("ask_bins", "the recycling lorry skipped our street") in training(tmp_path)
