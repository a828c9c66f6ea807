"""The data check fails on every Rasa warning except responses sent outside dialogue."""

from scripts.validate_data import sent_outside_dialogue, unexpected_warnings
from tests.helpers import ROOT, domain

OUTPUT = """
io.py:100: UserWarning: The utterance 'utter_ask_security_name' is not used in any story or rule.
io.py:100: UserWarning: The utterance 'utter_rent_balance' is not used in any story or rule.
io.py:100: UserWarning: The utterance 'utter_forgotten' is not used in any story or rule.
io.py:100: UserWarning: The intent 'greet' is not used in any story or rule.
INFO rasa.validator - Story structure validation...
"""


def test_only_responses_sent_by_forms_or_actions_may_go_unused():
    expected = sent_outside_dialogue(
        {"forms": {"f": {"required_slots": ["security_name"]}}},
        ['dispatcher.utter_message(response="utter_rent_balance")'],
    )
    assert unexpected_warnings(OUTPUT, expected) == [
        "The utterance 'utter_forgotten' is not used in any story or rule.",
        "The intent 'greet' is not used in any story or rule.",
    ]


def test_every_response_the_actions_send_is_in_the_domain():
    sources = [path.read_text() for path in (ROOT / "actions").glob("*.py")]
    named = sent_outside_dialogue({}, sources)
    assert named and named <= set(domain()["responses"])
