"""Fail when the NLU evaluation on held-out examples is below the project's thresholds.

Reads the intent report that `rasa test nlu` writes, computes the macro-F1 over the
intents of the domain, and checks it and every intent's F1 against the thresholds.
A summary is written beside the report (summary.json). Each intent is also compared with
the last committed report (results/nlu/report.json in git HEAD, written by
`python -m scripts.nlu_report --save`), so that a trainer whose change fails the gate
sees which intents failed, whether they were already weak before the change, and which
others got worse with it.

Usage: python -m scripts.check_nlu_report results/nlu/intent_report.json
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Sequence

import yaml

from scripts import nlu_report
from scripts.validate_data import SET_BY_CONNECTORS

MIN_MACRO_F1 = 0.90
MIN_INTENT_F1 = 0.80
ROOT = Path(__file__).resolve().parent.parent
HELD_OUT = ROOT / "tests" / "nlu" / "held_out.yml"
HELD_OUT_NAME = "tests/nlu/held_out.yml"


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one report."""

    macro_f1: float
    per_intent: Dict[str, float]
    failures: List[str]


def check(report: Mapping[str, dict], intents: Sequence[str]) -> Verdict:
    """Check a `rasa test nlu` intent report against the thresholds.

    Every domain intent must be in the report with held-out examples; a prediction of
    `nlu_fallback` counts as an error against the true intent, not as a class of its own.
    """
    failures: List[str] = []
    per_intent: Dict[str, float] = {}
    for intent in intents:
        row = report.get(intent)
        if not row or not row.get("support"):
            failures.append(f"{intent}: no held-out examples")
            per_intent[intent] = 0.0
            continue
        per_intent[intent] = float(row["f1-score"])
        if per_intent[intent] < MIN_INTENT_F1:
            failures.append(f"{intent}: F1 {per_intent[intent]:.3f} < {MIN_INTENT_F1}")
    macro = sum(per_intent.values()) / len(per_intent) if per_intent else 0.0
    if macro < MIN_MACRO_F1:
        failures.append(f"macro-F1 {macro:.3f} < {MIN_MACRO_F1}")
    return Verdict(macro_f1=macro, per_intent=per_intent, failures=failures)


def against_committed(
    verdict: Verdict, committed: Mapping | None, set_sha256: str | None = None
) -> List[str]:
    """What the committed report says of this run: for each intent below the threshold,
    whether it was already there or got worse since, and every other intent that got
    worse by more than `nlu_report.WORSE_BY`. F1 is counted as here, as `rasa test nlu`
    counts it (`rasa_test_nlu_f1` in the committed report). When the committed report
    measured another content of held_out.yml (`set_sha256`, default the file's now), it
    says so and labels each line "set changed" instead of blaming the change."""
    if committed is None or committed.get("set") != HELD_OUT_NAME:
        return [
            "No committed report of tests/nlu/held_out.yml to compare with "
            "(python -m scripts.nlu_report --save writes results/nlu/report.json; commit it)."
        ]
    then = nlu_report.f1s(committed, "rasa_test_nlu_f1")
    changes = {c.intent: c for c in nlu_report.compare(verdict.per_intent, then)}
    where = f"the committed report (commit {committed.get('commit')}, {committed.get('date')})"
    now = {"set": HELD_OUT_NAME, "set_sha256": set_sha256 or nlu_report.set_hash(HELD_OUT)}
    if nlu_report.set_changed(now, committed):
        # Other messages, not only another model: say so, and blame nothing on the change.
        lines = [nlu_report.set_changed_sentence(now, committed)]
        for change in changes.values():
            below = change.now is not None and change.now < MIN_INTENT_F1
            if change.now is not None and (below or change.worse):
                was = "new" if change.then is None else f"was {change.then:.3f}"
                lines.append(
                    f"{change.intent}: F1 {change.now:.3f}, {was} in {where} (set changed)"
                )
        return lines
    lines = []
    for intent, f1 in verdict.per_intent.items():
        if f1 >= MIN_INTENT_F1:
            continue
        change = changes[intent]
        if change.then is None:
            lines.append(f"{intent}: F1 {f1:.3f}, new since {where}")
        elif change.then < MIN_INTENT_F1:
            lines.append(
                f"{intent}: F1 {f1:.3f}, already {change.then:.3f} in {where}: "
                "below the threshold before this change"
            )
        else:
            lines.append(
                f"{intent}: F1 {f1:.3f}, was {change.then:.3f} in {where}: "
                "fell below the threshold since"
            )
    for change in changes.values():
        if change.worse and change.now is not None and change.now >= MIN_INTENT_F1:
            lines.append(
                f"{change.intent}: F1 {change.now:.3f}, was {change.then:.3f} in {where}: "
                "worse, still above the threshold"
            )
    if not lines:
        lines.append(f"No intent worse than in {where} by more than {nlu_report.WORSE_BY}.")
    return lines


def domain_intents(domain_file: Path = ROOT / "domain.yml") -> List[str]:
    """The intents the domain declares that the model predicts (not those the
    connectors set themselves)."""
    declared = yaml.safe_load(domain_file.read_text())["intents"]
    return [intent for intent in declared if intent not in SET_BY_CONNECTORS]


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    report_file = Path(argv[0])
    verdict = check(json.loads(report_file.read_text()), domain_intents())
    summary = {
        "macro_f1": round(verdict.macro_f1, 4),
        "per_intent_f1": {k: round(v, 4) for k, v in verdict.per_intent.items()},
        "thresholds": {"macro_f1": MIN_MACRO_F1, "intent_f1": MIN_INTENT_F1},
        "failures": verdict.failures,
    }
    (report_file.parent / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    worst = min(verdict.per_intent.items(), key=lambda kv: kv[1])
    print(f"NLU held-out: macro-F1 {verdict.macro_f1:.3f}, lowest {worst[0]} {worst[1]:.3f}")
    for failure in verdict.failures:
        print(f"FAIL {failure}", file=sys.stderr)
    comparison = against_committed(verdict, nlu_report.committed_report())
    for line in comparison:
        print(f"  {line}", file=sys.stderr if verdict.failures else sys.stdout)
    return 1 if verdict.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
