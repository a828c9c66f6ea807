"""The training data, the held-out set and the domain keep to the project's rules."""

import itertools
import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from bot.association import slot_names
from scripts.validate_data import SET_BY_CONNECTORS

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())

# DESIGN.md: these names are an interface; evaluations use them.
DESIGN_INTENTS = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "ask_opening_hours",
    "request_human",
    "report_repair",
    "report_emergency",
    "ask_repair_status",
    "ask_rent_balance",
    "report_antisocial_behaviour",
    "make_complaint",
    "give_compliment",
    "ask_privacy",
    "ask_homes_available",
    "ask_job_vacancies",
    "abuse",
    "out_of_scope",
}
# Pairs that are easy to confuse get more examples than the floor of 30.
CONFUSABLE = {
    "report_repair",
    "report_emergency",
    "ask_repair_status",
    "make_complaint",
    "abuse",
    "request_human",
    "ask_rent_balance",
    "ask_privacy",
}


def nlu_examples(path):
    """(intent, example) pairs of one Rasa NLU file."""
    for block in yaml.safe_load(path.read_text()).get("nlu", []):
        for line in block["examples"].splitlines():
            if line.strip().startswith("- "):
                yield block["intent"], line.strip()[2:].strip()


def load(paths):
    by_intent = defaultdict(list)
    for path in paths:
        for intent, text in nlu_examples(path):
            by_intent[intent].append(text)
    return by_intent


TRAINING_FILES = sorted((ROOT / "data" / "nlu").glob("*.yml"))
TRAINING = load(TRAINING_FILES)
HELD_OUT = load([ROOT / "tests" / "nlu" / "held_out.yml"])


def words(text):
    return text.lower().split()


def within_one_word(a, b):
    """Whether two token lists differ by at most one substituted, added or removed word.

    Two one-word messages ("yes", "GDPR") differ in everything they say, so the rule
    is about messages of two words or more.
    """
    if max(len(a), len(b)) < 2:
        return a == b
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    if abs(len(a) - len(b)) != 1:
        return False
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def near_pairs(texts_a, texts_b=None):
    """Pairs (from one list, or across two) that differ by one word or less."""
    pairs = (
        itertools.combinations(texts_a, 2)
        if texts_b is None
        else itertools.product(texts_a, texts_b)
    )
    found = []
    for x, y in pairs:
        wx, wy = words(x), words(y)
        if abs(len(wx) - len(wy)) <= 1 and within_one_word(wx, wy):
            found.append((x, y))
    return found


def test_the_domain_declares_every_design_intent():
    assert DESIGN_INTENTS <= set(DOMAIN["intents"])


def test_every_intent_has_training_examples_and_no_stray_intents():
    # A connector sets its own intents (a photo alone: no words to learn from).
    assert set(TRAINING) == set(DOMAIN["intents"]) - SET_BY_CONNECTORS


@pytest.mark.parametrize("intent", sorted(DESIGN_INTENTS))
def test_enough_examples_per_intent(intent):
    floor = 45 if intent in CONFUSABLE else 30
    assert len(TRAINING[intent]) >= floor


def test_one_topic_per_file_each_intent_in_one_file():
    homes = defaultdict(set)
    for path in TRAINING_FILES:
        for intent, _ in nlu_examples(path):
            homes[intent].add(path.name)
    assert {i: f for i, f in homes.items() if len(f) > 1} == {}


# Answers to the security questions differ in their values ("ten 690213", "ten 905163"),
# which the one-word rule cannot see; they are held to no exact repeats instead.
VALUE_INTENTS = {"inform"}


def phrased(examples):
    return [
        text for intent, texts in examples.items() if intent not in VALUE_INTENTS for text in texts
    ]


def test_no_two_training_examples_differ_by_one_word_or_less():
    assert near_pairs(phrased(TRAINING)) == []


@pytest.mark.parametrize("intent", sorted(VALUE_INTENTS))
def test_answers_are_not_repeated_and_held_out_values_are_new(intent):
    training = [text.lower() for text in TRAINING[intent]]
    assert len(training) == len(set(training)) >= 100
    values = set(re.findall(r"\d{6}|\d+[/.-]\d+[/.-]\d+", " ".join(training)))
    for text in HELD_OUT[intent]:
        assert text.lower() not in training, text
        assert not values & set(re.findall(r"\d{6}|\d+[/.-]\d+[/.-]\d+", text)), text


def test_held_out_examples_cover_every_intent():
    assert set(HELD_OUT) == set(DOMAIN["intents"]) - SET_BY_CONNECTORS
    assert all(len(texts) >= 10 for texts in HELD_OUT.values())


def test_held_out_examples_are_kept_out_of_training():
    assert near_pairs(phrased(HELD_OUT), phrased(TRAINING)) == []


def steps_intents(folder, key):
    found = set()
    for path in folder.glob("*.yml"):
        for item in yaml.safe_load(path.read_text()).get(key, []):
            found.update(step["intent"] for step in item["steps"] if "intent" in step)
    return found


def test_rules_and_stories_cover_every_intent():
    covered = steps_intents(ROOT / "data" / "rules", "rules") | steps_intents(
        ROOT / "data" / "stories", "stories"
    )
    assert set(DOMAIN["intents"]) - covered == set()


def test_test_stories_cover_every_intent():
    covered = steps_intents(ROOT / "tests" / "stories", "stories")
    assert set(DOMAIN["intents"]) - covered == set()


def response_texts():
    for name, variations in DOMAIN["responses"].items():
        for variation in variations:
            yield name, variation["text"]


# Filled by the handoff actions from the monitoring calendar.
HANDOFF_SLOTS = {"handoff_case", "handoff_team", "handoff_reply_by", "monitoring_resumes"}


# Filled by the identity actions (actions/identity.py, actions/tenancy.py).
IDENTITY_SLOTS = {"identity_locked_until"}
DISCLOSURE_VARIABLES = {"rent_balance", "rent_as_of", "last_payment", "repairs_list"}
# Filled by the repair triage (actions/repairs.py): the kind of a photo sent.
REPAIR_VARIABLES = {"photo_kind"}


def test_responses_use_only_slots_that_actions_fill():
    used = {slot for _, text in response_texts() for slot in re.findall(r"\{(\w+)\}", text)}
    filled = HANDOFF_SLOTS | IDENTITY_SLOTS | DISCLOSURE_VARIABLES | REPAIR_VARIABLES
    assert used <= set(slot_names()) | filled


def test_actions_fill_every_disclosure_variable():
    source = (ROOT / "actions" / "tenancy.py").read_text()
    assert all(f"{name}=" in source for name in DISCLOSURE_VARIABLES)


def test_the_repair_triage_fills_its_variables():
    source = (ROOT / "actions" / "repairs.py").read_text()
    assert all(f"{name}=" in source for name in REPAIR_VARIABLES)


def test_the_domain_declares_every_association_slot():
    assert set(slot_names()) <= set(DOMAIN["slots"])


ANSWER_EXAMPLES = ("TEN-123456", "12/03/1985", "12 March 1985", "10 High Street, AB1 2CD")


@pytest.mark.parametrize(("name", "text"), list(response_texts()))
def test_no_response_writes_a_number_or_address_itself(name, text):
    """The association's numbers and addresses live in association.yml only.

    The shapes that show tenants how to write an answer are examples, not numbers.
    """
    for example in ANSWER_EXAMPLES:
        text = text.replace(example, "")
    assert not re.search(r"\d{3}|https?://|www\.|\.example", text), name
