"""Security answers never reach the conversation record in clear (P4)."""

from bot.tenancy.masking import HIDDEN, mask_security_answers
from bot.tenancy.security_question import Sealer

SEALER = Sealer(Sealer.new_key())


def user(text, intent="inform"):
    return {
        "event": "user",
        "text": text,
        "parse_data": {"text": text, "intent": {"name": intent}, "entities": [{"value": text}]},
        "metadata": {"author_id": "a1"},
    }


def slot(name, value):
    return {"event": "slot", "name": name, "value": value}


ASKING_NAME = [
    {"event": "active_loop", "name": "identity_form"},
    slot("requested_slot", "security_name"),
    {"event": "action", "name": "action_listen"},
]


def test_a_reply_to_a_security_question_is_hidden_everywhere_in_the_event():
    events = [*ASKING_NAME, user("Margaret Thompson")]
    masked = mask_security_answers(events)[-1]
    assert masked["text"] == HIDDEN
    assert masked["parse_data"]["text"] == HIDDEN
    assert masked["parse_data"]["entities"] == []
    assert masked["parse_data"]["intent"] == {"name": "inform"}
    assert masked["metadata"] == {"author_id": "a1"}
    assert "Margaret" not in str(mask_security_answers(events))


def test_the_events_given_are_not_changed():
    events = [*ASKING_NAME, user("Margaret Thompson")]
    mask_security_answers(events)
    assert events[-1] == user("Margaret Thompson")


def test_a_reply_the_form_turned_down_keeps_its_text_for_staff():
    events = [
        *ASKING_NAME,
        user("water is pouring through my ceiling", "report_emergency"),
        {"event": "action_execution_rejected", "name": "identity_form"},
        {"event": "action", "name": "action_deactivate_loop"},
    ]
    assert mask_security_answers(events)[3]["text"] == "water is pouring through my ceiling"


def test_a_stop_keeps_its_text_for_staff():
    events = [*ASKING_NAME, user("never mind", "affirm"), slot("identity_status", "stopped")]
    assert mask_security_answers(events)[3]["text"] == "never mind"


def test_a_rejection_in_a_later_turn_does_not_unmask_an_earlier_answer():
    events = [
        *ASKING_NAME,
        user("Margaret Thompson"),
        slot("requested_slot", "security_date_of_birth"),
        user("help", "request_human"),
        {"event": "action_execution_rejected", "name": "identity_form"},
    ]
    masked = mask_security_answers(events)
    assert masked[3]["text"] == HIDDEN
    assert masked[5]["text"] == "help"


def test_messages_outside_the_security_questions_are_kept():
    events = [
        user("how much rent do i owe", "ask_rent_balance"),
        *ASKING_NAME,
        user("Margaret Thompson"),
        slot("requested_slot", None),
        {"event": "active_loop", "name": None},
        user("thanks", "thank"),
    ]
    texts = [e.get("text") for e in mask_security_answers(events) if e["event"] == "user"]
    assert texts == ["how much rent do i owe", HIDDEN, "thanks"]


def test_a_new_session_forgets_the_question():
    events = [*ASKING_NAME, {"event": "session_started"}, user("hello", "greet")]
    assert mask_security_answers(events)[-1]["text"] == "hello"


def test_security_slots_keep_only_sealed_values():
    sealed = SEALER.seal(["security_name", "margaret thompson"])
    events = [
        slot("security_name", "Margaret Thompson"),
        slot("security_name", sealed),
        slot("security_name", None),
        slot("association_name", "Example Homes"),
    ]
    assert [e["value"] for e in mask_security_answers(events)] == [
        HIDDEN,
        sealed,
        None,
        "Example Homes",
    ]
