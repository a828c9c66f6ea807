"""The domain keeps to the design: its intents, and responses that write no number.

The training data's own rules (counts, duplicates, near-duplicates, personal details,
rules and stories for every intent, the held-out set kept apart) are the data checks,
`python -m bot.trainer check`, tested in test_trainer_checks.py.
"""

import re
from pathlib import Path

import pytest
import yaml

from bot.association import slot_names
from bot.trainer import checks

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


def test_the_domain_declares_every_design_intent():
    assert DESIGN_INTENTS <= set(DOMAIN["intents"])


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
# Filled where a live service alert is mentioned (actions/service_alerts.py).
SERVICE_ALERT_VARIABLES = {"alert_title", "alert_message", "alert_until"}


def test_responses_use_only_slots_that_actions_fill():
    used = {slot for _, text in response_texts() for slot in re.findall(r"\{(\w+)\}", text)}
    filled = (
        HANDOFF_SLOTS
        | IDENTITY_SLOTS
        | DISCLOSURE_VARIABLES
        | REPAIR_VARIABLES
        | SERVICE_ALERT_VARIABLES
    )
    assert used <= set(slot_names()) | filled


def test_actions_fill_every_disclosure_variable():
    source = (ROOT / "actions" / "tenancy.py").read_text()
    assert all(f"{name}=" in source for name in DISCLOSURE_VARIABLES)


def test_a_service_alert_mention_fills_its_variables():
    source = (ROOT / "actions" / "service_alerts.py").read_text()
    assert all(f"{name}=" in source for name in SERVICE_ALERT_VARIABLES)


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


# --- The shape of the training data (issue: tenants write at length, and two needs at once)

# The short answers and pleasantries: no one writes them at length.
SHORT_INTENTS = {"greet", "goodbye", "thank", "affirm", "deny", "inform"}


def _examples():
    project, unreadable = checks.load(ROOT)
    assert project is not None, unreadable
    return [(example.intent, example.text) for example in project.training]


def test_every_intent_a_tenant_writes_at_length_has_long_examples():
    """At least 10 examples of 40-120 words in each intent but the short answers."""
    long = {}
    for intent, text in _examples():
        if 40 <= len(text.split()) <= 120:
            long[intent] = long.get(intent, 0) + 1
    intents = {name for name in DOMAIN["intents"] if name != "send_attachment"}
    thin = {name: long.get(name, 0) for name in intents - SHORT_INTENTS if long.get(name, 0) < 10}
    assert thin == {}


def test_two_needs_in_one_message_are_an_intent_rasa_splits():
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    tokenizer = pipeline[0]
    assert tokenizer.get("intent_tokenization_flag") is True
    assert tokenizer.get("intent_split_symbol") == "+"
    multi = [text for intent, text in _examples() if intent == "report_repair+make_complaint"]
    assert len(multi) >= 30
    assert "report_repair+make_complaint" in DOMAIN["intents"]
