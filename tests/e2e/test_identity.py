"""End to end, adversarially: security questions before any tenancy matter (P4).

Each test is a conversation through the running servers, as `make run` starts them,
against the demo tenancies (docs/staff.md, "Demo tenancies"). The last test searches the
tracker store's database file and the servers' logs for every answer typed here.
"""

import json
import re
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.rest import rest_conversation_id
from bot.handoff.conversations import RasaConversations
from bot.handoff.desk import StaffDesk
from bot.handoff.handoffs import HandoffRepository, Reason
from bot.outbox import Outbox
from bot.protection.conversations import TrackerEvents, engine_for
from bot.store import connect, identity_attempts
from bot.tenancy.identity import Verification, staff_view
from bot.tenancy.masking import HIDDEN, SECURITY_SLOTS
from bot.tenancy.records import TenancyRepository, load_tenancies
from bot.tenancy.security_question import Sealer
from scripts.fake_platforms import facebook_webhook, page_comment
from scripts.processes import send
from tests.e2e.platforms import PAGE, new_user, to_facebook, wait_for
from tests.helpers import DEMO_TENANCIES, TEAMS, assistant_in, on_disk, store_keys

MARGARET = ("TEN-204817", "Margaret Thompson", "12th April 1958")
DANIEL = ("14 Elm Rd, LS6 2AB", "daniel thompson", "14th Sept 86")
PRIYA = ("tenancy ref 318552", "Priya Sharma", "23/07/1990")
# Shown only to Priya's tenancy: must never reach anyone verified for Margaret's.
PRIYA_ONLY = ("£20.00", "in credit", "R-31002", "extractor", "Ashdown", "318552")
ASKED = "what's your tenancy reference"  # the first security question
TYPED: list[str] = []  # every security answer typed in this module


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("identity")
    database_url = f"sqlite:///{tmp / 'assistant.db'}"
    engine = connect(database_url, store_keys())
    tenancies = TenancyRepository(engine)
    load_tenancies(DEMO_TENANCIES, tenancies)
    key = Sealer.new_key()
    token = secrets.token_urlsafe(16)
    assistant = assistant_in(
        tmp, {"DATABASE_URL": database_url, "SECURITY_ANSWERS_KEY": key}, api_token=token
    )
    with assistant:
        yield {
            "assistant": assistant,
            "engine": engine,
            "tenancies": tenancies,
            "rasa": RasaConversations(assistant.rasa_url, token),
            "sealer": Sealer(key),
            "handoffs": HandoffRepository(engine),
            "tmp": tmp,
        }


class Chat:
    """One private conversation with the running assistant, through the REST channel
    (a sender of its own: the REST channel names no platform account)."""

    def __init__(self, running):
        self.url = running["assistant"].rasa_url
        self.sender = f"conversation-{uuid.uuid4().hex[:8]}"
        self.id = rest_conversation_id(self.sender)  # the conversation Rasa keeps
        self.replies: list[str] = []

    def say(self, text, answer=False):
        if answer:
            TYPED.append(text)
        said = " ".join(r.get("text", "") for r in send(self.url, self.sender, text))
        self.replies.append(said)
        return said

    def check(self, question, answers):
        """Ask `question`, then answer the three security questions."""
        asked = self.say(question)
        assert ASKED in asked, asked
        self.say(answers[0], answer=True)
        self.say(answers[1], answer=True)
        return self.say(answers[2], answer=True)


def attempts(running):
    with running["engine"].connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(identity_attempts))]


def never_echoed(chat):
    said = " ".join(chat.replies).lower()
    for answer in TYPED:
        assert answer.lower() not in said, answer


def test_the_right_answers_for_one_tenancy_disclose_it_and_nothing_of_another(running):
    chat = Chat(running)
    told = chat.check("how much rent do i owe", MARGARET)
    assert "£123.45 in arrears" in told
    assert "£95.50 by Direct Debit on Monday 9 November 2026" in told
    repairs = chat.say("when is the plumber coming for my tap")
    assert "R-30117" in repairs and "Thursday 3 December 2026, 8am to 12pm" in repairs
    assert ASKED not in repairs  # verified: not asked again
    for reply in chat.replies:
        assert not any(fragment in reply for fragment in PRIYA_ONLY), reply
    never_echoed(chat)

    # What staff read through Rasa's HTTP API: verified or not, and no answer anywhere.
    tracker = running["rasa"].tracker(chat.id)
    now = datetime.now(timezone.utc)
    assert staff_view(tracker["slots"], now, now).startswith("verified as tenant at ")
    conversation = json.dumps(tracker).lower()
    for answer in MARGARET:
        assert answer.lower() not in conversation, answer


def test_a_refused_check_discloses_nothing_and_says_nothing_about_why(running):
    wrong_date = Chat(running)
    told = wrong_date.check(
        "whats my rent balance", ("TEN-204817", "Margaret Thompson", "13/04/1958")
    )
    unknown_tenancy = Chat(running)
    told_too = unknown_tenancy.check(
        "whats my rent balance", ("TEN-999999", "Margaret Thompson", "12/04/1958")
    )
    assert "couldn't confirm" in told
    assert told == told_too
    for chat in (wrong_date, unknown_tenancy):
        assert "£" not in " ".join(chat.replies)
        never_echoed(chat)
    assert "stopped" in wrong_date.say("no")


def test_a_person_neither_listed_nor_authorised_is_refused_with_the_right_reference(running):
    chat = Chat(running)
    told = chat.check(
        "how much do i owe on my rent", ("TEN-204817", "Steven Thompson", "01/02/1980")
    )
    assert "couldn't confirm" in told and "£" not in " ".join(chat.replies)


def test_an_authorised_contact_sees_only_what_the_tenant_authorised(running):
    chat = Chat(running)
    assert "£123.45 in arrears" in chat.check("what's mum's rent balance", DANIEL)
    repairs = chat.say("any update on the repairs")
    assert "hasn't authorised" in repairs and "R-30117" not in repairs


def test_another_sender_must_verify_for_itself(running):
    # A different author in one platform conversation cannot happen (a conversation is
    # its author's), and the REST channel names no author: another sender is another
    # conversation. tests/e2e/test_rest_channel.py has a REST caller naming a platform
    # account's conversation.
    # The stranger asks in the same words: what is tested is whose check counts, not
    # how the model reads a question (tests/nlu and the test stories cover that).
    question = "rent balance please"
    margaret = Chat(running)
    assert "£123.45" in margaret.check(question, MARGARET)
    stranger = Chat(running)
    asked = stranger.say(question)
    assert ASKED in asked and "£" not in asked


def test_in_a_public_thread_no_check_starts_and_nothing_is_disclosed(platforms_running):
    # A public thread is a comment on the page, through the Facebook webhook.
    assistant, platforms, _ = platforms_running
    engine = connect(assistant.extra_env["DATABASE_URL"], assistant.keys())
    before = len(attempts({"engine": engine}))
    commenter, told = new_user(), []
    for text in ("how much rent do I owe?", "whats my rent balance please"):
        comment_id = f"{PAGE}_{uuid.uuid4().int % 10**9}"
        change = page_comment(commenter, text, comment_id, "post1")
        to_facebook(assistant, facebook_webhook(PAGE, changes=[change]))

        def answered(comment_id=comment_id):
            return [
                call
                for call in platforms.received("facebook")
                if comment_id in call.path
                or ((call.body or {}).get("recipient") or {}).get("comment_id") == comment_id
            ]

        assert wait_for(answered, 60), f"no answer to {text!r}"
        time.sleep(2)  # the rest of the answers to it
        told += [json.dumps(call.body) for call in answered()]
    said = " ".join(told)
    assert "private message" in said
    assert ASKED not in said and "£" not in said
    assert len(attempts({"engine": engine})) == before


def test_three_failures_lock_and_hand_over_and_a_fourth_guess_is_refused_unchecked(running):
    chat = Chat(running)
    # Named by an address no earlier test typed: failures by the reference in earlier
    # tests still count against it (a success wipes no count), and would lock sooner.
    wrong = ("14 Elm Road, Leeds LS6 2AB", "Margaret Thompson", "01/01/1960")
    assert "couldn't confirm" in chat.check("whats my rent balance", wrong)
    for _ in range(2):
        assert ASKED in chat.say("yes")
        chat.say(wrong[0], answer=True)
        chat.say(wrong[1], answer=True)
        told = chat.say(wrong[2], answer=True)
    assert "can't take any more answers" in told and "passed your conversation" in told
    handoff = running["handoffs"].open_for(chat.id)
    assert handoff.reason is Reason.IDENTITY_CHECK_FAILED

    # Staff hand the conversation back inside the lock: the account is refused unchecked.
    desk = StaffDesk(running["engine"], Outbox(running["engine"]), running["rasa"], TEAMS)
    desk.hand_back("Sam", handoff.id, datetime.now(timezone.utc))
    before = len(attempts(running))
    refused = chat.say("how much rent do i owe")
    assert "can't take any more answers" in refused and ASKED not in refused
    assert len(attempts(running)) == before

    # The tenancy is locked too: its real tenant, on another account, is not verified yet.
    margaret = Chat(running)
    told = margaret.check("whats my balance", MARGARET)
    assert "£" not in told and ("couldn't confirm" in told or "can't take any more" in told)
    never_echoed(chat)


def test_verification_ends_after_thirty_idle_minutes(running):
    chat = Chat(running)
    assert "in credit" in chat.check("how much rent do i owe", PRIYA)
    # Thirty-one minutes pass: the verification is as old as that.
    tracker = running["rasa"].tracker(chat.id)
    current = Verification.from_dict(
        running["sealer"].open(tracker["slots"]["identity_verification"])
    )
    stale = Verification(
        **{**current.__dict__, "verified_at": current.verified_at - timedelta(minutes=31)}
    )
    running["rasa"].append(
        chat.id,
        [
            {
                "event": "slot",
                "name": "identity_verification",
                "value": running["sealer"].seal(stale.as_dict()),
            }
        ],
    )
    asked = chat.say("and whats my rent balance now")
    assert ASKED in asked and "£" not in asked


def test_an_emergency_during_the_questions_comes_first_and_staff_see_it(running):
    chat = Chat(running)
    chat.say("when is my repair booked")
    chat.say("TEN-450091", answer=True)
    told = chat.say("theres water pouring through my ceiling light, its sparking")
    assert "emergency" in told.lower()
    user_texts = [
        e["text"] for e in running["rasa"].tracker(chat.id)["events"] if e["event"] == "user"
    ]
    assert "theres water pouring through my ceiling light, its sparking" in user_texts
    assert "TEN-450091" not in user_texts


def user_texts(running, chat):
    events = running["rasa"].tracker(chat.id)["events"]
    return [e["text"] for e in events if e["event"] == "user"]


def test_the_first_reply_is_the_first_question_and_nothing_else(running):
    chat = Chat(running)
    first = chat.say("how much rent do i owe")
    assert first.startswith("I can help with that.") and first.endswith(
        "your postcode and the first line of your address instead."
    ), first
    assert "Sorry" not in first
    # Again on a retry after a failed check.
    chat.say("TEN-318552", answer=True)
    chat.say("Jo Bloggs", answer=True)
    assert "couldn't confirm" in chat.say("01/01/1970", answer=True)
    again = chat.say("yes")
    assert ASKED in again and "Sorry" not in again, again


@pytest.mark.parametrize(
    "stop, answered", [("stop", 0), ("cancel", 1), ("never mind", 2), ("stop please", 1)]
)
def test_stop_ends_the_check_at_any_question(running, stop, answered):
    before = len(attempts(running))
    chat = Chat(running)
    chat.say("whats my rent balance")
    for answer in PRIYA[:answered]:
        chat.say(answer, answer=True)
    told = chat.say(stop)
    assert "stopped the security questions" in told, told
    assert "Sorry" not in told and "couldn't confirm" not in told
    # Not stored as an answer: staff read it, and no check was run.
    assert stop in user_texts(running, chat)
    assert len(attempts(running)) == before
    # What follows is a conversation again, not an answer to a question.
    assert ASKED in chat.say("what's my rent balance")


def test_a_repair_typed_during_the_questions_is_a_repair_and_stays_visible(running):
    chat = Chat(running)
    chat.say("when is my repair booked")
    chat.say("TEN-318552", answer=True)
    repair = "actually my toilet is blocked and overflowing"
    told = chat.say(repair)
    assert "emergency" in told.lower(), told
    assert "hidden" not in told and "full name" not in told
    assert repair in user_texts(running, chat)


CARRY_ON = "Shall we carry on with the security questions for your rent?"


def interrupted_by_a_repair(running, answered):
    """A rent check with `answered` of Priya's answers given (her tenancy, unlike
    Margaret's, is not stopped by the failures of earlier tests), then a repair that is
    no emergency."""
    chat = Chat(running)
    chat.say("how much rent do i owe")
    for answer in PRIYA[:answered]:
        chat.say(answer, answer=True)
    repair = "actually my kitchen tap is leaking"
    assert "emergency" in chat.say(repair).lower()
    told = chat.say("no")
    assert "report a repair" in told and CARRY_ON in told, told
    assert repair in user_texts(running, chat)  # staff see it
    return chat


@pytest.mark.parametrize("answered", [1, 2])
def test_yes_after_a_repair_carries_on_at_the_question_reached(running, answered):
    before = len(attempts(running))
    chat = interrupted_by_a_repair(running, answered)
    asked = chat.say("yes")
    next_question = ("What's your full name?", "what's your date of birth?")[answered - 1]
    assert next_question in asked and ASKED not in asked, asked
    for answer in PRIYA[answered:-1]:
        chat.say(answer, answer=True)
    told = chat.say(PRIYA[-1], answer=True)
    assert "in credit" in told, told
    assert len(attempts(running)) == before + 1  # one check, one attempt
    never_echoed(chat)
    # What staff read: the repair, and no answer in clear.
    conversation = json.dumps(running["rasa"].tracker(chat.id)).lower()
    for answer in PRIYA:
        assert answer.lower() not in conversation, answer


def test_no_after_a_repair_ends_the_check_with_nothing_checked_or_kept(running):
    before = len(attempts(running))
    chat = interrupted_by_a_repair(running, 2)
    told = chat.say("no")
    assert "stopped the security questions" in told and "£" not in told, told
    assert len(attempts(running)) == before
    slots = running["rasa"].tracker(chat.id)["slots"]
    assert all(slots[slot] is None for slot in SECURITY_SLOTS)
    # Asked again, the check starts from the first question.
    assert ASKED in chat.say("what's my rent balance")


def test_an_emergency_repair_during_the_questions_is_handed_over_not_carried_on(running):
    chat = Chat(running)
    chat.say("how much rent do i owe")
    chat.say(PRIYA[0], answer=True)
    assert "is it an emergency" in chat.say("actually my kitchen tap is leaking")
    told = chat.say("yes")
    assert "emergency contacts" in told.lower() and "urgent" in told, told
    assert "carry on" not in told
    assert running["handoffs"].open_for(chat.id).reason is Reason.EMERGENCY


def _no_times(text):
    return re.sub(r"\d{1,2}(:\d{2})?\s*(am|pm)?", "#", text)


def test_guesses_over_accounts_get_the_same_replies_for_a_real_or_made_up_tenancy(running):
    """Well past the tenancy's quiet lock: the replies, and what the guessers see of
    any handoff, are the same; only staff learn of the real tenancy."""

    def guesses(reference, address):
        named = [reference, reference.lower().replace("-", ""), address, address + " town"]
        chats, replies = [], []
        for n in range(5):
            chat = Chat(running)
            replies.append(
                chat.check("whats my rent balance", (named[n % 4], "Jo Bloggs", "1/1/1970"))
            )
            chats.append(chat)
        return chats, [_no_times(r) for r in replies]

    real_chats, real = guesses("TEN-450091", "7 Mill Lane B15 2TT")
    fake_chats, fake = guesses("TEN-777771", "9 Nowhere Lane B15 2TT")
    assert real == fake
    # A guesser sees a handoff only for their own lock, the same for both.
    open_for = running["handoffs"].open_for
    handed = [[open_for(c.id) is not None for c in chats] for chats in (real_chats, fake_chats)]
    assert handed[0] == handed[1]
    # The real tenancy's checks stopped: its tenant is not verified, and Customer
    # Experience have the tenancy in their queue.
    okafor = Chat(running)
    told = okafor.check("whats my rent balance", ("TEN-450091", "Daniel Okafor", "30/01/1979"))
    assert "couldn't confirm" in told and "£" not in told
    queued = [h.conversation.conversation_id for h in running["handoffs"].queue()]
    assert "tenancy:TEN-450091" in queued
    assert not any("777771" in q for q in queued)


def test_no_answer_typed_is_in_the_tracker_store_or_the_logs_in_clear(running):
    assert len(TYPED) >= 20
    stored = (running["tmp"] / "tracker.db").read_bytes().lower()
    # The masked store is in use: its marker is there once the conversations are decrypted.
    tracker = TrackerEvents(engine_for(f"sqlite:///{running['tmp'] / 'tracker.db'}"), store_keys())
    assert HIDDEN in json.dumps([tracker.events(sender) for sender in tracker.senders()])
    logs = b" ".join(p.read_bytes() for p in (running["tmp"] / "logs").glob("*.log")).lower()
    for answer in TYPED:
        assert answer.lower().encode() not in stored, answer
        assert answer.lower().encode() not in logs, answer
    # Names and dates of birth are not in the project's store either (references and
    # addresses are: they are the tenancy records themselves).
    project = on_disk(Path(running["engine"].url.database)).lower()
    for name, born in (
        (MARGARET[1], "1958-04-12"),
        (DANIEL[1], "1986-09-14"),
        (PRIYA[1], "1990-07-23"),
    ):
        assert name.lower().encode() not in project and born.encode() not in project
