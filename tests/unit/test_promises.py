"""Nothing promised that nobody does: every promising text is listed, with its doer.

The texts are domain.yml's responses, what the product says in code (the string
constants of bot/ and actions/; docstrings and regular expressions aside) and the
canned replies staff send from the console (association.yml). A sentence
that promises an action (PROMISE: "I've passed", "we'll", "will reply", "aim to",
"flagged", "tell us here"...) must be in PROMISES, which names:

- the action, form, response or function that does it (it must exist);
- how the text reaches it: the rules and stories that send a response run the action,
  or the code that sends a text calls, step by step, the function that does it;
- the test that proves it is done (it must exist).

A new promising text that is not listed fails here: list it with the code behind it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Dict, Iterator, List, Sequence, Tuple

import pytest
import yaml

from bot.association import load_association
from bot.events import InboundEvent
from bot.handoff.handoffs import HandoffRepository, Reason
from bot.outbox import Outbox
from bot.screening.coordinator import Intent, Screening
from bot.store import connect
from tests.helpers import CALENDAR, ROOT, UK

PROMISE = re.compile(
    r"\b(?:i[’']ve (?:also )?(?:passed|flagged)|passed (?:it|them|this|your|what|on)"
    r"|pass (?:it|them|this|that|your|what)\b|(?:we|i|they|who)[’']ll|(?:we|i|they) will"
    r"|will (?:reply|be in touch|get back|call|contact|look|pass|help|answer|see|check"
    r"|book|arrange|review|read)|aims? to|added your|flagged|kept your|we[’']ve sent"
    r"|look(?:s|ing)? into|tell (?:me|us)(?: about it)? here)",
    re.IGNORECASE,
)
# "Sorry, I couldn't pass your conversation to our team": no promise.
NEGATED = re.compile(r"(?:n[’']t|\bnot|\bnever)\s+$", re.IGNORECASE)
SENTENCE = re.compile(r"(?<=[.!?:])\s+|\n+")


# How a text reaches what keeps its promise ---------------------------------------------


@dataclass(frozen=True)
class InEveryRule:
    """Every rule and story that sends the response also runs the doer."""


@dataclass(frozen=True)
class Accepted:
    """An offer: a rule or story runs the doer after the response (the tenant said yes)."""


@dataclass(frozen=True)
class FormDone:
    """The response is `form`'s question; the rule that completes the form runs the doer."""

    form: str


@dataclass(frozen=True)
class OnIntent:
    """The tenant is told to ask: a rule or story on `intent` runs the doer."""

    intent: str


@dataclass(frozen=True)
class WhenSlot:
    """The text is the variation said when `slot` is `value`; a rule or story held to that
    value (its condition or steps) runs the doer."""

    slot: str
    value: str


@dataclass(frozen=True)
class Uses:
    """`caller` ("module:Qualified.name") calls something named `callee`, or passes it on."""

    caller: str
    callee: str


@dataclass(frozen=True)
class Promise:
    """One promising text and what keeps it.

    Attributes:
        says: a response name, or "path.py::Qualified.name" of the code whose text it is.
        words: a fragment of the promising sentence, enough to tell it apart.
        done_by: an action or form name (a glob: "action_hand_off_*"), a response, or a
            function "module:Qualified.name".
        reach: how the text gets to the doer.
        proven_by: "tests/...py::test_name", the test that shows it done.
    """

    says: str
    words: str
    done_by: str
    reach: Tuple[object, ...]
    proven_by: str


HANDOFF_TEST = "tests/actions/test_handoff.py::"
FEEDBACK_TEST = "tests/actions/test_feedback.py::"
REPAIR_AND_COMPLAINT_TEST = (
    "tests/actions/test_repair_and_complaint.py::test_the_complaint_goes_to_customer_experience"
    "_and_the_tenant_is_told_when"
)
FOLLOW_UP_TEST = "tests/unit/test_follow_ups.py::"
SCREENING_TEST = "tests/unit/test_screening.py::"
E2E = "tests/e2e/test_promises.py::"
THREADS = "bot/screening/public_threads.py::"
SCREENING = "bot.screening.coordinator:Screening"
RUNTIME = "bot.channels.runtime:ChannelRuntime"
WORDING = "bot.screening.public_threads:wording"
# The private message is sent, and the dialogue answers what the tenant writes there.
DIALOGUE_ANSWERS = (
    Uses(f"{SCREENING}._take_down_or_move", "wording"),
    Uses(f"{SCREENING}._take_down_or_move", "private_call"),
    Uses(f"{RUNTIME}._handle", "screen"),
    Uses(f"{RUNTIME}._handle", "on_new_message"),
)
PASSES_ON = (
    Uses(f"{SCREENING}._take_down_or_move", "wording"),
    Uses(f"{SCREENING}._take_down_or_move", "awaits"),
    Uses(f"{SCREENING}._take_down_or_move", "promise"),
    Uses(f"{SCREENING}.screen", "_pass_on"),
    Uses(f"{SCREENING}._pass_on", "open"),
)
HANDS_OVER = (
    Uses(f"{SCREENING}._take_down_or_move", "wording"),
    Uses(f"{SCREENING}._take_down_or_move", "_handoff"),
    Uses(f"{SCREENING}._handoff", "open"),
)
SENDS_PRIVATELY = (
    Uses(WORDING, "_move_private"),
    Uses(f"{SCREENING}._take_down_or_move", "wording"),
    Uses(f"{SCREENING}._take_down_or_move", "private_call"),
    Uses(f"{SCREENING}._take_down_or_move", "_enqueue"),
)
X_EMERGENCY_TEST = "tests/unit/test_x_emergency.py::"
THREADS_TEST = "tests/unit/test_threads.py::"
REPAIRS_TEST = "tests/actions/test_repairs.py::"
REPAIR_E2E = (
    "tests/e2e/test_repair_triage.py::test_a_leak_reported_in_private_becomes_a_repair_request_"
    "for_repairs"
)
REPAIRS = "actions.repairs"
# The request is stored and handed to Repairs (in a thread: the store blocks).
RECORDS_REPAIR = (
    Uses(f"{REPAIRS}:ActionRecordRepairRequest.run", "_record"),
    Uses(f"{REPAIRS}:ActionRecordRepairRequest._record", "open"),
)
# A waiting tenant's message goes into their conversation, paused, and is noted.
WAITING_NOTES = (
    "WAITING_NOTE",
    "WAITING_NOTE_OUT_OF_HOURS",
    "WAITING_NOTE_LATE",
    "WAITING_NOTE_LATE_OUT_OF_HOURS",
)
WAITING = (
    Uses(f"{RUNTIME}._handle", "_waiting_handoff"),
    Uses(f"{RUNTIME}._waiting_handoff", "handoff_for"),
    Uses(f"{RUNTIME}._handle", "on_new_message"),
    Uses(f"{RUNTIME}._handle", "_note_waiting"),
    Uses(f"{RUNTIME}._note_waiting", "note"),
    Uses("bot.handoff.waiting:WaitingNotes.note", "waiting_note"),
)

PROMISES = (
    # The handoff actions store the handoff, with its deadline, before utter_handoff.
    Promise(
        "utter_handoff",
        "I've passed your conversation",
        "action_hand_off_*",
        (InEveryRule(),),
        HANDOFF_TEST + "test_in_hours_the_tenant_is_told_the_reply_by_time",
    ),
    Promise(
        "utter_handoff",
        "reply here by",
        "action_hand_off_*",
        (InEveryRule(),),
        HANDOFF_TEST + "test_in_hours_the_tenant_is_told_the_reply_by_time",
    ),
    Promise(
        "utter_handoff",
        "flagged",
        "action_hand_off_*",
        (InEveryRule(),),
        HANDOFF_TEST + "test_an_emergency_is_urgent_at_any_hour",
    ),
    Promise(
        "utter_complaint",
        "who look into them and pass them",
        "action_hand_off_complaint",
        (InEveryRule(),),
        FEEDBACK_TEST + "test_a_complaint_after_a_compliment_gets_a_reply_by_time_of_its_own",
    ),
    # A repair with a complaint: the action that says it has stored the complaint's
    # handoff, with its deadline, first (actions/handoff.py).
    Promise(
        "utter_complaint_passed_repair_next",
        "I've passed your complaint",
        "action_hand_off_complaint_with_repair",
        (
            Uses("actions.handoff:HandOff.run", "_record"),
            Uses("actions.handoff:HandOff._record", "open"),
            Uses("actions.handoff:HandOff.run", "tell"),
        ),
        REPAIR_AND_COMPLAINT_TEST,
    ),
    Promise(
        "utter_complaint_passed_repair_next",
        "aim to reply here by",
        "action_hand_off_complaint_with_repair",
        (
            Uses("actions.handoff:HandOff.run", "_record"),
            Uses("actions.handoff:HandOff.run", "notice"),
            Uses("actions.handoff:HandOff.run", "tell"),
        ),
        REPAIR_AND_COMPLAINT_TEST,
    ),
    Promise(
        "utter_rent_info",
        "I'll ask you three security questions first",
        "action_tenancy_gate",
        (OnIntent("ask_rent_balance"),),
        "tests/actions/test_identity.py::test_an_unverified_sender_is_sent_to_the_questions_from_"
        "the_first",
    ),
    Promise(
        "utter_compliment",
        "pass them on to the people involved",
        "action_record_compliment",
        (InEveryRule(),),
        FEEDBACK_TEST + "test_a_compliment_goes_to_customer_experience_with_who_it_is_about",
    ),
    Promise(
        "utter_ask_antisocial_behaviour_account",
        "I'll pass what you tell me to our Neighbourhoods team",
        "action_hand_off_antisocial_behaviour",
        (FormDone("antisocial_behaviour_form"),),
        FEEDBACK_TEST + "test_the_tenants_account_of_antisocial_behaviour_goes_to_neighbourhoods",
    ),
    Promise(
        "utter_ask_antisocial_behaviour_account",
        "Tell me here what's been happening",
        "action_hand_off_antisocial_behaviour",
        (FormDone("antisocial_behaviour_form"),),
        E2E + "test_antisocial_behaviour_in_private_is_asked_about_and_reaches_neighbourhoods",
    ),
    Promise(
        "utter_attachment",
        "pass it to a member of our team",
        "action_hand_off_request_human",
        (Accepted(),),
        "tests/e2e/test_nothing_lost.py::test_a_messenger_attachment_alone_is_answered_and_a_"
        "person_offered",
    ),
    Promise(
        "utter_tenancy_in_private",
        "I'll help you there",
        "action_tenancy_gate",
        (OnIntent("ask_rent_balance"), OnIntent("ask_repair_status")),
        "tests/actions/test_identity.py::test_an_unverified_sender_is_sent_to_the_questions_from_"
        "the_first",
    ),
    Promise(
        "utter_inform_without_question",
        "I'll ask for the details I need",
        "action_tenancy_gate",
        (OnIntent("ask_rent_balance"), OnIntent("ask_repair_status")),
        "tests/actions/test_identity.py::test_an_unverified_sender_is_sent_to_the_questions_from_"
        "the_first",
    ),
    # P12: a message the assistant could not answer is kept, tried again, and at worst
    # handed to people.
    Promise(
        "bot/channels/runtime.py::APOLOGY",
        "I've kept your message and will reply",
        f"{SCREENING}.hand_over_set_aside",
        (
            Uses(f"{RUNTIME}._after_failed_actions", "APOLOGY"),
            Uses(f"{RUNTIME}._after_failed_actions", "postpone"),
            Uses(f"{RUNTIME}._try_again_later", "_hand_over_set_aside"),
            Uses(f"{RUNTIME}._hand_over_set_aside", "hand_over_set_aside"),
        ),
        "tests/server/test_set_aside.py::test_a_message_set_aside_is_handed_to_people_with_one_"
        "apology",
    ),
    # What a private reply asked for is passed on (bot/screening/follow_ups.py).
    Promise(
        "bot/screening/follow_ups.py::passed_on_words",
        "I've passed what you've said",
        f"{SCREENING}._pass_on",
        (*PASSES_ON, Uses(f"{SCREENING}._pass_on", "passed_on_words")),
        FOLLOW_UP_TEST + "test_the_explanation_after_a_post_hidden_for_naming_staff_goes_to_"
        "customer_experience",
    ),
    Promise(
        THREADS + "_warning",
        "tell us here and we'll pass it on",
        f"{SCREENING}._pass_on",
        (Uses(WORDING, "_warning"), *PASSES_ON),
        E2E + "test_a_post_hidden_for_naming_staff_then_explained_in_private_reaches_customer_"
        "experience",
    ),
    Promise(
        THREADS + "_help",
        "Tell me here what's been happening",
        f"{SCREENING}._pass_on",
        (Uses("bot.screening.public_threads:_move_private", "_help"), *PASSES_ON),
        E2E + "test_antisocial_behaviour_moved_to_private_is_told_there_and_reaches_neighbourhoods",
    ),
    # A civil complaint and a request for a person are handed over as they are moved (P6).
    Promise(
        THREADS + "_customer_experience",
        "reply to you here by",
        f"{SCREENING}._handoff",
        (Uses("bot.screening.public_threads:_warning", "_customer_experience"), *HANDS_OVER),
        SCREENING_TEST + "test_a_civil_complaint_hidden_for_naming_staff_goes_to_customer_"
        "experience",
    ),
    # A member of our team (a request for a person), or Customer Experience (a complaint).
    Promise(
        THREADS + "_help",
        "reply to you here",
        f"{SCREENING}._handoff",
        (Uses("bot.screening.public_threads:_move_private", "_help"), *HANDS_OVER),
        "tests/unit/test_promises.py::test_a_public_request_for_a_person_is_handed_over",
    ),
    Promise(
        THREADS + "_move_private",
        "so we can look into it with you",
        f"{SCREENING}._handoff",
        (Uses(WORDING, "_move_private"), *HANDS_OVER),
        SCREENING_TEST + "test_a_negative_weekend_comment_stays_up_and_is_due_first_thing_monday",
    ),
    Promise(
        THREADS + "_elsewhere",
        "So that we can look into it with you",
        f"{SCREENING}._handoff",
        (Uses(WORDING, "_elsewhere"), *HANDS_OVER),
        "tests/unit/test_youtube.py::test_an_unhappy_comment_is_answered_in_public_and_handed_to"
        "_people",
    ),
    # The private message is sent in the same step as the public acknowledgement.
    Promise(
        THREADS + "_move_private",
        "We've sent you a private message",
        "bot.platforms.kit:PlatformKit.private_call",
        SENDS_PRIVATELY,
        SCREENING_TEST + "test_a_tenancy_question_in_public_is_acknowledged_and_moved_to_private",
    ),
    Promise(
        THREADS + "_move_private",
        "We'll be in touch by direct message",
        "bot.platforms.kit:PlatformKit.private_call",
        SENDS_PRIVATELY,
        SCREENING_TEST + "test_an_x_reply_to_the_account_is_hidden_and_the_author_sent_a_dm",
    ),
    # Help offered in private is the dialogue's: it answers every private message.
    Promise(
        THREADS + "wording",
        "we'll help",
        f"{RUNTIME}._handle",
        DIALOGUE_ANSWERS,
        E2E + "test_a_compliment_is_passed_on_and_the_tenant_is_still_answered",
    ),
    Promise(
        THREADS + "wording",
        "We'll help you by direct message",
        f"{RUNTIME}._handle",
        DIALOGUE_ANSWERS,
        E2E + "test_a_compliment_is_passed_on_and_the_tenant_is_still_answered",
    ),
    Promise(
        THREADS + "_warning",
        "tell us about it here",
        f"{RUNTIME}._handle",
        (Uses(WORDING, "_warning"), *DIALOGUE_ANSWERS),
        E2E + "test_a_compliment_is_passed_on_and_the_tenant_is_still_answered",
    ),
    Promise(
        THREADS + "_help",
        "Ask us here and we'll answer",
        f"{RUNTIME}._handle",
        (Uses("bot.screening.public_threads:_move_private", "_help"), *DIALOGUE_ANSWERS),
        E2E + "test_a_compliment_is_passed_on_and_the_tenant_is_still_answered",
    ),
    Promise(
        THREADS + "_help",
        "Tell me here what's wrong and I'll help",
        "utter_ask_is_emergency",
        (
            Uses("bot.screening.public_threads:_move_private", "_help"),
            OnIntent("report_repair"),
            *DIALOGUE_ANSWERS,
        ),
        "tests/stories/test_repairs.yml",
    ),
    Promise(
        THREADS + "_help",
        "I'll ask three quick security questions",
        "action_tenancy_gate",
        (
            Uses("bot.screening.public_threads:_move_private", "_help"),
            OnIntent("ask_rent_balance"),
            OnIntent("ask_repair_status"),
            *DIALOGUE_ANSWERS,
        ),
        "tests/actions/test_identity.py::test_an_unverified_sender_is_sent_to_the_questions_from_"
        "the_first",
    ),
    # An emergency on X (P2): the numbers in the post, the rest by DM in the same step,
    # and the handoff raised to urgent.
    Promise(
        THREADS + "_numbers_first",
        "We'll be in touch by direct message",
        "bot.platforms.kit:PlatformKit.private_call",
        (Uses(WORDING, "_numbers_first"), *SENDS_PRIVATELY),
        X_EMERGENCY_TEST
        + "test_an_emergency_on_x_gets_every_number_in_one_post_and_the_rest_by_dm",
    ),
    Promise(
        THREADS + "_numbers_first",
        "flagged your message as urgent",
        f"{SCREENING}._handoff",
        (Uses(WORDING, "_numbers_first"), *HANDS_OVER),
        X_EMERGENCY_TEST
        + "test_an_emergency_on_x_gets_every_number_in_one_post_and_the_rest_by_dm",
    ),
    Promise(
        THREADS + "_numbers_first",
        "We've flagged this as urgent",
        f"{SCREENING}._handoff",
        (Uses(WORDING, "_numbers_first"), *HANDS_OVER),
        X_EMERGENCY_TEST + "test_an_emergency_while_waiting_for_a_person_on_x_is_raised_to_urgent",
    ),
    # The holding message (P3) sent from the console: the handoff stays open with its
    # reply-by time, so the full answer is still due from the team.
    Promise(
        "association.yml::canned_replies",
        "We're looking into this for you",
        "bot.handoff.desk:StaffDesk.reply",
        (
            Uses("bot.console.queue_pages:routes", "chosen_reply"),
            Uses("bot.console.queue_pages:routes", "reply"),
        ),
        "tests/server/test_console_queue.py::test_the_holding_message_is_a_canned_reply_that_"
        "acknowledges_without_answering",
    ),
    # A tenant writing while they wait (P3): the message is kept in their conversation,
    # which staff read in the handoff's thread; the time is the handoff's own.
    *(
        Promise(
            f"bot/handoff/waiting.py::{note}",
            "I've added your message for our team",
            "bot.handoff.threads:read_thread",
            (*WAITING, Uses("bot.handoff.waiting:waiting_note", note)),
            "tests/e2e/test_one_thread.py::test_a_complaint_on_the_page_then_a_messenger_"
            "message_is_one_silent_thread",
        )
        for note in WAITING_NOTES
    ),
    *(
        Promise(
            f"bot/handoff/waiting.py::{note}",
            words,
            "bot.handoff.handoffs:HandoffRepository.queue",
            (
                *WAITING,
                Uses("bot.handoff.waiting:WaitingNotes.handoff_for", "open_for"),
                Uses("bot.handoff.waiting:waiting_note", "reply_by"),
                Uses("bot.handoff.waiting:waiting_note", note),
            ),
            THREADS_TEST + proof,
        )
        for note, words, proof in (
            (
                "WAITING_NOTE",
                "aim to reply by",
                "test_a_waiting_tenant_is_told_once_their_message_was_added_and_by_when",
            ),
            (
                "WAITING_NOTE_OUT_OF_HOURS",
                "aim to reply by",
                "test_out_of_hours_the_note_says_when_the_team_is_back",
            ),
            (
                "WAITING_NOTE_LATE",
                "reply as soon as they can",
                "test_past_the_reply_by_time_the_note_promises_no_time_gone_by",
            ),
            (
                "WAITING_NOTE_LATE_OUT_OF_HOURS",
                "reply as soon as they can",
                "test_past_the_reply_by_time_the_note_promises_no_time_gone_by",
            ),
        )
    ),
    # A repair reported in private: triaged, then the security questions, then the
    # request and a handoff to Repairs, with the time from the handoff (P3, P4).
    Promise(
        "utter_repair_triage_start",
        "I'll ask you four quick questions",
        "repair_form",
        (InEveryRule(),),
        REPAIR_E2E,
    ),
    Promise(
        "utter_security_check_first",
        "Before I pass it to our Repairs team",
        "action_record_repair_request",
        (WhenSlot("tenancy_question", "repair_request"),),
        REPAIR_E2E,
    ),
    Promise(
        "utter_repair_photo_received",
        "I'll tell our Repairs team with your report",
        "action_record_repair_request",
        (
            Uses(f"{REPAIRS}:ValidateRepairForm.run", "add"),
            Uses(f"{REPAIRS}:ActionRecordRepairRequest.run", "from_dict"),
            *RECORDS_REPAIR,
            Uses(f"{REPAIRS}:ActionRecordRepairRequest._record", "details"),
        ),
        REPAIR_E2E,
    ),
    Promise(
        "utter_repair_request_passed",
        "I've passed your repair",
        "action_record_repair_request",
        RECORDS_REPAIR,
        REPAIRS_TEST
        + "test_verified_the_request_is_recorded_and_handed_to_repairs_with_its_details",
    ),
    Promise(
        "utter_repair_request_passed",
        "aim to reply here by",
        "action_record_repair_request",
        (*RECORDS_REPAIR, Uses(f"{REPAIRS}:ActionRecordRepairRequest.run", "notice")),
        REPAIRS_TEST
        + "test_verified_the_request_is_recorded_and_handed_to_repairs_with_its_details",
    ),
    # People agree the appointment; the assistant's part is the handoff and the reply.
    Promise(
        "utter_repair_request_passed",
        "they'll agree the appointment with you here",
        "bot.handoff.desk:StaffDesk.reply",
        RECORDS_REPAIR,
        "tests/server/test_staff_api.py::test_a_reply_goes_to_messenger_as_staff_and_"
        "acknowledges_the_handoff",
    ),
    Promise(
        "utter_repair_request_passed_unverified",
        "who'll check who you are before booking anything",
        "action_record_repair_request",
        RECORDS_REPAIR,
        REPAIRS_TEST + "test_a_slot_saying_verified_without_a_verification_records_no_tenancy",
    ),
    Promise(
        "utter_repair_request_passed_unverified",
        "aim to reply here by",
        "action_record_repair_request",
        (*RECORDS_REPAIR, Uses(f"{REPAIRS}:ActionRecordRepairRequest.run", "notice")),
        REPAIRS_TEST + "test_not_verified_the_report_is_not_lost_it_goes_to_repairs_unverified",
    ),
    # P11: a low rating with words, passed to Customer Experience as it is read.
    Promise(
        "bot/feedback/surveys.py::THANKS_PASSED_ON",
        "I've passed what you said to our Customer Experience team",
        "bot.handoff.service:HandoffService.open",
        (
            Uses(f"{RUNTIME}._handle", "_answered_survey"),
            Uses(f"{RUNTIME}._answered_survey", "read"),
            Uses("bot.feedback.surveys:SurveyDesk.read", "open"),
            Uses("bot.feedback.surveys:SurveyDesk.read", "THANKS_PASSED_ON"),
        ),
        "tests/server/test_surveys.py::test_a_rating_of_1_with_words_goes_to_customer_experience",
    ),
)


# Reading the texts ------------------------------------------------------------------


def promising_sentences(text: str) -> List[str]:
    """The sentences of `text` that promise an action."""
    found = []
    for sentence in (s.strip() for s in SENTENCE.split(text)):
        for match in PROMISE.finditer(sentence):
            if not NEGATED.search(sentence[: match.start()]):
                found.append(sentence)
                break
    return found


def response_texts(domain: dict) -> Iterator[Tuple[str, str]]:
    """(response name, text) for every variation of every response."""
    for name, variations in domain["responses"].items():
        for variation in variations:
            yield name, variation["text"]


def canned_texts(root: Path) -> Iterator[Tuple[str, str]]:
    """("association.yml::canned_replies", text) for each canned reply, filled in as staff
    send it: what it says is said to the tenant as much as a response is."""
    for reply in load_association(root / "association.yml").canned_replies:
        yield "association.yml::canned_replies", reply.text


def code_texts(root: Path) -> Iterator[Tuple[str, str]]:
    """("path.py::Qualified.name", text) for the string constants the product says.

    An f-string's values read as "{}". Docstrings and regular expressions are not said.
    """
    for path in sorted(
        [*root.joinpath("bot").rglob("*.py"), *root.joinpath("actions").rglob("*.py")]
    ):
        tree = ast.parse(path.read_text())
        yield from _said(tree, tree, path.relative_to(root).as_posix(), "", _docstrings(tree))


def _docstrings(tree: ast.AST) -> set:
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def _said(node: ast.AST, tree, path: str, where: str, docs: set) -> Iterator[Tuple[str, str]]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        where = f"{where}.{node.name}" if where else node.name
    elif isinstance(node, ast.Assign) and not where and isinstance(node.targets[0], ast.Name):
        where = node.targets[0].id
    if isinstance(node, ast.JoinedStr):
        parts = (v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        yield f"{path}::{where}", "".join(parts)
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if id(node) not in docs and "(?" not in node.value and "\\b" not in node.value:
            yield f"{path}::{where}", node.value
        return
    for child in ast.iter_child_nodes(node):
        yield from _said(child, tree, path, where, docs)


def promising_texts(texts) -> Dict[Tuple[str, str], str]:
    """{(where, sentence): where} for every promising sentence of `texts`."""
    return {(where, s): where for where, text in texts for s in promising_sentences(text)}


def unlisted(texts, promises: Sequence[Promise]) -> List[Tuple[str, str]]:
    """The promising sentences no listed promise covers."""
    return sorted(
        (where, sentence)
        for where, sentence in promising_texts(texts)
        if not any(p.says == where and p.words.lower() in sentence.lower() for p in promises)
    )


# The dialogue's data -----------------------------------------------------------------


def _domain() -> dict:
    return yaml.safe_load((ROOT / "domain.yml").read_text())


def _flows() -> List[List[dict]]:
    """The steps of every rule and story in data/."""
    flows = []
    for path in sorted((ROOT / "data").rglob("*.yml")):
        content = yaml.safe_load(path.read_text()) or {}
        for flow in [*(content.get("rules") or []), *(content.get("stories") or [])]:
            flows.append([*(flow.get("condition") or []), *(flow.get("steps") or [])])
    return flows


def _actions(flow: List[dict]) -> List[str]:
    return [step["action"] for step in flow if "action" in step]


def _runs(flow: List[dict], pattern: str) -> bool:
    return any(fnmatch(action, pattern) for action in _actions(flow))


def _action_names() -> set:
    """The names of the custom actions the action server would register."""
    from rasa_sdk import Action

    names = set()
    for path in sorted((ROOT / "actions").glob("*.py")):
        if path.stem == "startup":
            # The action server's start: it refuses to run without the store's keys, and
            # records the keys it holds in the store. It defines no action.
            continue
        module = importlib.import_module(f"actions.{path.stem}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, Action)
                and not inspect.isabstract(cls)
                and cls.__module__ == module.__name__
            ):
                # name() reads the class only: no dependencies are made.
                names.add(cls.__new__(cls).name())
    return names


def _function(qualified: str):
    module_name, _, names = qualified.partition(":")
    found = importlib.import_module(module_name)
    for name in names.split("."):
        found = getattr(found, name)
    return found


def _name(node: ast.AST) -> str | None:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)


def _uses(caller: str, callee: str) -> bool:
    """Whether the source of `caller` calls something named `callee`, or passes it to a
    call (a blocking call run in a thread: `in_thread(self.screening.screen, ...)`; a
    text: `enqueue_reply(event, APOLOGY, ...)`), or formats or returns it (a text:
    `return LATE if late else NOTE.format(...)`)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(_function(caller))))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (
            _name(node.func) == callee
            or any(_name(arg) == callee for arg in node.args)
            or (isinstance(node.func, ast.Attribute) and _name(node.func.value) == callee)
        ):
            return True
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            returned = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
            if any(isinstance(v, ast.Name) and v.id == callee for v in returned):
                return True
    return False


# The checks ----------------------------------------------------------------------------


def test_every_promising_text_is_listed_with_what_keeps_it():
    texts = [*response_texts(_domain()), *code_texts(ROOT), *canned_texts(ROOT)]
    assert unlisted(texts, PROMISES) == [], (
        "A text promises an action that PROMISES does not list: list it with the code "
        "that does it, how the text reaches that code, and the test that proves it."
    )


def test_every_listed_promise_is_still_said():
    found = promising_texts([*response_texts(_domain()), *code_texts(ROOT), *canned_texts(ROOT)])
    stale = [
        p
        for p in PROMISES
        if not any(w == p.says and p.words.lower() in s.lower() for w, s in found)
    ]
    assert stale == []


@pytest.mark.parametrize("promise", PROMISES, ids=lambda p: f"{p.says}:{p.words[:30]}")
def test_what_keeps_each_promise_exists(promise):
    domain = _domain()
    doer = promise.done_by
    if ":" in doer:
        assert callable(_function(doer))
    elif doer.startswith("utter_"):
        assert doer in domain["responses"]
    else:
        known = (_action_names() & set(domain["actions"])) | set(domain.get("forms") or {})
        assert any(fnmatch(name, doer) for name in known), f"no action or form {doer}"


@pytest.mark.parametrize("promise", PROMISES, ids=lambda p: f"{p.says}:{p.words[:30]}")
def test_each_promise_reaches_what_keeps_it(promise):
    flows = _flows()
    sending = [flow for flow in flows if promise.says in _actions(flow)]
    for way in promise.reach:
        if isinstance(way, InEveryRule):
            assert sending, f"nothing sends {promise.says}"
            assert all(_runs(flow, promise.done_by) for flow in sending)
        elif isinstance(way, Accepted):
            assert any(
                fnmatch(action, promise.done_by)
                for flow in sending
                for action in _actions(flow)[_actions(flow).index(promise.says) + 1 :]
            )
        elif isinstance(way, FormDone):
            slots = _domain()["forms"][way.form]["required_slots"]
            assert promise.says in {f"utter_ask_{slot}" for slot in slots}
            completing = [f for f in flows if way.form in _actions(f) and _runs(f, promise.done_by)]
            assert completing, f"no rule completes {way.form} with {promise.done_by}"
        elif isinstance(way, OnIntent):
            assert any(
                {"intent": way.intent} in flow and _runs(flow, promise.done_by) for flow in flows
            ), f"no rule on {way.intent} runs {promise.done_by}"
        elif isinstance(way, WhenSlot):
            condition = [{"type": "slot", "name": way.slot, "value": way.value}]
            said = [
                variation["text"]
                for variation in _domain()["responses"][promise.says]
                if variation.get("condition") == condition
            ]
            assert any(promise.words.lower() in text.lower() for text in said), way
            held = [flow for flow in flows if {"slot_was_set": [{way.slot: way.value}]} in flow]
            assert any(_runs(flow, promise.done_by) for flow in held), way
        elif isinstance(way, Uses):
            assert _uses(way.caller, way.callee), f"{way.caller} does not call {way.callee}"
    if ".py::" in promise.says:
        # The code that says it is on the path: it or its caller is named there.
        function = promise.says.split("::")[1].split(".")[-1]
        named = {n for w in promise.reach if isinstance(w, Uses) for n in (w.caller, w.callee)}
        assert function in {n.split(".")[-1].split(":")[-1] for n in named}


@pytest.mark.parametrize("promise", PROMISES, ids=lambda p: f"{p.says}:{p.words[:30]}")
def test_each_promise_has_a_test_that_proves_it(promise):
    path, _, name = promise.proven_by.partition("::")
    source = ROOT / path
    assert source.exists(), promise.proven_by
    if name:
        tree = ast.parse(source.read_text())
        tests = {
            n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        assert name in tests, promise.proven_by
    else:
        assert promise.done_by in source.read_text()


def test_a_new_promise_anywhere_is_caught():
    texts = [
        ("utter_new", "Thanks! I've passed your photo to the surveyor."),
        ("bot/x.py::f", "Hello. We'll call you back tomorrow."),
        ("utter_handoff", "Sorry, I couldn't pass your conversation to our team just now."),
        (
            "utter_compliment",
            "Compliments go to our Customer Experience team, who pass them on to the people involved.",
        ),
    ]
    assert unlisted(texts, PROMISES) == [
        ("bot/x.py::f", "We'll call you back tomorrow."),
        ("utter_new", "I've passed your photo to the surveyor."),
    ]


def test_a_public_request_for_a_person_is_handed_over(tmp_path):
    """'A member of our team will reply to you here': the request is handed over (P6)."""
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    association = load_association(ROOT / "association.yml")
    screening = Screening(engine, Outbox(engine), association, CALENDAR)
    tuesday = datetime(2026, 11, 24, 10, 0, tzinfo=UK)
    event = InboundEvent(
        "facebook", "comment", "1", "public", "u1", "can i speak to someone please", tuesday,
        post_id="p1", comment_id="c1",
    )  # fmt: skip
    screened = screening.screen(event, Intent("request_human", 0.9), tuesday)
    assert "reply to you here by 2pm" in dict(screened.said)["private"]
    handoff = HandoffRepository(engine).open_for(event.conversation_id)
    assert (handoff.reason, handoff.team) == (Reason.REQUEST_HUMAN, "Communications")
