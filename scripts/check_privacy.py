"""How well `bot.privacy` finds personal details, on the labelled set.

A labelled detail is found when a detected span of the same kind overlaps it; a
detected span is right when it overlaps a labelled detail of its kind. Prints recall
and precision overall and by kind, every miss and false alarm, writes
results/privacy/summary.json, and fails below recall 0.98 or precision 0.95.

Usage: python -m scripts.check_privacy [labelled.yml ...]   (default: every set)
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import yaml

from bot.privacy import KINDS, find

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "privacy" / "labelled.yml"
# The development set, then two written blind (README, "Personal details").
LABELLED_SETS = [
    LABELLED,
    ROOT / "tests" / "privacy" / "held_out.yml",
    ROOT / "tests" / "privacy" / "blind.yml",
]
MIN_RECALL = 0.98
MIN_PRECISION = 0.95


@dataclass
class Report:
    """Counts, by kind, of labelled details found and missed, and of false alarms."""

    found: Counter = field(default_factory=Counter)
    missed: Counter = field(default_factory=Counter)
    right: Counter = field(default_factory=Counter)
    wrong: Counter = field(default_factory=Counter)
    misses: List[str] = field(default_factory=list)
    false_alarms: List[str] = field(default_factory=list)
    messages: int = 0

    @property
    def details(self) -> int:
        return sum(self.found.values()) + sum(self.missed.values())

    @property
    def recall(self) -> float:
        return sum(self.found.values()) / self.details if self.details else 1.0

    @property
    def precision(self) -> float:
        total = sum(self.right.values()) + sum(self.wrong.values())
        return sum(self.right.values()) / total if total else 1.0

    def by_kind(self) -> Dict[str, Dict[str, float]]:
        table = {}
        for kind in KINDS:
            labelled = self.found[kind] + self.missed[kind]
            detected = self.right[kind] + self.wrong[kind]
            table[kind] = {
                "labelled": labelled,
                "recall": round(self.found[kind] / labelled, 4) if labelled else 1.0,
                "precision": round(self.right[kind] / detected, 4) if detected else 1.0,
            }
        return table


def evaluate(messages: List[dict]) -> Report:
    """Compare the detector with the labels of every message."""
    report = Report(messages=len(messages))
    for message in messages:
        text = message["text"]
        gold = []
        for detail in message.get("details") or []:
            start = text.index(detail["text"])
            gold.append((detail["kind"], start, start + len(detail["text"])))
        spans = find(text)
        for kind, start, end in gold:
            if any(s.kind == kind and s.start < end and start < s.end for s in spans):
                report.found[kind] += 1
            else:
                report.missed[kind] += 1
                report.misses.append(f"{kind}: {text[start:end]!r} in {text!r}")
        for span in spans:
            if any(
                kind == span.kind and start < span.end and span.start < end
                for kind, start, end in gold
            ):
                report.right[span.kind] += 1
            else:
                report.wrong[span.kind] += 1
                report.false_alarms.append(f"{span.kind}: {span.text!r} in {text!r}")
    return report


def load(path: Path) -> List[dict]:
    """The messages of one labelled file."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]


def main(argv: List[str] | None = None) -> int:
    paths = [Path(p) for p in (argv or sys.argv[1:])] or LABELLED_SETS
    failed = False
    summary = {"thresholds": {"recall": MIN_RECALL, "precision": MIN_PRECISION}, "sets": {}}
    for path in paths:
        report = evaluate(load(path))
        for line in report.misses:
            print(f"missed      {line}")
        for line in report.false_alarms:
            print(f"false alarm {line}")
        print(
            f"{path.name}: recall {report.recall:.3f}, precision {report.precision:.3f} "
            f"on {report.messages} messages ({report.details} details)"
        )
        summary["sets"][path.name] = {
            "messages": report.messages,
            "details": report.details,
            "recall": round(report.recall, 4),
            "precision": round(report.precision, 4),
            "by_kind": report.by_kind(),
        }
        failed |= report.recall < MIN_RECALL or report.precision < MIN_PRECISION
    out = ROOT / "results" / "privacy"
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
