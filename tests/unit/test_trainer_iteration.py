"""The trainers' guide states the measured time from adding examples to an answer from
the new model, as the bench wrote it, and the bench reads Rasa's training log right."""

import re
from datetime import date

from bench.trainer_iteration import (
    END,
    GUIDE,
    NEW_EXAMPLES,
    QUESTION,
    START,
    Iteration,
    components,
    diet_seconds,
    summary,
    write_block,
)

BLOCK = re.compile(
    r"Written by `\.venv/bin/python -m bench\.trainer_iteration --write-readme`, not by hand\. "
    r"Measured \d{4}-\d{2}-\d{2} on this machine, 2 cores \(load average [\d.]+ when it "
    r"started\): \*\*\d+ s\*\* from adding 20 examples to an answer from the new model "
    r"\(training [\d.]+ s, of which DIETClassifier \d+ s; loading it into the "
    r"running assistant with `PUT /model` [\d.]+ s, answering [\d.]+ s\)\. "
    r"`make train` fine-tuned the last model: [^.]+\. The fine-tuned model's held-out "
    r"macro-F1: 0\.\d{3}( \(the committed full model's: 0\.\d{3}\))?; a full training "
    r"\(`make train FULL=1`, or the next after \d+ fine-tunings in a row\) takes it "
    r"back\."
)


def test_the_guide_holds_the_measured_iteration_time():
    text = GUIDE.read_text(encoding="utf-8")
    assert START in text and END in text
    block = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert BLOCK.fullmatch(block), (
        f"run `python -m bench.trainer_iteration --write-readme`: {block!r}"
    )


def test_the_summary_is_what_the_guide_expects_and_lands_between_the_markers(tmp_path):
    result = Iteration(41.0, 9.5, 0.3, ["DIETClassifier"], [], 1.5, 30.0, 0.93512)
    block = summary(result, date(2026, 11, 30))
    assert BLOCK.fullmatch(block) and "**51 s**" in block and "macro-F1: 0.935" in block
    guide = tmp_path / "trainers.md"
    guide.write_text(f"before\n{START}\nold\n{END}\nafter\n")
    write_block(block, guide)
    assert guide.read_text() == f"before\n{START}\n{block}\n{END}\nafter\n"


def test_the_log_says_which_components_were_trained_and_which_restored():
    log = """\
2026-11-30 13:17:18 INFO rasa.engine.training.hooks  - Restored component 'MemoizationPolicy' from cache.
2026-11-30 13:17:18 INFO rasa.engine.training.hooks  - Starting to train component 'CountVectorsFeaturizer'.
2026-11-30 13:17:19 INFO rasa.engine.training.hooks  - Starting to train component 'CountVectorsFeaturizer'.
2026-11-30 13:17:20 INFO rasa.engine.training.hooks  - Restored component 'RulePolicy' from cache.
2026-11-30 13:17:20 INFO rasa.engine.training.hooks  - Starting to train component 'DIETClassifier'.
"""
    assert diet_seconds(log) == 0.0  # started, not finished
    finished = "2026-11-30 13:18:05 INFO rasa.engine.training.hooks  - Finished training component 'DIETClassifier'.\n"
    assert diet_seconds(log + finished) == 45.0
    assert components(log) == (
        ["CountVectorsFeaturizer", "DIETClassifier"],
        ["MemoizationPolicy", "RulePolicy"],
    )


def test_twenty_new_examples_and_a_question_that_is_none_of_them():
    assert len(set(NEW_EXAMPLES)) == 20
    assert QUESTION not in NEW_EXAMPLES
