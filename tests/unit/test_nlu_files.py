"""The NLU training files: read with their places, written in one sorted format."""

from pathlib import Path

import pytest

from bot.trainer.nlu_files import (
    TrainingDataError,
    add_example,
    examples,
    intent_files,
    read_blocks,
)

ROOT = Path(__file__).resolve().parents[2]


def project(tmp_path: Path) -> Path:
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "data" / "nlu" / "repairs.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: report_repair\n  examples: |\n'
        "    - my tap is leaking\n    - Boiler broke\n"
        "- intent: report_emergency\n  examples: |\n    - gas smell in the kitchen\n"
    )
    return tmp_path


def test_every_example_is_found_with_its_file_line_and_intent(tmp_path):
    root = project(tmp_path)
    found = list(examples(root))
    assert [(e.line, e.intent, e.text) for e in found] == [
        (5, "report_repair", "my tap is leaking"),
        (6, "report_repair", "Boiler broke"),
        (9, "report_emergency", "gas smell in the kitchen"),
    ]
    assert found[0].file == Path("data/nlu/repairs.yml")


def test_an_added_example_lands_sorted_in_its_intents_file_and_the_rest_is_kept(tmp_path):
    root = project(tmp_path)
    path = add_example(root, "report_repair", "  damp   in the bedroom ")
    assert path == root / "data/nlu/repairs.yml"
    assert read_blocks(path) == [
        ("report_repair", ["Boiler broke", "damp in the bedroom", "my tap is leaking"]),
        ("report_emergency", ["gas smell in the kitchen"]),
    ]
    assert path.read_text().startswith('version: "3.1"\nnlu:\n- intent: report_repair\n')


@pytest.mark.parametrize(
    "intent, text, says",
    [
        ("report_emergency", "My tap is LEAKING", "already an example of report_repair"),
        ("ask_homes_available", "any flats going", "no file"),
        ("report_repair", "   ", "empty"),
    ],
)
def test_a_change_the_files_cannot_take_is_refused_with_a_reason(tmp_path, intent, text, says):
    root = project(tmp_path)
    before = (root / "data/nlu/repairs.yml").read_text()
    with pytest.raises(TrainingDataError, match=says):
        add_example(root, intent, text)
    assert (root / "data/nlu/repairs.yml").read_text() == before


def test_the_projects_own_files_are_read_whole():
    files = intent_files(ROOT)
    assert "report_repair" in files and "out_of_scope" in files
    assert sum(1 for _ in examples(ROOT)) > 500
