"""The NLU training files under data/nlu/: read, and written in one format.

Each file is Rasa's YAML training format with intents only:

    version: "3.1"
    nlu:
    - intent: report_repair
      examples: |
        - my boiler is broken

Writing goes through `write_blocks`, which keeps that format, sorts each intent's
examples (case-insensitively, so that a diff shows what was added) and replaces the
file atomically, so a reader never sees half a file. The comment lines written above an
intent (or at the top of the file) are kept; a file holding anything else than intents
(synonyms, regexes, lookup tables, an intent's metadata) is not rewritten at all, since
the format would drop it.

An example added (`example_text`) is one line of plain words: the whitespace of a
tenant's message becomes single spaces; control and format characters, line and
paragraph separators and characters YAML cannot hold are refused, and so is Rasa's
entity annotation ("[text](entity)"), since the project trains no entities and Rasa
would read the example as other words than those written.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Sequence, Tuple

import yaml

VERSION = "3.1"
NLU_DIR = Path("data") / "nlu"

Block = Tuple[str, List[str]]
# The longest example taken: the longest messages tenants write (about 120 words) fit.
MAX_EXAMPLE_LENGTH = 1000
# Characters an example may not hold: control and format characters (DEL, ESC, zero-width
# and direction marks, a byte-order mark), surrogates, private-use and unassigned code
# points, and line or paragraph separators, which YAML or Rasa read as a new line.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# The whitespace of a message typed or pasted: it becomes single spaces.
_ORDINARY_SPACE = frozenset("\t\n\r")
# Rasa's entity annotation: [text](entity), [text](entity:value), [text]{...}, [text][...].
_ENTITY_ANNOTATION = re.compile(r"\[[^\]]+?\]\s*[({\[]")
# The entries of an NLU file that are not intents: write_blocks would drop them.
_TOP_ENTRY = re.compile(r"- *(\w+) *:")


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
    """The examples of one file in this format (training or test set), with their lines.

    The lines of a synonym, regex or lookup table are not examples of an intent."""
    lines = path.read_text(encoding="utf-8").splitlines()
    intent = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        entry = _TOP_ENTRY.match(line)
        if entry:
            intent = stripped.split(":", 1)[1].strip() if entry.group(1) == "intent" else None
        elif intent and line.startswith("    - "):
            yield Example(path.relative_to(root), number, intent, stripped[2:].strip())


def intent_files(root: Path) -> Dict[str, Path]:
    """Which file holds each intent's examples."""
    found: Dict[str, Path] = {}
    for path in nlu_files(root):
        for intent, _ in read_blocks(path):
            found.setdefault(intent, path)
    return found


def read_comments(path: Path) -> Dict[str, List[str]]:
    """The comment lines of a file, by the intent they are written above ("" for those
    above `nlu:`, "nlu:" for those between it and the first intent).

    Raises:
        TrainingDataError: the file holds something the project's format would drop
            (a synonym, regex or lookup table, an intent's metadata, a comment
            elsewhere); it is to be edited by hand.
    """
    text = path.read_text(encoding="utf-8")
    content = yaml.safe_load(text) or {}
    others = [
        next(iter(entry), "?") if isinstance(entry, dict) else str(entry)
        for entry in content.get("nlu") or []
        if not isinstance(entry, dict) or set(entry) - {"intent", "examples"}
    ]
    if set(content) - {"version", "nlu"} or others:
        what = ", ".join(sorted(set(others) | (set(content) - {"version", "nlu"})))
        raise TrainingDataError(
            f"{path.name} holds more than intents and their examples ({what}); "
            "writing it would lose them, so add the example to it by hand"
        )
    comments: Dict[str, List[str]] = {}
    pending: List[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            pending.append(line)
            continue
        if line.startswith("nlu:"):
            comments[""], pending = pending, []
        elif line.startswith("- intent:"):
            comments[line.split(":", 1)[1].strip()], pending = pending, []
    comments.setdefault("nlu:", [])
    if pending:
        comments["end"] = pending
    blocks = read_blocks(path)
    if _comment_lines(render(blocks, comments)) != _comment_lines(text):
        raise TrainingDataError(
            f"{path.name} has comments inside an intent; writing it would move or lose "
            "them, so add the example to it by hand"
        )
    return comments


def render(blocks: Sequence[Block], comments: Dict[str, List[str]] | None = None) -> str:
    """The file's text in the project's format, each intent's examples sorted, with the
    comment lines `comments` (read_comments) where they were."""
    comments = comments or {}
    out = [*comments.get("", []), f'version: "{VERSION}"', "nlu:", *comments.get("nlu:", [])]
    for intent, texts in blocks:
        out += comments.get(intent, [])
        out += [f"- intent: {intent}", "  examples: |"]
        out += [f"    - {text}" for text in sorted(set(texts), key=_order)]
        out.append("")
    out += comments.get("end", [])
    return "\n".join(out).rstrip("\n") + "\n"


def _comment_lines(text: str) -> List[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def write_blocks(
    path: Path, blocks: Sequence[Block], comments: Dict[str, List[str]] | None = None
) -> None:
    """Write the file atomically in the project's format, with its `comments`."""
    replace_file(path, render(blocks, comments).encode("utf-8"))


def replace_file(path: Path, content: bytes) -> None:
    """Replace the file at once, so that a reader never sees half of it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def example_text(text: str) -> str:
    """`text` as an example is written: one line, its whitespace single spaces.

    Raises:
        TrainingDataError: it is too long (checked first, before any other work), empty,
            holds a character the training files cannot hold as written, or Rasa's
            entity annotation.
    """
    if len(text) > MAX_EXAMPLE_LENGTH:
        raise TrainingDataError(f"an example is at most {MAX_EXAMPLE_LENGTH} characters")
    for character in text:
        if character in _ORDINARY_SPACE:
            continue
        category = unicodedata.category(character)
        if category in _REFUSED_CATEGORIES:
            raise TrainingDataError(
                f"it holds an invisible or control character (U+{ord(character):04X}, "
                f"{unicodedata.name(character, 'unnamed')}) that training data cannot "
                "hold; type the message again in plain words"
            )
    text = " ".join(text.split())
    if not text:
        raise TrainingDataError("an empty example teaches nothing")
    if _ENTITY_ANNOTATION.search(text):
        raise TrainingDataError(
            "it holds square brackets followed by brackets, which the training data reads "
            "as an entity (such as [text](entity)); this project trains no entities: "
            "write it without them"
        )
    return text


def add_example(root: Path, intent: str, text: str) -> Path:
    """Write `text` into `intent`'s NLU file, sorted among its examples.

    Raises:
        TrainingDataError: the intent has no file, the text is refused by
            `example_text`, the same example is already under an intent (the same or
            another), or the file holds more than intents (it is not rewritten).
    """
    text = example_text(text)
    with locked(root):
        for example in examples(root):
            if example.text.casefold() == text.casefold():
                raise TrainingDataError(
                    f"{example.file}:{example.line}: already an example of {example.intent}"
                )
        path = intent_files(root).get(intent)
        if path is None:
            raise TrainingDataError(f"no file under {NLU_DIR}/ holds the intent {intent}")
        comments = read_comments(path)
        blocks = [
            (name, [*texts, text] if name == intent else texts) for name, texts in read_blocks(path)
        ]
        write_blocks(path, blocks, comments)
    return path


@contextmanager
def locked(root: Path) -> Iterator[None]:
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
