"""A new intent, scaffolded: `python -m bot.trainer new-intent NAME [--file TOPIC]`.

Writes everything a new intent needs, each left with a `TODO(trainer)` marker saying
what to write there: its examples under data/nlu/, its name under `intents:` and a
response `utter_NAME` in domain.yml, a rule answering it, held-out examples in
tests/nlu/held_out.yml and a test story. The data checks (bot.trainer.checks) fail
while any marker remains, so a half-finished intent cannot pass `make test`.

domain.yml is hand-written (comments, blank lines, flow-style mappings), so it is
edited as text: two lines go in, and nothing else in the file moves. Every file stays
valid YAML, so the failure a trainer sees is the check's message, not a crash.

It holds the NLU files' lock (bot.trainer.nlu_files.locked) from its first read to its
last write, so an example assigned from the console at the same moment is neither lost
nor mixed in. Everything is checked and composed before the first file is written; if
writing fails part way, the files already written are put back as they were.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence

import yaml

from bot.trainer.checks import DOMAIN, HELD_OUT, MARKER, MIN_EXAMPLES, MIN_HELD_OUT
from bot.trainer.nlu_files import NLU_DIR, VERSION, intent_files, locked, replace_file

RULES_DIR = Path("data") / "rules"
TEST_STORIES_DIR = Path("tests") / "stories"
SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
# Rasa's own intents (rasa.shared.core.constants.DEFAULT_INTENTS and the fallback):
# naming one would clash with what Rasa does with it.
RESERVED = frozenset({"restart", "back", "out_of_scope", "session_start", "nlu_fallback"})

EXAMPLES_MARKER = (
    f"{MARKER}: at least {MIN_EXAMPLES} ways a tenant asks this, one a line, as tenants "
    "write (replace this line)"
)
RESPONSE_MARKER = (
    f"{MARKER}: the answer a tenant gets. Name the association's details as slots in "
    "curly brackets, never a number or address written out"
)
RULE_MARKER = (
    f"# {MARKER}: check that this rule answers the intent as it should (a handoff or a "
    "form needs more steps), then delete this line"
)
HELD_OUT_MARKER = (
    f"{MARKER}: {MIN_HELD_OUT}-12 more ways to ask this, written apart from the "
    "training examples, never copied from them (replace this line)"
)
STORY_MARKER = (
    f"{MARKER}: a message a tenant would send to ask this, not one of the training examples"
)


class ScaffoldError(ValueError):
    """The intent cannot be scaffolded; the message says why and what to do."""


@dataclass(frozen=True)
class Written:
    """One file the scaffold wrote or changed."""

    path: Path
    what: str
    created: bool


def new_intent(root: Path, name: str, topic: str | None = None) -> List[Written]:
    """Scaffold the intent `name` in the project at `root`, or refuse, changing nothing.

    Args:
        root: the project folder.
        name: the new intent, in snake_case.
        topic: the file under data/nlu/ for its examples (an existing topic or a new
            one); by default a new file named after the intent.

    Returns:
        The files written, in the order a trainer fills them in.

    Raises:
        ScaffoldError: the name or topic is not allowed, or the intent, its response,
            rule or test story exists already. Nothing has been written.
        OSError: a file could not be written; those already written are put back.
    """
    with locked(root):
        return _new_intent(root, name, topic)


def _new_intent(root: Path, name: str, topic: str | None) -> List[Written]:
    topic = topic or name
    domain_path = root / DOMAIN
    domain_text = domain_path.read_text(encoding="utf-8")
    domain = yaml.safe_load(domain_text) or {}
    _refuse_bad_name(root, name, topic, domain)

    nlu_path = root / NLU_DIR / f"{topic}.yml"
    rule_path = root / RULES_DIR / f"{name}.yml"
    story_path = root / TEST_STORIES_DIR / f"test_{name}.yml"
    held_out_path = root / HELD_OUT
    new_domain = _add_response(_add_intent(domain_text, name), name)
    # Everything is decided before anything is written: a refusal changes nothing.
    nlu_existed = nlu_path.exists()
    nlu_text = (
        _appended(nlu_path.read_text(encoding="utf-8"), _nlu_block(name, EXAMPLES_MARKER))
        if nlu_existed
        else f'version: "{VERSION}"\nnlu:\n{_nlu_block(name, EXAMPLES_MARKER)}'
    )
    held_out_text = _appended(
        held_out_path.read_text(encoding="utf-8"), _nlu_block(name, HELD_OUT_MARKER)
    )
    planned = {
        nlu_path: nlu_text,
        domain_path: new_domain,
        rule_path: _rule(name),
        held_out_path: held_out_text,
        story_path: _story(name),
    }
    for text in planned.values():
        yaml.safe_load(text)  # a YAML error here is a bug of the scaffold, not the trainer's
    _write_all(planned)
    return [
        Written(
            nlu_path.relative_to(root),
            f"the intent {name}, with a line to replace by at least {MIN_EXAMPLES} examples",
            not nlu_existed,
        ),
        Written(DOMAIN, f"{name} under intents:, and the response utter_{name} to write", False),
        Written(rule_path.relative_to(root), f"a rule: {name} is answered by utter_{name}", True),
        Written(
            HELD_OUT,
            f"{name}, with a line to replace by {MIN_HELD_OUT}-12 held-out examples",
            False,
        ),
        Written(
            story_path.relative_to(root),
            f"a test story: a tenant's message read as {name} and answered",
            True,
        ),
    ]


def _write_all(planned: Dict[Path, str]) -> None:
    """Write every file, or none: on a failure, put back those already written."""
    before = {path: path.read_bytes() if path.exists() else None for path in planned}
    done: List[Path] = []
    try:
        for path, text in planned.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            replace_file(path, text.encode("utf-8"))
            done.append(path)
    except BaseException:
        for path in reversed(done):
            previous = before[path]
            if previous is None:
                path.unlink(missing_ok=True)
            else:
                replace_file(path, previous)
        raise


def summary(name: str, written: Sequence[Written]) -> str:
    """What the scaffold wrote and what the trainer does next, for the console."""
    lines = [f"Scaffolded the intent {name}:"]
    for item in written:
        lines.append(f"  {'created' if item.created else 'changed'} {item.path}: {item.what}")
    lines += [
        "",
        f"Next: replace every line marked {MARKER} in those files (search for it),",
        "then run `make validate`: it names any marker left and anything else to fix.",
        "Then `make train` and `make test`: they fail until every marker is filled.",
    ]
    return "\n".join(lines)


def _refuse_bad_name(root: Path, name: str, topic: str, domain: dict) -> None:
    if "+" in name:
        raise ScaffoldError(
            f"'{name}' has a '+': that joins two intents into one message (a multi-intent "
            "such as report_repair+make_complaint); scaffold one intent at a time"
        )
    if not SNAKE_CASE.fullmatch(name):
        raise ScaffoldError(
            f"'{name}' is not a valid intent name: use lower-case words joined by "
            "underscores, such as ask_parking"
        )
    if name in RESERVED:
        raise ScaffoldError(f"'{name}' is one of Rasa's own intents; choose another name")
    if name in {str(intent) for intent in domain.get("intents") or []}:
        raise ScaffoldError(
            f"the intent {name} exists already (domain.yml); to improve it, add examples "
            f"to {intent_files(root).get(name, NLU_DIR)}"
        )
    if name in intent_files(root):
        raise ScaffoldError(
            f"{intent_files(root)[name].relative_to(root)} already has examples of {name}"
        )
    if f"utter_{name}" in (domain.get("responses") or {}):
        raise ScaffoldError(f"domain.yml already has a response utter_{name}")
    if not SNAKE_CASE.fullmatch(topic):
        raise ScaffoldError(
            f"'{topic}' is not a valid topic file name: use lower-case words joined by "
            "underscores, such as parking (it becomes data/nlu/parking.yml)"
        )
    for path in (root / RULES_DIR / f"{name}.yml", root / TEST_STORIES_DIR / f"test_{name}.yml"):
        if path.exists():
            raise ScaffoldError(f"{path.relative_to(root)} exists already")


def _add_intent(domain_text: str, name: str) -> str:
    """`  - name` after the first run of items under `intents:`.

    The later runs sit under their own comments (answers to the security questions,
    what the connectors set), which a new intent does not belong to.
    """
    lines = domain_text.splitlines(keepends=True)
    start = _top_level_key(lines, "intents")
    last_item = None
    for index in range(start + 1, len(lines)):
        stripped = lines[index].strip()
        if stripped.startswith("- "):
            last_item = index
        elif last_item is not None or (stripped and not stripped.startswith("#")):
            break
    if last_item is None:
        raise ScaffoldError("domain.yml lists no intents under intents:")
    indent = lines[last_item][: len(lines[last_item]) - len(lines[last_item].lstrip())]
    lines.insert(last_item + 1, f"{indent}- {name}\n")
    return "".join(lines)


def _add_response(domain_text: str, name: str) -> str:
    """`utter_name` at the end of `responses:`, indented as the others are."""
    lines = domain_text.splitlines(keepends=True)
    start = _top_level_key(lines, "responses")
    end = len(lines)
    for index in range(start + 1, len(lines)):
        if lines[index].strip() and not lines[index][0].isspace():
            end = index
            break
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    indent = "  "
    for line in lines[start + 1 : end]:
        if line.strip() and not line.lstrip().startswith("#"):
            indent = line[: len(line) - len(line.lstrip())]
            break
    if end and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    block = [
        "\n",
        f"{indent}utter_{name}:\n",
        f'{indent}  - text: "{RESPONSE_MARKER}"\n',
    ]
    lines[end:end] = block
    return "".join(lines)


def _top_level_key(lines: List[str], key: str) -> int:
    pattern = re.compile(rf"{key}:\s*(#.*)?")
    for index, line in enumerate(lines):
        if pattern.fullmatch(line.rstrip()):
            return index
    raise ScaffoldError(f"domain.yml has no top-level {key}: section")


def _nlu_block(name: str, marker: str) -> str:
    return f"- intent: {name}\n  examples: |\n    - {marker}\n"


def _appended(text: str, block: str) -> str:
    return text.rstrip("\n") + "\n" + block


def _rule(name: str) -> str:
    return (
        f'version: "{VERSION}"\n'
        "rules:\n"
        f"{RULE_MARKER}\n"
        f"- rule: answer {name}\n"
        "  steps:\n"
        f"  - intent: {name}\n"
        f"  - action: utter_{name}\n"
    )


def _story(name: str) -> str:
    return (
        f'version: "{VERSION}"\n'
        "stories:\n"
        f"- story: {name} is understood and answered\n"
        "  steps:\n"
        "  - user: |\n"
        f"      {STORY_MARKER}\n"
        f"    intent: {name}\n"
        f"  - action: utter_{name}\n"
    )
