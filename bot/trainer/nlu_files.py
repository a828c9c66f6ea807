"""The NLU training files under data/nlu/: read, and written in one format.

Each file is Rasa's YAML training format with intents only:

    version: "3.1"
    nlu:
    - intent: report_repair
      examples: |
        - my boiler is broken

Writing goes through `write_blocks`, which keeps that format, sorts each intent's
examples (case-insensitively, so that a diff shows what was added) and replaces the
file atomically, so a reader never sees half a file.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Sequence, Tuple

import yaml

VERSION = "3.1"
NLU_DIR = Path("data") / "nlu"

Block = Tuple[str, List[str]]


class TrainingDataError(ValueError):
    """The training files cannot take this change; the message says why, for a trainer."""


@dataclass(frozen=True)
class Example:
    """One training example, where a trainer finds it."""

    file: Path
    line: int
    intent: str
    text: str


def nlu_files(root: Path) -> List[Path]:
    """The NLU training files of the project at `root`, in a stable order."""
    return sorted((root / NLU_DIR).glob("*.yml"))


def read_blocks(path: Path) -> List[Block]:
    """The intents of one file, each with its examples in file order."""
    content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    blocks: List[Block] = []
    for entry in content.get("nlu") or []:
        if "intent" not in entry:
            continue
        texts = [
            line.strip()[2:].strip()
            for line in str(entry.get("examples") or "").splitlines()
            if line.strip().startswith("- ")
        ]
        blocks.append((str(entry["intent"]), texts))
    return blocks


def examples(root: Path) -> Iterator[Example]:
    """Every training example of the project, with its file and line."""
    for path in nlu_files(root):
        yield from file_examples(root, path)


def file_examples(root: Path, path: Path) -> Iterator[Example]:
    """The examples of one file in this format (training or test set), with their lines."""
    lines = path.read_text(encoding="utf-8").splitlines()
    intent = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("- intent:"):
            intent = stripped.split(":", 1)[1].strip()
        elif intent and line.startswith("    - "):
            yield Example(path.relative_to(root), number, intent, stripped[2:].strip())


def intent_files(root: Path) -> Dict[str, Path]:
    """Which file holds each intent's examples."""
    found: Dict[str, Path] = {}
    for path in nlu_files(root):
        for intent, _ in read_blocks(path):
            found.setdefault(intent, path)
    return found


def render(blocks: Sequence[Block]) -> str:
    """The file's text in the project's format, each intent's examples sorted."""
    out = [f'version: "{VERSION}"', "nlu:"]
    for intent, texts in blocks:
        out += [f"- intent: {intent}", "  examples: |"]
        out += [f"    - {text}" for text in sorted(set(texts), key=_order)]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def write_blocks(path: Path, blocks: Sequence[Block]) -> None:
    """Write the file atomically in the project's format."""
    text = render(blocks)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def add_example(root: Path, intent: str, text: str) -> Path:
    """Write `text` into `intent`'s NLU file, sorted among its examples.

    Raises:
        TrainingDataError: the intent has no file, the text is empty or spans lines,
            or the same example is already under an intent (the same or another).
    """
    text = " ".join(text.split())
    if not text:
        raise TrainingDataError("an empty example teaches nothing")
    with _locked(root):
        for example in examples(root):
            if example.text.casefold() == text.casefold():
                raise TrainingDataError(
                    f"{example.file}:{example.line}: already an example of {example.intent}"
                )
        path = intent_files(root).get(intent)
        if path is None:
            raise TrainingDataError(f"no file under {NLU_DIR}/ holds the intent {intent}")
        blocks = [
            (name, [*texts, text] if name == intent else texts) for name, texts in read_blocks(path)
        ]
        write_blocks(path, blocks)
    return path


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One writer at a time across processes (two trainers assigning at once)."""
    lock = root / "var" / "nlu-files.lock"
    lock.parent.mkdir(exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _order(text: str) -> Tuple[str, str]:
    return (text.casefold(), text)
