"""The data checks a trainer runs before training: `python -m bot.trainer check`.

Each problem names the file and line, the intent and the example, in words a trainer
who is not a programmer can act on. The checks:

- every file parses, and no `TODO(trainer)` marker is left (the scaffold's markers);
- every intent the model learns has enough examples (30; more for the pairs that are
  easy to confuse), in one file under data/nlu/, and is listed in domain.yml;
- no example is in two intents, and no two examples are near-duplicates (the same
  words but one), across intents above all: the model cannot tell those apart;
- no personal detail in a training example (bot.privacy, P5), except the made-up
  answers to the security questions under `inform` and phone numbers from Ofcom's range
  for drama (07700 900000 to 900999), which are no one's;
- every intent is used by a rule or story and answered there, every response is used,
  and the test stories meet every intent;
- the held-out set (tests/nlu/held_out.yml) covers every intent and none of its
  examples is in the training data, even one word apart;
- no training example is a message of the other measuring sets (tests/nlu/dev.yml,
  nonsense_validation.yml, nonsense.yml, when they exist), ignoring case, spacing and
  punctuation: a copy would make the thresholds and the nonsense gate measure nothing.

Words are compared without punctuation ("broken, no heat" and "broken , no heat" are
the same words).

Plain Python reading plain files: no Rasa, so the checks run in a second.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Sequence, Set, Tuple

import yaml

from bot.privacy import find
from bot.trainer.nlu_files import NLU_DIR, Example, file_examples, nlu_files

MARKER = "TODO(trainer)"
HELD_OUT = Path("tests") / "nlu" / "held_out.yml"
# The sets that choose the thresholds and measure nonsense: no training example in them.
# (The blind set is checked apart: it stays sealed.)
MEASURING_SETS = tuple(
    Path("tests") / "nlu" / name for name in ("dev.yml", "nonsense_validation.yml", "nonsense.yml")
)
DOMAIN = Path("domain.yml")
RULES_DIR = Path("data") / "rules"
STORIES_DIR = Path("data") / "stories"
TEST_STORIES_DIR = Path("tests") / "stories"
ACTIONS_DIR = Path("actions")

# Intents the platform connectors set themselves (a photo alone): no words to learn.
SET_BY_CONNECTORS = frozenset({"send_attachment"})
# Answers to the security questions: made-up tenancy references, addresses, names and
# dates, which differ only in their values. They may hold the shapes of personal
# details, and are held to no exact repeats rather than the one-word rule.
VALUE_INTENTS = frozenset({"inform"})
MIN_EXAMPLES = 30
MIN_HELD_OUT = 10
# Intents that are easy to confuse with a neighbour get more than the floor, and the
# security answers need many values to be read whatever the shape.
MIN_EXAMPLES_FOR = {
    "report_repair": 45,
    "report_emergency": 45,
    "ask_repair_status": 45,
    "make_complaint": 45,
    "abuse": 45,
    "request_human": 45,
    "ask_rent_balance": 45,
    "ask_privacy": 45,
    "inform": 100,
}

RESPONSE_NAME = re.compile(r"""["'](utter_\w+)["']""")
ANSWER_VALUE = re.compile(r"\d{6}|\d+[/.-]\d+[/.-]\d+")


@dataclass(frozen=True)
class Problem:
    """One thing a trainer must fix, and where."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Project:
    """The files the checks read, parsed once."""

    root: Path
    domain: dict
    training: List[Example]
    held_out: List[Example]
    rules: List[Tuple[Path, dict]]
    stories: List[Tuple[Path, dict]]
    test_stories: List[Tuple[Path, dict]]
    action_sources: List[str]
    measuring: List[Example] = field(default_factory=list)

    @property
    def intents(self) -> List[str]:
        """The intents listed in domain.yml."""
        return [str(name) for name in self.domain.get("intents") or []]

    @property
    def learned_intents(self) -> List[str]:
        """The domain's intents that the model learns from examples."""
        return [name for name in self.intents if name not in SET_BY_CONNECTORS]


def check(root: Path) -> List[Problem]:
    """Every problem in the project at `root`; an empty list means it passes."""
    problems = list(check_markers(root))
    project, unreadable = load(root)
    problems += unreadable
    if project is None:
        return problems
    for run in CHECKS:
        problems += run(project)
    return problems


def load(root: Path) -> Tuple[Project | None, List[Problem]]:
    """The project's files parsed, or the problems that stop them being read."""
    problems: List[Problem] = []
    parsed: Dict[Path, dict] = {}
    files = [
        DOMAIN,
        HELD_OUT,
        *(path.relative_to(root) for path in nlu_files(root)),
        *_yaml_files(root, RULES_DIR),
        *_yaml_files(root, STORIES_DIR),
        *_yaml_files(root, TEST_STORIES_DIR),
    ]
    for name in files:
        try:
            content = yaml.safe_load((root / name).read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            problems.append(Problem(str(name), "the file is missing"))
            continue
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            problems.append(
                Problem(
                    f"{name}{line}",
                    f"this is not valid YAML ({getattr(error, 'problem', error)}); "
                    "check the indentation and the quotes",
                )
            )
            continue
        if not isinstance(content, dict):
            problems.append(Problem(str(name), "this file should hold a YAML mapping"))
            continue
        parsed[name] = content
    if problems:
        return None, problems

    def steps_files(folder: Path) -> List[Tuple[Path, dict]]:
        return [(name, parsed[name]) for name in _yaml_files(root, folder)]

    project = Project(
        root=root,
        domain=parsed[DOMAIN],
        # A marker line is no example (check_markers names it).
        training=[
            e for path in nlu_files(root) for e in file_examples(root, path) if MARKER not in e.text
        ],
        held_out=[e for e in file_examples(root, root / HELD_OUT) if MARKER not in e.text],
        rules=steps_files(RULES_DIR),
        stories=steps_files(STORIES_DIR),
        test_stories=steps_files(TEST_STORIES_DIR),
        action_sources=[
            path.read_text(encoding="utf-8") for path in sorted((root / ACTIONS_DIR).glob("*.py"))
        ],
        measuring=[
            e
            for name in MEASURING_SETS
            if (root / name).is_file()
            for e in file_examples(root, root / name)
        ],
    )
    return project, []


def check_markers(root: Path) -> Iterator[Problem]:
    """No `TODO(trainer)` marker left where the scaffold puts them."""
    paths: List[Path] = [root / DOMAIN, root / HELD_OUT]
    paths += sorted(path for path in (root / "data").rglob("*") if path.is_file())
    paths += sorted(path for path in (root / TEST_STORIES_DIR).rglob("*") if path.is_file())
    for path in paths:
        if not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        context = ""
        for number, line in enumerate(lines, start=1):
            if MARKER in line:
                yield Problem(
                    f"{path.relative_to(root)}:{number}",
                    f"still to fill in{context}: {line.strip()}",
                )
                continue
            found = _CONTEXT.match(line)
            if found:
                kind, name = found.group(1) or "response", found.group(2) or found.group(3)
                context = f" ({kind} {name})"


# The intent, response, rule or story a marker belongs to: the last one named above it.
_CONTEXT = re.compile(r"^\s*(?:- (intent|rule|story): *(.+?)|(utter_\w+):)\s*$")


def check_counts(project: Project) -> Iterator[Problem]:
    """Enough examples for each intent, each intent in the domain and in one file."""
    by_intent: Dict[str, List[Example]] = defaultdict(list)
    for example in project.training:
        by_intent[example.intent].append(example)
    listed = set(project.intents)
    for intent in project.learned_intents:
        found = by_intent.get(intent, [])
        floor = MIN_EXAMPLES_FOR.get(intent, MIN_EXAMPLES)
        if not found:
            yield Problem(
                str(DOMAIN),
                f"intent {intent} has no examples in any file under {NLU_DIR}/; "
                f"write at least {floor}",
            )
        elif len(found) < floor:
            yield Problem(
                _at(found[0]),
                f"intent {intent} has {_count(len(found), 'example')}; it needs at least {floor} "
                f"(write {floor - len(found)} more, as tenants write)",
            )
    for intent, found in sorted(by_intent.items()):
        if intent not in listed:
            yield Problem(
                _at(found[0]),
                f"intent {intent} has examples but is not listed under intents: in domain.yml",
            )
        files = sorted({str(example.file) for example in found})
        if len(files) > 1:
            yield Problem(
                _at(found[0]),
                f"intent {intent} has examples in {len(files)} files ({', '.join(files)}); "
                "keep each intent's examples in one file",
            )


def check_duplicates(project: Project) -> Iterator[Problem]:
    """No example twice, in one intent or two (ignoring case and spacing)."""
    seen: Dict[str, Example] = {}
    for example in project.training:
        key = _same_text(example.text)
        first = seen.setdefault(key, example)
        if first is example:
            continue
        if first.intent == example.intent:
            message = f"intent {example.intent}: the example '{example.text}' is written twice"
        else:
            message = (
                f"the example '{example.text}' is in two intents, {first.intent} "
                f"({_at(first)}) and {example.intent}: keep it in the one it means"
            )
        yield Problem(_at(example), message)


def check_near_duplicates(project: Project) -> Iterator[Problem]:
    """No two examples the same but for one word (VALUE_INTENTS aside)."""
    phrased = [e for e in project.training if e.intent not in VALUE_INTENTS]
    for first, second in near_pairs(phrased):
        if first.intent != second.intent:
            yield Problem(
                _at(second),
                f"near-duplicates in two intents: '{second.text}' ({second.intent}) and "
                f"'{first.text}' ({first.intent}, {_at(first)}) differ by one word at most, "
                "so the model cannot tell them apart: reword one, or keep it in one intent",
            )
        else:
            yield Problem(
                _at(second),
                f"intent {second.intent}: '{second.text}' and '{first.text}' "
                f"({_at(first)}) differ by one word at most; the second teaches nothing "
                "new: write it another way",
            )


def check_privacy(project: Project) -> Iterator[Problem]:
    """No personal detail in a training example (P5), except made-up answers (`inform`)."""
    for example in project.training:
        if example.intent in VALUE_INTENTS:
            continue
        spans = personal_details(example.text)
        if spans:
            found = ", ".join(f"a {span.kind.replace('_', ' ')} ('{span.text}')" for span in spans)
            yield Problem(
                _at(example),
                f"intent {example.intent}: the example '{example.text}' holds {found}; "
                "training data holds no personal details: write it without them",
            )


def check_dialogue(project: Project) -> Iterator[Problem]:
    """Every intent used by a rule or story and answered; every response used."""
    responses = set((project.domain.get("responses") or {}).keys())
    forms = set((project.domain.get("forms") or {}).keys())
    actions = {str(name) for name in project.domain.get("actions") or []}
    answers = responses | forms | actions
    used, answered = set(), set()
    for _, content in [*project.rules, *project.stories]:
        for intent, replies in _turns(content):
            used.add(intent)
            if answers & set(replies):
                answered.add(intent)
    for intent in project.intents:
        if intent not in used:
            yield Problem(
                str(DOMAIN),
                f"intent {intent} is in no rule or story under {RULES_DIR}/ or {STORIES_DIR}/; "
                "add a rule that answers it",
            )
        elif intent not in answered:
            yield Problem(
                str(DOMAIN),
                f"intent {intent} is never answered: no rule or story follows it with a "
                "response (utter_...) or an action of domain.yml",
            )
    sent = {
        str(step["action"])
        for _, content in [*project.rules, *project.stories]
        for step in _steps(content)
        if "action" in step
    } | sent_outside_dialogue(project.domain, project.action_sources)
    for name in sorted(responses - sent):
        yield Problem(
            str(DOMAIN),
            f"the response {name} is never sent: no rule, story, form or action uses it; "
            "use it in a rule, or remove it",
        )


def check_test_stories(project: Project) -> Iterator[Problem]:
    """The test stories (tests/stories/) meet every intent."""
    met = {intent for _, content in project.test_stories for intent, _ in _turns(content)}
    for intent in project.intents:
        if intent not in met:
            yield Problem(
                str(TEST_STORIES_DIR),
                f"intent {intent} is in no test story; add a conversation using it",
            )


def check_held_out(project: Project) -> Iterator[Problem]:
    """The held-out set covers every intent, apart from the training data."""
    by_intent: Dict[str, List[Example]] = defaultdict(list)
    for example in project.held_out:
        by_intent[example.intent].append(example)
    for intent in project.learned_intents:
        count = len(by_intent.get(intent, []))
        if count < MIN_HELD_OUT:
            yield Problem(
                str(HELD_OUT),
                f"intent {intent} has {_count(count, 'held-out example')}; it needs at least "
                f"{MIN_HELD_OUT}, written apart from the training ones",
            )
    training = {_same_text(example.text): example for example in project.training}
    for example in project.held_out:
        copy = training.get(_same_text(example.text))
        if copy is not None:
            yield Problem(
                _at(example),
                f"intent {example.intent}: the held-out example '{example.text}' is also a "
                f"training example ({_at(copy)}), so it measures nothing: write another",
            )
    phrased_training = [e for e in project.training if e.intent not in VALUE_INTENTS]
    phrased_held_out = [e for e in project.held_out if e.intent not in VALUE_INTENTS]
    for held, trained in near_pairs(phrased_held_out, phrased_training):
        if _same_text(held.text) == _same_text(trained.text):
            continue
        yield Problem(
            _at(held),
            f"intent {held.intent}: the held-out example '{held.text}' is one word from the "
            f"training example '{trained.text}' ({_at(trained)}): write it apart",
        )
    values = {
        value
        for example in project.training
        if example.intent in VALUE_INTENTS
        for value in ANSWER_VALUE.findall(example.text)
    }
    for example in project.held_out:
        if example.intent not in VALUE_INTENTS:
            continue
        reused = sorted(values & set(ANSWER_VALUE.findall(example.text)))
        if reused:
            yield Problem(
                _at(example),
                f"intent {example.intent}: the held-out example '{example.text}' reuses "
                f"{', '.join(reused)} from the training data: use values of its own",
            )


def check_measuring_sets(project: Project) -> Iterator[Problem]:
    """No training example is a message of a measuring set (MEASURING_SETS)."""
    measured: Dict[Tuple[str, ...], List[Example]] = defaultdict(list)
    for example in project.measuring:
        measured[_plain(example.text)].append(example)
    for example in project.training:
        for copy in measured.get(_plain(example.text), []):
            yield Problem(
                _at(example),
                f"intent {example.intent}: the training example '{example.text}' is the "
                f"message '{copy.text}' of {copy.file} ({_at(copy)}), so that set measures "
                "nothing there: remove it from the training data or write it another way",
            )


CHECKS = (
    check_counts,
    check_duplicates,
    check_near_duplicates,
    check_privacy,
    check_dialogue,
    check_test_stories,
    check_held_out,
    check_measuring_sets,
)


def sent_outside_dialogue(domain: dict, action_sources: Iterable[str]) -> Set[str]:
    """Responses that forms ask, and that custom actions name in their code."""
    asked = {
        f"utter_ask_{slot}"
        for form in (domain.get("forms") or {}).values()
        for slot in (form or {}).get("required_slots") or []
    }
    named = {name for source in action_sources for name in RESPONSE_NAME.findall(source)}
    return asked | named


# Ofcom keeps 07700 900000 to 07700 900999 for drama: no one's number, so an example may
# show the shape of a phone number in a message ("ring me on 07700 900123").
FICTIONAL_PHONE = re.compile(r"(?:44|0)7700900\d{3}")


def personal_details(text: str) -> list:
    """The personal details bot.privacy finds in `text`, but for FICTIONAL_PHONE numbers."""
    return [span for span in find(text) if not _fictional(span)]


def _fictional(span) -> bool:
    """A phone number from Ofcom's range for drama (FICTIONAL_PHONE)."""
    digits = "".join(character for character in span.text if character.isdigit())
    return span.kind == "phone" and FICTIONAL_PHONE.fullmatch(digits) is not None


def words(text: str) -> Tuple[str, ...]:
    """The words of an example as the near-duplicate rule compares them: case and
    punctuation aside ("it's" is "its"; "broken,no" is two words)."""
    kept = []
    for character in text.casefold():
        if character in _APOSTROPHES:
            continue
        kept.append(" " if unicodedata.category(character).startswith("P") else character)
    return tuple("".join(kept).split())


_APOSTROPHES = frozenset("'\u2019\u02bc")


def near_pairs(
    first: Sequence[Example], second: Sequence[Example] | None = None
) -> List[Tuple[Example, Example]]:
    """Pairs that are the same but for one word substituted, added or removed.

    Within `first` (each pair once, the earlier first, and not the same text twice),
    or from `first` to `second`. The rule is NearIndex's.
    """
    pool = list(first if second is None else second)
    index = NearIndex(pool)
    pairs: List[Tuple[Example, Example]] = []
    for position, example in enumerate(first):
        for match in index.positions(example.text):
            if second is None and match <= position:
                continue
            other = pool[match]
            if second is None and _same_text(other.text) == _same_text(example.text):
                continue  # the same example twice: check_duplicates names it
            pairs.append((example, other))
    return pairs


class NearIndex:
    """Examples found by a text at most one word from theirs: a word substituted, added
    or removed. Two one-word messages ("yes", "GDPR") differ in everything they say, so
    a match counts only when one of the two has two words or more. Found through keys
    rather than by comparing every pair: a word replaced by a wildcard, or a word
    dropped, so that thousands of examples are checked at once; examples may be added
    as they are accepted (bot.trainer.fold)."""

    def __init__(self, examples: Iterable[Example] = ()) -> None:
        self._examples: List[Example] = []
        self._index: Dict[Tuple, List[int]] = defaultdict(list)
        for example in examples:
            self.add(example)

    def add(self, example: Example) -> None:
        for key in _keys(words(example.text), probe=False):
            self._index[key].append(len(self._examples))
        self._examples.append(example)

    def positions(self, text: str) -> List[int]:
        """The positions, in the order added, of the examples near `text`."""
        tokens = words(text)
        matches: Set[int] = set()
        for key in _keys(tokens, probe=True):
            matches.update(self._index.get(key, ()))
        return [
            match
            for match in sorted(matches)
            if max(len(tokens), len(words(self._examples[match].text))) >= 2
        ]


def _keys(tokens: Tuple[str, ...], probe: bool) -> Iterator[Tuple]:
    """Keys two texts share when they are at most one word apart.

    Equal or one substitution: a shared ("sub", i, tokens with word i wildcarded).
    One word added: the longer with a word dropped equals the shorter, both ways.
    """
    yield ("same", tokens)
    for i in range(len(tokens)):
        yield ("sub", i, tokens[:i] + ("*",) + tokens[i + 1 :])
        dropped = tokens[:i] + tokens[i + 1 :]
        # The probe's dropped form meets the indexed whole, and the indexed dropped
        # form meets the probe's whole.
        yield ("same", dropped) if probe else ("drop", dropped)
    if probe:
        yield ("drop", tokens)


def _steps(content: dict) -> Iterator[dict]:
    """Every step of every rule and story in a file."""
    for item in (content.get("rules") or []) + (content.get("stories") or []):
        for step in item.get("steps") or []:
            if isinstance(step, dict):
                yield step


def _turns(content: dict) -> Iterator[Tuple[str, List[str]]]:
    """Each user intent of rules and stories, with the actions that follow it."""
    for item in (content.get("rules") or []) + (content.get("stories") or []):
        intent: str | None = None
        replies: List[str] = []
        for step in item.get("steps") or []:
            if not isinstance(step, dict):
                continue
            if "intent" in step:
                if intent is not None:
                    yield intent, replies
                intent, replies = str(step["intent"]), []
            elif "action" in step and intent is not None:
                replies.append(str(step["action"]))
        if intent is not None:
            yield intent, replies


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _plain(text: str) -> Tuple[str, ...]:
    """The words, case and punctuation aside; a message of punctuation alone as written
    (only "???" is "???")."""
    return words(text) or ("", _same_text(text))


def _same_text(text: str) -> str:
    return " ".join(text.casefold().split())


def _at(example: Example) -> str:
    return f"{example.file}:{example.line}"


def _yaml_files(root: Path, folder: Path) -> List[Path]:
    return sorted(path.relative_to(root) for path in (root / folder).rglob("*.yml"))


def report(problems: Sequence[Problem]) -> str:
    """The problems as a trainer reads them, one a line, with a count at the end."""
    if not problems:
        return "The training data passes every check."
    lines = [str(problem) for problem in problems]
    noun = "problem" if len(problems) == 1 else "problems"
    lines.append(f"{len(problems)} {noun} to fix before training.")
    return "\n".join(lines)
