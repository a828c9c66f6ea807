"""How well `bot.privacy` finds personal details, on the labelled sets.

A labelled detail is found when a detected span of the same kind overlaps it; a
detected span is right when it overlaps a labelled detail of its kind. Prints recall
and precision overall and by kind, every miss and false alarm, writes
results/privacy/summary.json, and fails below recall 0.98 or precision 0.95 on any
set, overall or for the kinds gated on their own (`vulnerability`, found by phrase, so
that its misses cannot hide among the other kinds' hits). The blind sets of
`vulnerability` are held to a lower floor instead (FLOORS): phrases are open-ended, the
blind figure is what tenants will meet, and it is reported as measured, never tuned to
reach a threshold; the floor only stops the detector getting worse on them.

With --write-readme it also writes the figures into docs/trainers.md, between the markers
`<!-- privacy:start -->` and `<!-- privacy:end -->`, so that no figure there is typed
by hand.

Usage: python -m scripts.check_privacy [--write-readme] [labelled.yml ...]
       (default: every set)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import yaml

from bot.privacy import KINDS, find

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "tests" / "privacy"
LABELLED = SETS / "labelled.yml"
VULNERABILITY = SETS / "vulnerability.yml"
VULNERABILITY_BLIND = SETS / "vulnerability_blind.yml"
VULNERABILITY_BLIND_2 = SETS / "vulnerability_blind_2.yml"
# What each set is, for docs/trainers.md: how far its figures can be trusted.
DESCRIPTIONS = {
    "labelled.yml": "development: the detector was built against it",
    "held_out.yml": "written apart, but its misses were later fixed, so no longer blind",
    "blind.yml": "written without sight of the detector or the other sets; measured once, "
    "not tuned on",
    "vulnerability.yml": "development set for `vulnerability`, positives and hard negatives: "
    "the phrases were built against it",
    "vulnerability_blind.yml": "`vulnerability` only, written without sight of the detector; "
    "measured once at recall 0.570, precision 1.000 on the first phrases; the phrases were "
    "then widened from a brief that named some of its missed phrasings, so no longer blind",
    "vulnerability_blind_2.yml": "`vulnerability` only, written without sight of the detector "
    "or any set after the phrases were widened; measured once, not tuned on",
}
BLIND = {"blind.yml", "vulnerability_blind_2.yml"}
MIN_RECALL = 0.98
MIN_PRECISION = 0.95


@dataclass(frozen=True)
class Floor:
    """The least a set must score: recall and precision."""

    recall: float
    precision: float


# Below the first measure on each (0.826 / 0.961 and 0.830 / 0.940): a regression
# guard, not a target.
FLOORS = {
    "vulnerability_blind.yml": Floor(0.80, 0.90),
    "vulnerability_blind_2.yml": Floor(0.80, 0.90),
}
# Kinds held to the thresholds on their own, in every set with enough of them to measure.
GATED_KINDS = ("vulnerability",)
MIN_GATED_DETAILS = 20
DOCS = ROOT / "docs" / "trainers.md"
README_START, README_END = "<!-- privacy:start -->", "<!-- privacy:end -->"


# The development set, two written apart, the `vulnerability` set and its two blind ones.
LABELLED_SETS = [
    LABELLED,
    SETS / "held_out.yml",
    SETS / "blind.yml",
    VULNERABILITY,
    VULNERABILITY_BLIND,
    VULNERABILITY_BLIND_2,
]


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


def below_thresholds(report: Report, name: str = "") -> List[str]:
    """What falls short in the set called `name`: overall, or a kind gated on its own."""
    floor = FLOORS.get(name, Floor(MIN_RECALL, MIN_PRECISION))
    short = []
    if report.recall < floor.recall or report.precision < floor.precision:
        short.append(f"overall recall {report.recall:.3f}, precision {report.precision:.3f}")
    table = report.by_kind()
    for kind in GATED_KINDS:
        figures = table[kind]
        if figures["labelled"] >= MIN_GATED_DETAILS and (
            figures["recall"] < floor.recall or figures["precision"] < floor.precision
        ):
            short.append(
                f"{kind} recall {figures['recall']:.3f}, precision {figures['precision']:.3f}"
            )
    return short


def readme_block(reports: Dict[str, Report], messages: Dict[str, List[dict]]) -> str:
    """The figures for docs/trainers.md, from the reports of every set."""
    lines = [
        "Written by `.venv/bin/python -m scripts.check_privacy --write-readme`, not by hand.",
        "",
        "| set | messages | of which no detail | details | recall | precision |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, report in reports.items():
        empty = sum(not m.get("details") for m in messages[name])
        about = DESCRIPTIONS.get(name, "")
        lines.append(
            f"| `tests/privacy/{name}`{f' ({about})' if about else ''} | {report.messages} | "
            f"{empty} | {report.details} | {report.recall:.3f} | {report.precision:.3f} |"
        )
    for kind in GATED_KINDS:
        lines += [
            "",
            f"The kind `{kind}` on its own (gated at the same thresholds in a set "
            f"with {MIN_GATED_DETAILS} or more; its blind sets at a floor of recall "
            f"{FLOORS['vulnerability_blind_2.yml'].recall:.2f}, precision "
            f"{FLOORS['vulnerability_blind_2.yml'].precision:.2f}, below their first "
            "measure, so that it cannot get worse unseen):",
            "",
        ]
        lines += ["| set | labelled | recall | precision |", "| --- | --- | --- | --- |"]
        for name, report in reports.items():
            figures = report.by_kind()[kind]
            if figures["labelled"]:
                lines.append(
                    f"| `tests/privacy/{name}` | {figures['labelled']} | "
                    f"{figures['recall']:.3f} | {figures['precision']:.3f} |"
                )
    for name, report in reports.items():
        if name in BLIND and (report.misses or report.false_alarms):
            # Counted, not listed: a list here is what gets fixed, and then the set is
            # blind no more. `check_privacy` prints them for whoever must look.
            lines += [
                "",
                f"`{name}` keeps its {len(report.misses)} misses and "
                f"{len(report.false_alarms)} false alarms unfixed, so that it stays blind.",
            ]
    return "\n".join(lines)


def write_readme(block: str, readme: Path = DOCS) -> None:
    """Put `block` between the privacy markers of docs/trainers.md."""
    text = readme.read_text(encoding="utf-8")
    before, rest = text.split(README_START, 1)
    after = rest.split(README_END, 1)[1]
    readme.write_text(f"{before}{README_START}\n{block}\n{README_END}{after}", encoding="utf-8")


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="labelled sets (default: all)")
    parser.add_argument(
        "--write-readme", action="store_true", help="write the figures into docs/trainers.md"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    paths = args.paths or LABELLED_SETS
    failed = False
    summary = {
        "thresholds": {"recall": MIN_RECALL, "precision": MIN_PRECISION},
        "gated_kinds": list(GATED_KINDS),
        "sets": {},
    }
    reports: Dict[str, Report] = {}
    messages: Dict[str, List[dict]] = {}
    for path in paths:
        messages[path.name] = load(path)
        report = reports[path.name] = evaluate(messages[path.name])
        for line in report.misses:
            print(f"missed      {line}")
        for line in report.false_alarms:
            print(f"false alarm {line}")
        print(
            f"{path.name}: recall {report.recall:.3f}, precision {report.precision:.3f} "
            f"on {report.messages} messages ({report.details} details)"
        )
        for kind, figures in report.by_kind().items():
            if figures["labelled"] or report.wrong[kind]:
                print(
                    f"    {kind:<20} {figures['labelled']:>4} labelled  "
                    f"recall {figures['recall']:.3f}  precision {figures['precision']:.3f}"
                )
        summary["sets"][path.name] = {
            "messages": report.messages,
            "details": report.details,
            "recall": round(report.recall, 4),
            "precision": round(report.precision, 4),
            "by_kind": report.by_kind(),
        }
        for line in below_thresholds(report, path.name):
            print(f"BELOW THRESHOLD {path.name}: {line}")
            failed = True
    out = ROOT / "results" / "privacy"
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    if args.write_readme:
        write_readme(readme_block(reports, messages))
        print(f"wrote the figures into {DOCS.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
