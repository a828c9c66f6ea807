"""The shape of the intent classifier side by side on the validation sets: the features
it reads (pairs of words, character n-grams up to 4 or 5 long) and DIETClassifier with
and without a transformer layer.

Each variant is config.yml with only those settings changed (the FallbackClassifier's
thresholds stay as config.yml has them). For each, an NLU-only model is trained on
data/nlu (timed), and it reads the two validation sets:
tests/nlu/dev.yml (macro-F1 over its intents, a fallback counted as a miss) and
tests/nlu/nonsense_validation.yml (nonsense and off-topic messages: how many fall back
or go to out_of_scope, and how many are read as an emergency). Neither the held-out set
nor the nonsense gate's set is read: the choice is not tuned on what `make test` gates.

With --write-docs the table goes into docs/trainers.md between
`<!-- nlu-configs:start -->` and `<!-- nlu-configs:end -->`.

Usage: python -m bench.nlu_configs [--write-docs]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Dict, List, Mapping, Sequence, Tuple

import yaml

from scripts.nlu_report import FALLBACK, OUT_OF_SCOPE, parse_texts, put_block

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUIDE = ROOT / "docs" / "trainers.md"
START, END = "<!-- nlu-configs:start -->", "<!-- nlu-configs:end -->"
DEV = ROOT / "tests" / "nlu" / "dev.yml"
NONSENSE_VALIDATION = ROOT / "tests" / "nlu" / "nonsense_validation.yml"
EMERGENCY = "report_emergency"

# Each variant: "diet", DIETClassifier's settings changed; "word_pairs", False for
# single words alone (no pairs of words); "char_max", the longest character n-gram. "chosen"
# is config.yml as it is.
ONE_LAYER = {"number_of_transformer_layers": 1, "transformer_size": 128, "epochs": 60}
VARIANTS: Dict[str, Mapping] = {
    "single words, characters 1-4 (until 2026-12-01)": {"word_pairs": False, "char_max": 4},
    "pairs of words, characters 1-4": {"char_max": 4},
    "single words, characters 1-5": {"word_pairs": False},
    "as chosen, one transformer layer, 60 epochs, dropout 0.4": {
        "diet": {**ONE_LAYER, "drop_rate": 0.4}
    },
    "chosen (config.yml): pairs of words, characters 1-5, no transformer layer": {},
}


@dataclass(frozen=True)
class Measure:
    name: str
    seconds: float
    macro_f1: float
    fell_back: int
    dev_messages: int
    nonsense_caught: int
    nonsense_emergencies: int
    nonsense_messages: int


def variant_config(changes: Mapping, config: Path = ROOT / "config.yml") -> dict:
    """config.yml with a variant's changes (see VARIANTS)."""
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    pipeline = settings["pipeline"]
    [diet] = [c for c in pipeline if c["name"] == "DIETClassifier"]
    diet.update(changes.get("diet", {}))
    if not changes.get("word_pairs", True):
        [words] = [c for c in pipeline if _words(c)]
        words["max_ngram"] = 1
    if "char_max" in changes:
        [characters] = [c for c in pipeline if c.get("analyzer") == "char_wb"]
        characters["max_ngram"] = changes["char_max"]
    return settings


def _words(component: Mapping) -> bool:
    return (
        component["name"] == "CountVectorsFeaturizer"
        and component.get("analyzer", "word") == "word"
    )


def macro_f1(pairs: Sequence[Tuple[str, str]]) -> float:
    """Macro-F1 over the gold intents of (gold, predicted) pairs; a fallback is a miss."""
    hits, predicted, gold = Counter(), Counter(), Counter()
    for want, got in pairs:
        gold[want] += 1
        predicted[got] += 1
        hits[want] += want == got
    scores = []
    for intent in gold:
        precision = hits[intent] / predicted[intent] if predicted[intent] else 0.0
        recall = hits[intent] / gold[intent]
        total = precision + recall
        scores.append(2 * precision * recall / total if total else 0.0)
    return sum(scores) / len(scores)


def caught(predictions: Sequence[str]) -> Tuple[int, int]:
    """Nonsense that fell back or went to out_of_scope, and nonsense read as an
    emergency (alone or in a multi-intent)."""
    fine = sum(p in (FALLBACK, OUT_OF_SCOPE) for p in predictions)
    return fine, sum(EMERGENCY in p.split("+") for p in predictions)


def _parse(model: Path, sets: Sequence[Path]) -> List[List[Tuple[str, str]]]:
    """(gold intent, intent read) for every example of each set, the model loaded once."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = [load_data(str(nlu_set)).intent_examples for nlu_set in sets]
    texts = [example.get("text") for found in examples for example in found]
    read = iter(parse_texts(model, texts))
    return [[(e.get("intent"), next(read)["intent"]["name"]) for e in found] for found in examples]


def measure(name: str, changes: Mapping, work: Path) -> Measure:
    config = work / "config.yml"
    config.write_text(yaml.safe_dump(variant_config(changes), sort_keys=False))
    started = time.monotonic()
    subprocess.run(
        [str(BIN / "rasa"), "train", "nlu", "--config", str(config), "--nlu", "data/nlu"]
        + ["--out", str(work), "--fixed-model-name", "nlu"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.monotonic() - started
    dev, nonsense = _parse(work / "nlu.tar.gz", [DEV, NONSENSE_VALIDATION])
    fine, emergencies = caught([got for _, got in nonsense])
    return Measure(
        name=name,
        seconds=seconds,
        macro_f1=macro_f1(dev),
        fell_back=sum(got == FALLBACK for _, got in dev),
        dev_messages=len(dev),
        nonsense_caught=fine,
        nonsense_emergencies=emergencies,
        nonsense_messages=len(nonsense),
    )


def table(measures: Sequence[Measure], when: date) -> str:
    lines = [
        f"Written by `.venv/bin/python -m bench.nlu_configs --write-docs`, not by hand. "
        f"Measured {when.isoformat()} on this machine, 2 cores, on the training data as "
        "committed then, with the fallback thresholds of config.yml for every variant.",
        "",
        "| features and classifier | training (s, NLU only) | dev macro-F1 | dev fell back | "
        "nonsense caught | nonsense read as an emergency |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in measures:
        lines.append(
            f"| {m.name} | {m.seconds:.0f} | {m.macro_f1:.3f} | {m.fell_back} of "
            f"{m.dev_messages} | {m.nonsense_caught} of {m.nonsense_messages} | "
            f"{m.nonsense_emergencies} |"
        )
    return "\n".join(lines)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    measures = []
    for name, changes in VARIANTS.items():
        with tempfile.TemporaryDirectory(prefix="nlu-configs-") as work:
            measures.append(measure(name, changes, Path(work)))
        print(measures[-1], flush=True)
    text = table(measures, date.today())
    print(text)
    if args.write_docs:
        put_block(GUIDE, text, START, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
