"""One thread per tenant: linked conversations, a handoff that follows the tenant, the
note a waiting tenant gets, and the thread staff read (P6, P9, P3)."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.events import InboundEvent, Operation, Platform, Surface
from bot.handoff.handoffs import Conversation, HandoffRepository, Reason, State, plan
from bot.handoff.threads import ConversationLinks, read_thread
from bot.handoff.waiting import WaitingNotes
from bot.moderation.log import ModerationLog
from bot.moderation.retention import PublicComments
from bot.outbox import Author, Outbound, Outbox
from bot.screening.coordinator import ModerationListener
from bot.store import connect
from tests.helpers import CALENDAR, TEAMS, UK

COMMENTER, PSID = "10158", "psid-4471"
PUBLIC, PRIVATE = f"facebook-public-{COMMENTER}", f"facebook-private-{PSID}"


def uk(*args):
    return datetime(*args, tzinfo=UK)


@pytest.fixture()
def engine(tmp_path):
    return connect(f"sqlite:///{tmp_path / 'assistant.db'}")


def private_reply_sent(engine, platform_id, conversation_id=PUBLIC, operation=None):
    """What the outbox worker tells moderation once Meta accepted a private reply."""
    outbox = Outbox(engine)
    log = ModerationLog(engine, outbox)
    listener = ModerationListener(PublicComments(engine, outbox, log), log)
    message = Outbound(
        id=1,
        conversation_id=conversation_id,
        platform="facebook",
        operation=operation or Operation.PRIVATE_REPLY,
        target="post1_77",
        text=None,
        author=Author.ASSISTANT,
        user_message_at=None,
        attempts=1,
        created_at=uk(2026, 11, 23, 10, 0),
    )
    listener.sent(message, platform_id, uk(2026, 11, 23, 10, 0))


def handed_over(engine, conversation_id, reason=Reason.NEGATIVE_PUBLIC_COMMENT, at=None):
    platform, surface, author = conversation_id.split("-", 2)
    conversation = Conversation(conversation_id, platform, surface, author)
    at = at or uk(2026, 11, 23, 10, 0)
    handoff = plan(reason, conversation, at, CALENDAR, TEAMS.for_reason(reason))
    return HandoffRepository(engine).add(handoff)


# Linking.


def test_a_private_reply_that_names_its_recipient_links_the_comment_to_messenger(engine):
    private_reply_sent(engine, f"psid:{PSID}")
    links = ConversationLinks(engine)
    assert links.conversations_of(PUBLIC) == [PRIVATE, PUBLIC]
    assert links.conversations_of(PRIVATE) == [PRIVATE, PUBLIC]


def test_without_a_recipient_id_nothing_is_linked_by_guess(engine):
    private_reply_sent(engine, "m_1234")  # Meta named only the message
    links = ConversationLinks(engine)
    assert links.conversations_of(PUBLIC) == [PUBLIC]
    assert links.conversations_of(PRIVATE) == [PRIVATE]


def test_a_public_reply_links_nobody(engine):
    private_reply_sent(engine, f"psid:{PSID}", operation=Operation.PUBLIC_REPLY)
    assert ConversationLinks(engine).conversations_of(PUBLIC) == [PUBLIC]


def test_facebook_ids_are_not_taken_for_each_other_across_surfaces(engine):
    """A commenter's user id and a Messenger PSID are different ids: no link, no twin."""
    assert ConversationLinks(engine).conversations_of(PUBLIC) == [PUBLIC]


def test_on_x_a_mention_and_a_dm_from_the_same_user_id_are_one_tenant(engine):
    links = ConversationLinks(engine)
    both = ["twitter-private-42", "twitter-public-42"]
    assert links.conversations_of("twitter-public-42") == both
    assert links.conversations_of("twitter-private-42") == both
    assert links.conversations_of("twitter-private-43") == [
        "twitter-private-43",
        "twitter-public-43",
    ]


def test_local_conversations_are_their_own_thread(engine):
    assert ConversationLinks(engine).conversations_of("rest-margaret") == ["rest-margaret"]


# A handoff follows the tenant.


def test_the_open_handoff_of_a_comment_is_found_from_the_linked_messenger_conversation(engine):
    repository = HandoffRepository(engine)
    handoff = handed_over(engine, PUBLIC)
    assert repository.open_for(PRIVATE) is None  # not linked yet
    private_reply_sent(engine, f"psid:{PSID}")
    assert repository.open_for(PRIVATE) == handoff
    repository.move(handoff.id, State.CLOSED, uk(2026, 11, 23, 11, 0))
    assert repository.open_for(PRIVATE) is None


def test_the_open_handoff_of_a_mention_is_found_from_the_dm(engine):
    handoff = handed_over(engine, "twitter-public-42")
    repository = HandoffRepository(engine)
    assert repository.open_for("twitter-private-42") == handoff
    assert repository.open_for("twitter-private-43") is None


# The note a waiting tenant gets.


def dm(text="hello?", at=None, author=PSID, platform=Platform.FACEBOOK, event_id=None):
    sent = at or uk(2026, 11, 23, 10, 30)
    return InboundEvent(
        platform=platform,
        kind="message",
        event_id=event_id or f"mid.{sent.timestamp()}",
        surface=Surface.PRIVATE,
        author_id=author,
        text=text,
        sent_at=sent,
    )


@pytest.fixture()
def waiting(engine):
    private_reply_sent(engine, f"psid:{PSID}")
    outbox = Outbox(engine)
    return WaitingNotes(engine, outbox, CALENDAR), outbox


def notes(outbox):
    return [(m.operation, m.target, m.text) for m in outbox.messages()]


def test_a_waiting_tenant_is_told_once_their_message_was_added_and_by_when(engine, waiting):
    notes_, outbox = waiting
    handoff = handed_over(engine, PUBLIC, at=uk(2026, 11, 23, 10, 0))
    assert notes_.handoff_for(PRIVATE) == handoff
    said = notes_.note(dm(), handoff, uk(2026, 11, 23, 10, 30))
    assert said == "Thanks, I've added your message for our team. They aim to reply by 2pm."
    assert notes(outbox) == [(Operation.MESSENGER_SEND, PSID, said)]


def test_at_most_one_note_an_hour_per_tenant_whatever_the_clock_hour(engine, waiting):
    notes_, outbox = waiting
    handoff = handed_over(engine, PUBLIC, at=uk(2026, 11, 23, 10, 0))
    first = uk(2026, 11, 23, 10, 59)
    assert notes_.note(dm(at=first), handoff, first)
    for minutes in (1, 2, 30, 59):
        later = first + timedelta(minutes=minutes)
        assert notes_.note(dm("hello??", at=later), handoff, later) is None
    # The same message handled again (after a crash) is not noted again either.
    assert notes_.note(dm(at=first), handoff, first) is None
    an_hour_on = first + timedelta(hours=1, minutes=1)
    assert notes_.note(dm("anyone?", at=an_hour_on), handoff, an_hour_on)
    assert len(notes(outbox)) == 2


def test_the_hour_is_per_tenant_across_their_conversations(engine, waiting):
    notes_, outbox = waiting
    handoff = handed_over(engine, "twitter-public-42")
    now = uk(2026, 11, 23, 10, 30)
    x_dm = dm(author="42", platform=Platform.TWITTER, event_id="e1")
    assert notes_.note(x_dm, handoff, now)
    other = dm(author="43", platform=Platform.TWITTER, event_id="e2")
    assert notes_.note(other, handed_over(engine, "twitter-public-43"), now)
    again = dm("still there?", author="42", platform=Platform.TWITTER, event_id="e3")
    assert notes_.note(again, handoff, now + timedelta(minutes=5)) is None
    assert [(op, target) for op, target, _ in notes(outbox)] == [
        (Operation.X_DM, "42"),
        (Operation.X_DM, "43"),
    ]


def test_out_of_hours_the_note_says_when_the_team_is_back(engine, waiting):
    notes_, _ = waiting
    friday_evening = uk(2026, 11, 20, 18, 0)
    handoff = handed_over(engine, PUBLIC, at=friday_evening)
    said = notes_.note(dm(at=friday_evening), handoff, friday_evening)
    assert said == (
        "Thanks, I've added your message for our team. They're back on Monday at 9am "
        "and aim to reply by Monday at 1pm."
    )


def test_past_the_reply_by_time_the_note_promises_no_time_gone_by(engine, waiting):
    notes_, _ = waiting
    handoff = handed_over(engine, PUBLIC, at=uk(2026, 11, 23, 10, 0))  # reply by 2pm
    late = uk(2026, 11, 23, 15, 0)
    assert notes_.note(dm(at=late), handoff, late) == (
        "Thanks, I've added your message for our team. They'll reply as soon as they can."
    )
    evening = uk(2026, 11, 23, 19, 0)
    assert notes_.note(dm(at=evening), handoff, evening) == (
        "Thanks, I've added your message for our team. They're back tomorrow at 9am "
        "and will reply as soon as they can."
    )


def test_a_tenant_writing_after_the_full_reply_is_due_again_and_told(engine, waiting):
    """ "That didn't fix it", after staff's full reply: heard, not left in silence."""
    notes_, outbox = waiting
    repository = HandoffRepository(engine)
    handoff = handed_over(engine, PUBLIC, at=uk(2026, 11, 23, 10, 0))
    replied = repository.reply_sent(handoff.id, "Sam", uk(2026, 11, 23, 10, 20), holding=False)
    assert replied.due is None
    wrote = uk(2026, 11, 23, 15, 0)  # a Monday, in hours
    said = notes_.note(dm("that didn't fix it", at=wrote), replied, wrote)
    again = repository.get(handoff.id)
    # New deadlines from their message, in working hours: 2 and 4 working hours on.
    assert (again.acknowledge_by, again.reply_by) == (
        CALENDAR.add_working_hours(wrote, 2),
        CALENDAR.add_working_hours(wrote, 4),
    )
    assert (again.acknowledged_at, again.replied_at, again.due) == (
        None,
        None,
        again.acknowledge_by,
    )
    assert again.state.value != "answered"
    assert said is not None and "added your message" in said
    assert [m.text for m in outbox.messages()] == [said]
    # Missed again if nobody answers, so the team is alerted.
    [breach] = repository.record_missed(again.acknowledge_by + timedelta(minutes=1))
    assert breach.deadline == "acknowledge"


def test_a_handoff_that_needs_no_reply_keeps_no_one_waiting(engine, waiting):
    """A compliment passed on (P11): staff still have it, but the tenant is not paused
    and gets no note, in any of their conversations; a complaint after it is its own,
    and that one they wait on."""
    notes_, outbox = waiting
    compliment = handed_over(engine, PUBLIC, reason=Reason.COMPLIMENT)
    assert compliment.needs_reply is False
    assert HandoffRepository(engine).queue() == [compliment]
    # Nothing to wait on: the runtime pauses and notes only for what handoff_for finds.
    assert notes_.handoff_for(PUBLIC) is None and notes_.handoff_for(PRIVATE) is None
    assert notes(outbox) == []
    complaint = handed_over(engine, PUBLIC, at=uk(2026, 11, 23, 10, 5))
    assert complaint.id != compliment.id
    assert notes_.handoff_for(PRIVATE) == complaint


def test_no_open_handoff_no_note(engine, waiting):
    notes_, _ = waiting
    assert notes_.handoff_for(PRIVATE) is None


# The thread staff read.


def tracker(conversation_id, *events):
    return {"sender_id": conversation_id, "events": list(events)}


def user(text, at, metadata=None):
    return {"event": "user", "text": text, "timestamp": at.timestamp(), "metadata": metadata or {}}


def bot(text, at, metadata=None):
    return {"event": "bot", "text": text, "timestamp": at.timestamp(), "metadata": metadata or {}}


def test_the_thread_holds_every_message_of_every_conversation_in_time_order(engine):
    private_reply_sent(engine, f"psid:{PSID}")
    handoff = handed_over(engine, PUBLIC)
    t = uk(2026, 11, 23, 10, 0)
    public = tracker(
        PUBLIC,
        {"event": "action", "name": "action_listen", "timestamp": t.timestamp()},
        user("six weeks waiting for a plumber", t),
        bot("So sorry to hear this", t + timedelta(seconds=1), {"surface": "public"}),
        bot("Please tell us more here", t + timedelta(seconds=2), {"surface": "private"}),
    )
    private = tracker(
        PRIVATE,
        user("it's flat 2, call me on 07700 900123", t + timedelta(minutes=5)),
        {"event": "pause", "timestamp": (t + timedelta(minutes=5)).timestamp()},
        bot("Thanks, I've added your message", t + timedelta(minutes=5, seconds=1)),
        bot(
            "Hi, this is Sam from Customer Experience",
            t + timedelta(minutes=40),
            {"author": "staff", "staff": "Sam"},
        ),
    )
    conversations = {PUBLIC: public, PRIVATE: private}
    thread = read_thread(
        handoff, conversations.__getitem__, unmask=False, links=ConversationLinks(engine)
    )
    assert [(m.author, m.platform, m.surface, m.conversation_id, m.text) for m in thread] == [
        ("tenant", "facebook", "public", PUBLIC, "six weeks waiting for a plumber"),
        ("assistant", "facebook", "public", PUBLIC, "So sorry to hear this"),
        ("assistant", "facebook", "private", PUBLIC, "Please tell us more here"),
        ("tenant", "facebook", "private", PRIVATE, "it's flat 2, call me on [phone]"),
        ("assistant", "facebook", "private", PRIVATE, "Thanks, I've added your message"),
        ("staff", "facebook", "private", PRIVATE, "Hi, this is Sam from Customer Experience"),
    ]
    assert thread[0].at == t.astimezone(timezone.utc)
    assert [m.at for m in thread] == sorted(m.at for m in thread)
    unmasked = read_thread(handoff, conversations.__getitem__, True, ConversationLinks(engine))
    assert unmasked[3].text == "it's flat 2, call me on 07700 900123"


def test_a_conversation_rasa_does_not_know_adds_nothing_to_the_thread(engine):
    handoff = handed_over(engine, "twitter-public-42")
    t = uk(2026, 11, 23, 10, 0)
    known = {"twitter-public-42": tracker("twitter-public-42", user("not good enough", t))}
    thread = read_thread(handoff, lambda cid: known.get(cid) or tracker(cid), unmask=False)
    assert [(m.surface, m.text) for m in thread] == [("public", "not good enough")]
