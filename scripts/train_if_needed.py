"""Train a model into models/ when there is none, or when a training input changed.

The training inputs are config.yml, domain.yml and everything under data/. Their
content hash is stored beside the model it produced (models/.fingerprint.json), so a
fresh clone, a touched file or a checkout with nothing changed does not retrain.

Usage: python scripts/train_if_needed.py [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
RECORD = MODELS / ".fingerprint.json"


def training_inputs(root: Path = ROOT) -> Iterable[Path]:
    """The files whose content decides the trained model, in a stable order."""
    yield root / "config.yml"
    yield root / "domain.yml"
    yield from sorted(p for p in (root / "data").rglob("*") if p.is_file())


def fingerprint(root: Path = ROOT) -> str:
    """A hash of the training inputs' paths and contents."""
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def newest_model(models: Path = MODELS) -> Path | None:
    """The newest trained model, the one `rasa run` loads, or None."""
    found = sorted(models.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def is_up_to_date(current: str, models: Path = MODELS) -> bool:
    """Whether the newest model was trained from inputs with this fingerprint."""
    model = newest_model(models)
    record = models / RECORD.name
    if model is None or not record.exists():
        return False
    try:
        saved = json.loads(record.read_text())
    except ValueError:
        return False
    return saved.get("inputs") == current and saved.get("model") == model.name


def interrupt(signum: int, _frame: object) -> None:
    """SIGTERM (make, systemd, a container runtime stopping us) acts as Ctrl-C does:
    subprocess.run then kills the training it waits for, instead of leaving it behind."""
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, interrupt)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="train even if up to date")
    args = parser.parse_args()

    current = fingerprint()
    if not args.force and is_up_to_date(current):
        print(f"==> Model is up to date: models/{newest_model().name}")
        return 0
    print("==> Training a model (config.yml, domain.yml or data/ changed, or no model yet)")
    rasa = Path(sys.executable).with_name("rasa")
    try:
        result = subprocess.run([str(rasa), "train", "--out", str(MODELS)], cwd=ROOT)
    except KeyboardInterrupt:
        print("==> Training stopped", file=sys.stderr)
        return 130
    if result.returncode != 0:
        print("error: training failed", file=sys.stderr)
        return result.returncode
    model = newest_model()
    RECORD.write_text(json.dumps({"inputs": current, "model": model.name}) + "\n")
    print(f"==> Trained models/{model.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
