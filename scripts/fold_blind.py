"""Fold a spent blind set into the training data: `python -m scripts.fold_blind SET`.

SET is a blind set under tests/nlu/ whose one measure is recorded (results/nlu/<name>.json,
or results/nlu/nonsense_blind/<name>.json for a nonsense set). A set not yet measured is
refused: folding it first would leave nothing blind to measure. What goes in, and what
is left out and why, is bot.trainer.fold's; the counts are printed. Retrain afterwards,
and choose the thresholds again (scripts.choose_thresholds).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List

from bot.trainer.fold import ADDED, FoldError, fold
from scripts.nlu_report import ROOT, blind_nonsense_file, blind_result_file


def measured(nlu_set: Path, root: Path = ROOT) -> Path | None:
    """The record of `nlu_set`'s one blind measure under `root`, or None when it was
    never measured."""
    for record in (blind_result_file(nlu_set), blind_nonsense_file(nlu_set)):
        record = root / record.relative_to(ROOT)
        if record.is_file():
            return record
    return None


def main(argv: List[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", type=Path, help="the spent blind set, e.g. tests/nlu/blind_2.yml")
    args = parser.parse_args(argv)
    nlu_set = args.set if args.set.is_absolute() else root / args.set
    if not nlu_set.is_file():
        print(f"Nothing was changed: {args.set} is not a file", file=sys.stderr)
        return 1
    if measured(nlu_set, root) is None:
        print(
            f"Nothing was changed: {args.set} has no recorded blind measure; measure it once "
            "(python -m scripts.nlu_report --set ... --blind) before it becomes training data",
            file=sys.stderr,
        )
        return 1
    try:
        counts = fold(root, nlu_set)
    except FoldError as error:
        print(
            f"Nothing was changed: the project does not pass its checks: {error}", file=sys.stderr
        )
        return 1
    print(f"{args.set}: {counts[ADDED]} messages added to data/nlu/")
    for reason, count in sorted(counts.items()):
        if reason != ADDED:
            print(f"  left out, {reason}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
