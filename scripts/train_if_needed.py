"""Train a model into models/ when there is none, or when a training input changed.

The training inputs are config.yml, domain.yml and everything under data/. Their
content hash is stored beside the model it produced (models/.fingerprint.json), so a
fresh clone, a touched file or a checkout with nothing changed does not retrain.

When only NLU examples changed (files under data/nlu/; the config, the domain, the rules
and the stories as they were), the newest model is fine-tuned on the new data rather
than trained from nothing: Rasa's incremental training (`rasa train --finetune
--epoch-fraction`), 3 of every 100 epochs, without Rasa's check of the unchanged domain
again, which is what a trainer adding examples waits for. A new intent changes the
domain, so it trains in full; so does a model fine-tuned MAX_FINETUNES times in a row,
so that one never drifts far from a full training; so do `--full` (`make train FULL=1`)
and `--force`; and so does a fine-tuning Rasa refuses.

Usage: python scripts/train_if_needed.py [--force] [--full]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, List

# How Rasa is run: subprocess.run, or a stand-in in the tests.
Run = Callable[..., Any]

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
RECORD = MODELS / ".fingerprint.json"
# Fine-tuning runs this fraction of the epochs config.yml gives DIETClassifier, and skips
# Rasa's check before training (the domain and stories, and warnings about the
# examples): it is taken only when nothing but NLU examples changed, and `make validate`
# (in `make test`) runs that check on everything.
EPOCH_FRACTION = 0.03
# After this many fine-tunings in a row, the next training is a full one.
MAX_FINETUNES = 5


def training_inputs(root: Path = ROOT) -> Iterable[Path]:
    """The files whose content decides the trained model, in a stable order."""
    yield root / "config.yml"
    yield root / "domain.yml"
    yield from sorted(p for p in (root / "data").rglob("*") if p.is_file())


def fingerprint(root: Path = ROOT, only: str | None = None) -> str:
    """A hash of the training inputs' paths and contents; with `only` "examples" or
    "rest", of the NLU example files alone, or of every other input."""
    digest = hashlib.sha256()
    examples = root / "data" / "nlu"
    for path in training_inputs(root):
        is_example = examples in path.parents
        if only == "examples" and not is_example or only == "rest" and is_example:
            continue
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def newest_model(models: Path = MODELS) -> Path | None:
    """The newest trained model, the one `rasa run` loads, or None."""
    found = sorted(models.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def recorded(models: Path = MODELS) -> dict | None:
    """What was recorded of the newest model when it was trained (its inputs'
    fingerprint, ...), or None when the newest model is not the one recorded."""
    model, record = newest_model(models), models / RECORD.name
    if model is None or not record.exists():
        return None
    try:
        saved = json.loads(record.read_text())
    except ValueError:
        return None
    return saved if isinstance(saved, dict) and saved.get("model") == model.name else None


def is_up_to_date(current: str, models: Path = MODELS) -> bool:
    """Whether the newest model was trained from inputs with this fingerprint."""
    saved = recorded(models)
    return saved is not None and saved.get("inputs") == current


def finetunable(root: Path = ROOT, models: Path | None = None) -> Path | None:
    """The model to fine-tune when only NLU examples changed since it was trained, or
    None when the next training must be a full one."""
    models = models or root / "models"
    saved = recorded(models)
    if saved is None or saved.get("rest") != fingerprint(root, "rest"):
        return None
    if int(saved.get("finetuned") or 0) >= MAX_FINETUNES:
        return None
    return newest_model(models)


def interrupt(signum: int, _frame: object) -> None:
    """SIGTERM (make, systemd, a container runtime stopping us) acts as Ctrl-C does:
    subprocess.run then kills the training it waits for, instead of leaving it behind."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: List[str] | None = None, root: Path = ROOT, run: Run = subprocess.run) -> int:
    """Train (or fine-tune, or not) the project at `root`; `run` runs Rasa."""
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, interrupt)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="train in full even if up to date")
    parser.add_argument("--full", action="store_true", help="never fine-tune: train in full")
    args = parser.parse_args(argv)

    models, current = root / "models", fingerprint(root)
    record_file = models / RECORD.name
    if not args.force and is_up_to_date(current, models):
        print(f"==> Model is up to date: models/{newest_model(models).name}")
        return 0
    rasa = [str(Path(sys.executable).with_name("rasa")), "train", "--out", str(models)]
    base = None if args.full or args.force else finetunable(root, models)
    finetuned = 0
    finetuned_before = int((recorded(models) or {}).get("finetuned") or 0)
    try:
        if base is not None:
            print(f"==> Only NLU examples changed: fine-tuning models/{base.name}")
            finetune = [
                "--skip-validation",
                "--finetune",
                str(base),
                "--epoch-fraction",
                str(EPOCH_FRACTION),
            ]
            result = run([*rasa, *finetune], cwd=root)
            if result.returncode == 0:
                finetuned = finetuned_before + 1
            else:
                print("==> Rasa could not fine-tune: training in full", file=sys.stderr)
        if base is None or result.returncode != 0:
            print("==> Training a model (config.yml, domain.yml or data/ changed, or no model)")
            result = run(rasa, cwd=root)
    except KeyboardInterrupt:
        print("==> Training stopped", file=sys.stderr)
        return 130
    if result.returncode != 0:
        print("error: training failed", file=sys.stderr)
        return result.returncode
    model = newest_model(models)
    record = {
        "inputs": current,
        "model": model.name,
        "rest": fingerprint(root, only="rest"),
        "finetuned": finetuned,
    }
    record_file.write_text(json.dumps(record) + "\n")
    print(f"==> Trained models/{model.name}" + (" (fine-tuned)" if finetuned else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
