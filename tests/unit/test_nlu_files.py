"""The NLU training files: read with their places, written in one sorted format."""

import re
from pathlib import Path
from typing import List, Tuple

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


# What add_example takes reads back as written, by this module and by Rasa; what it
# cannot hold as written is refused, with the file unchanged.


def rasa_examples(path: Path) -> List[Tuple[str, str]]:
    """The examples as Rasa's own reader reads the file, text and intent."""
    from rasa.shared.nlu.training_data.loading import load_data

    return sorted((m.get("text"), m.get("intent")) for m in load_data(str(path)).intent_examples)


@pytest.mark.parametrize(
    "text",
    [
        "- smuggled line",
        "# not a comment",
        "#hashtag boiler",
        "- intent: report_emergency",
        "examples: | broken",
        'it\'s "broken" again: 50% of the time {really} [honest]',
        "key: value, & * ! | > ' % @ `",
        "hi there 👋 café naïve",
        "tap\tleaking\nagain\r\nplease",
        "-",
        "a" * 1000,
    ],
)
def test_an_accepted_example_reads_back_identical_here_and_in_rasa(tmp_path, text):
    root = project(tmp_path)
    path = add_example(root, "report_repair", text)
    written = " ".join(text.split())
    assert written in read_blocks(path)[0][1]
    assert [e.text for e in examples(root) if e.intent == "report_repair"].count(written) == 1
    assert (written, "report_repair") in rasa_examples(path)
    assert len(rasa_examples(path)) == 4


@pytest.mark.parametrize(
    "text, says",
    [
        ("hello\x7f there", "U+007F"),
        ("hello \x1b[31m there", "U+001B"),
        ("boiler \x85 broken", "U+0085"),
        ("boiler \x9b broken", "U+009B"),
        ("tap\u2028- smuggled", "U+2028"),
        ("tap\u2029leaking", "U+2029"),
        ("tap\x0bleaking", "U+000B"),
        ("tap\x1cleaking", "U+001C"),
        ("zero\u200bwidth", "U+200B"),
        ("\ufeffbom first", "U+FEFF"),
        ("right\u202eto left", "U+202E"),
        ("private \ue000 use", "U+E000"),
        ("nul \x00 byte", "U+0000"),
        ("hi [mate](person)", "entity"),
        ("hi [mate](person:bob)", "entity"),
        ('my [boiler]{"entity": "appliance"} broke', "entity"),
        ("my [boiler] [x] broke", "entity"),
        ("a" * 1001, "at most 1000 characters"),
        ("word" + " " * 1000 + "word", "at most 1000 characters"),
    ],
)
def test_a_text_the_file_cannot_hold_as_written_is_refused(tmp_path, text, says):
    root = project(tmp_path)
    before = (root / "data/nlu/repairs.yml").read_text()
    with pytest.raises(TrainingDataError, match=re.escape(says)):
        add_example(root, "report_repair", text)
    assert (root / "data/nlu/repairs.yml").read_text() == before


def test_square_brackets_alone_are_plain_words(tmp_path):
    root = project(tmp_path)
    path = add_example(root, "report_repair", "the [phone] in the hall is broken")
    assert ("the [phone] in the hall is broken", "report_repair") in rasa_examples(path)


def test_the_comments_of_a_file_are_kept_where_they_were(tmp_path):
    root = project(tmp_path)
    path = root / "data/nlu/repairs.yml"
    path.write_text(
        "# Repairs, as tenants write them.\n"
        'version: "3.1"\nnlu:\n# A repair, not an emergency (P2).\n'
        "- intent: report_repair\n  examples: |\n    - my tap is leaking\n"
        "# Danger to life.\n"
        "- intent: report_emergency\n  examples: |\n    - gas smell in the kitchen\n"
    )
    add_example(root, "report_repair", "damp in the bedroom")
    assert path.read_text() == (
        "# Repairs, as tenants write them.\n"
        'version: "3.1"\nnlu:\n# A repair, not an emergency (P2).\n'
        "- intent: report_repair\n  examples: |\n    - damp in the bedroom\n"
        "    - my tap is leaking\n\n"
        "# Danger to life.\n"
        "- intent: report_emergency\n  examples: |\n    - gas smell in the kitchen\n"
    )


@pytest.mark.parametrize(
    "entry",
    [
        "- synonym: boiler\n  examples: |\n    - combi\n",
        "- regex: reference\n  examples: |\n    - \\d{6}\n",
        "- lookup: towns\n  examples: |\n    - Leeds\n",
        "- intent: ask_bins\n  metadata:\n    owner: trainers\n  examples: |\n    - bins?\n",
    ],
)
def test_a_file_holding_more_than_intents_is_not_rewritten(tmp_path, entry):
    root = project(tmp_path)
    path = root / "data/nlu/repairs.yml"
    path.write_text(path.read_text() + entry)
    before = path.read_text()
    with pytest.raises(TrainingDataError, match="by hand"):
        add_example(root, "report_repair", "damp in the bedroom")
    assert path.read_text() == before


def test_a_comment_inside_an_intent_stops_the_rewrite_rather_than_moving_it(tmp_path):
    root = project(tmp_path)
    path = root / "data/nlu/repairs.yml"
    path.write_text(path.read_text().replace("  examples: |\n", "  # why\n  examples: |\n", 1))
    before = path.read_text()
    with pytest.raises(TrainingDataError, match="by hand"):
        add_example(root, "report_repair", "damp in the bedroom")
    assert path.read_text() == before


@pytest.mark.parametrize("kind", ["synonym", "regex", "lookup"])
def test_the_entries_of_a_synonym_regex_or_lookup_are_no_examples(tmp_path, kind):
    root = project(tmp_path)
    path = root / "data/nlu/repairs.yml"
    path.write_text(path.read_text() + f"- {kind}: boiler\n  examples: |\n    - combi\n")
    assert [e.text for e in examples(root)] == [
        "my tap is leaking",
        "Boiler broke",
        "gas smell in the kitchen",
    ]
