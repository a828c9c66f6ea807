"""A spent blind set becomes training data: `python -m scripts.fold_blind SET`.

A blind set is measured once (scripts.nlu_report --blind); after that its figure is
recorded and it measures nothing more. Its messages, written by someone who saw neither
the training data nor the code, are then the nearest thing to tenants' own words the
project has, so they are folded into data/nlu/, each under its intent.

Only what the data checks would accept goes in, so that `python -m bot.trainer check`
still passes afterwards. A message is left out when it is:

- already an example (of any intent), ignoring case and spacing;
- a message of a measuring set (tests/nlu/dev.yml, the nonsense sets) or of the
  held-out set: those would then measure nothing;
- one word from a training or held-out example (`checks.NearIndex`, the rule of the
  near-duplicate checks), apart from
  the made-up answers to the security questions (`inform`), which differ only in their
  values; and such an answer that reuses a value of the held-out set;
- a personal detail in an intent other than `inform` (`checks.personal_details`, P5);
- refused by `nlu_files.add_example` (too long, an invisible character, an intent no
  file holds).

Messages are taken in the set's order, each judged against the data as it stands with
the ones before it added. Plain Python; no Rasa.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.trainer import checks
from bot.trainer.nlu_files import TrainingDataError, add_example, file_examples

# Why a message was left out, as `fold` counts them.
ADDED = "added"
ALREADY = "already an example"
MEASURING = "a message of a measuring or the held-out set"
NEAR = "one word from an example"
VALUE = "reuses a held-out answer's value"
PERSONAL = "holds a personal detail"
REFUSED = "refused by the training files"


class FoldError(ValueError):
    """The set cannot be folded (the checks fail before it, for instance)."""


def fold(root: Path, nlu_set: Path) -> Counter:
    """Add what the checks accept of `nlu_set`'s messages to data/nlu/; the count of
    messages added (ADDED) and of those left out, by reason."""
    project, unreadable = checks.load(root)
    if project is None:
        raise FoldError("; ".join(str(problem) for problem in unreadable))
    same = {checks._same_text(e.text) for e in project.training}
    measured = {checks._plain(e.text) for e in project.measuring + project.held_out}
    held_values = {
        value
        for e in project.held_out
        if e.intent in checks.VALUE_INTENTS
        for value in checks.ANSWER_VALUE.findall(e.text)
    }
    # Near-duplicates of a training or held-out example are left out (the answers under
    # `inform` aside, which differ only in their values).
    index = checks.NearIndex(
        e for e in project.training + project.held_out if e.intent not in checks.VALUE_INTENTS
    )

    counts: Counter = Counter()
    for example in file_examples(root, nlu_set):
        reason = _left_out(example, same, measured, held_values, index)
        if reason is None:
            try:
                add_example(root, example.intent, example.text)
            except TrainingDataError:
                reason = REFUSED
        if reason is not None:
            counts[reason] += 1
            continue
        counts[ADDED] += 1
        same.add(checks._same_text(example.text))
        if example.intent not in checks.VALUE_INTENTS:
            index.add(example)
    return counts


def _left_out(example, same, measured, held_values, index) -> str | None:
    text = example.text
    if checks._same_text(text) in same:
        return ALREADY
    if checks._plain(text) in measured:
        return MEASURING
    if example.intent in checks.VALUE_INTENTS:
        return VALUE if held_values & set(checks.ANSWER_VALUE.findall(text)) else None
    if checks.personal_details(text):
        return PERSONAL
    return NEAR if index.positions(text) else None
