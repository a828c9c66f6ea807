"""How many tenants who ask how to get involved hear where, and the open survey.

The model reads jobs and getting involved (volunteering, panels, groups, consultations,
surveys) as one intent, `ask_job_vacancies`; its answer names both pages, and in private
the survey Communications have open follows (actions/feedback.py). A message the model
reads as anything else, or falls back on, hears neither.

This parses a blind set of such questions (tests/nlu/blind_involvement.txt, one message
a line, written by someone who had seen neither the training data nor the code) with the
newest model, once: the figures go to results/nlu/involvement/<the set's name>.json
(commit it), and the command refuses to measure that set again, because a blind set
measured twice is no longer blind; a new set (blind_involvement_2.txt, ...) measures a
new model. The sentences in docs/staff.md between `<!-- involvement:start -->` and
`<!-- involvement:end -->` are written from those files (the newest measure first), on
measuring and with `--write-docs` (which measures nothing).

Usage: python -m scripts.involvement_reach [--set PATH] [--model PATH]
       python -m scripts.involvement_reach --set tests/nlu/blind_involvement_2.txt
       python -m scripts.involvement_reach --write-docs
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Sequence

from bot.privacy import redact
from scripts.nlu_report import (
    FALLBACK,
    RESULTS,
    ROOT,
    latest_model,
    parse_texts,
    project_path,
    put_block,
)

INTENT = "ask_job_vacancies"
BLIND_SET = ROOT / "tests" / "nlu" / "blind_involvement.txt"
RESULTS_DIR = RESULTS / "involvement"
DOCS = ROOT / "docs" / "staff.md"
START, END = "<!-- involvement:start -->", "<!-- involvement:end -->"


def messages(path: Path) -> List[str]:
    """The set's messages, one a line, blank lines skipped."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def reach(predicted: Iterable[tuple]) -> Dict:
    """The figures from (message, intent read) pairs: how many were read as the intent
    whose answer names the involvement page and offers the survey, and where the rest
    went (each message redacted)."""
    pairs = list(predicted)
    missed = [(text, intent) for text, intent in pairs if intent != INTENT]
    return {
        "messages": len(pairs),
        "reached": len(pairs) - len(missed),
        "missed_by_intent": dict(Counter(intent for _, intent in missed).most_common()),
        "missed": [{"text": redact(text), "read_as": intent} for text, intent in missed],
    }


def parse(model: Path, texts: List[str]) -> List[tuple]:
    """Each message with the intent the assistant reads it as (`nlu_fallback` when the
    FallbackClassifier falls back)."""
    results = parse_texts(model, texts)
    return [
        (text, (result.get("intent") or {}).get("name") or FALLBACK)
        for text, result in zip(texts, results, strict=True)
    ]


def summary(result: Mapping) -> str:
    """What the terminal says of a measure."""
    return (
        f"{result['reached']} of {result['messages']} questions about getting involved "
        f"were read as {INTENT} (the answer with the involvement page and the open survey); "
        f"the rest: {result['missed_by_intent'] or 'none'}"
    )


def measures(results: Path) -> List[dict]:
    """Every measure recorded in `results`, the newest first."""
    found = [json.loads(p.read_text(encoding="utf-8")) for p in results.glob("*.json")]
    return sorted(found, key=lambda r: (r["measured_at"], r["set"]), reverse=True)


def docs_text(recorded: Sequence[Mapping]) -> str:
    """What docs/staff.md says of the measures, the newest first."""
    if not recorded:
        return "Not measured yet."
    newest, *earlier = recorded
    return "\n\n".join([docs_sentence(newest)] + [f"Earlier: {docs_sentence(r)}" for r in earlier])


def docs_sentence(result: Mapping) -> str:
    """What docs/staff.md says of a measure."""
    missed = ", ".join(f"{intent} {n}" for intent, n in result["missed_by_intent"].items())
    return (
        f"Measured once on {result['measured_at'][:10]} with `python -m "
        f"scripts.involvement_reach` (model `{result['model']}`): of "
        f"{result['messages']} questions about getting involved, written by someone who "
        f"had seen neither the training data nor the code (`{result['set']}`), "
        f"{result['reached']} were read as `{INTENT}` and heard the involvement page "
        f"(and, in private, the open survey); the rest were read as {missed or 'nothing else'}."
    )


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=BLIND_SET)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--docs", type=Path, default=DOCS)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    if args.write_docs:
        put_block(args.docs, docs_text(measures(args.results)), START, END)
        return 0
    recorded = args.results / f"{args.set.stem}.json"
    if recorded.exists():
        print(
            f"{project_path(recorded)} exists: this blind set was measured already, and a "
            "blind set measured twice is no longer blind. Write a new one to measure again.",
            file=sys.stderr,
        )
        return 1
    model = args.model or latest_model()
    result = reach(parse(model, messages(args.set)))
    result.update(
        {
            "set": project_path(args.set),
            "model": model.name,
            "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "measured_once": "a blind set measured twice is no longer blind; not tuned on",
        }
    )
    recorded.parent.mkdir(parents=True, exist_ok=True)
    recorded.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    put_block(args.docs, docs_text(measures(args.results)), START, END)
    print(summary(result))
    for miss in result["missed"]:
        print(f"  {miss['read_as']:28s} {miss['text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
