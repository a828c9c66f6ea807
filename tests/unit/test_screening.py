"""Screening with a real store: the exact platform calls queued, the log, strikes,
undoing, and the removal of old comments (P5, P6, P7, P8, P10)."""

from datetime import datetime, timedelta

import pytest

from bot.association import load_association
from bot.events import InboundEvent, Operation
from bot.handoff.handoffs import HandoffRepository, Reason
from bot.handoff.working_hours import WorkingCalendar
from bot.moderation.log import FOR_STAFF, UNDONE, Action, NotUndoable
from bot.outbox import Call, Outbox
from bot.outbox_worker import OutboxWorker
from bot.platforms.facebook.delivery import facebook_deliverer
from bot.platforms.facebook.graph_api import GraphClient
from bot.platforms.x.api import XClient
from bot.platforms.x.delivery import twitter_deliverer
from bot.screening.coordinator import Intent, ModerationListener, Screening
from bot.screening.public_threads import Route
from bot.store import connect
from scripts.fake_platforms import FakePlatforms
from tests.helpers import ROOT, UK

ASSOCIATION = load_association(ROOT / "association.yml")
CALENDAR = WorkingCalendar.from_config(ASSOCIATION.monitoring)
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UK)
SATURDAY = datetime(2026, 11, 28, 11, 0, tzinfo=UK)


@pytest.fixture
def store(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    box = Outbox(engine)
    return Screening(engine, box, ASSOCIATION, CALENDAR), box, engine


def comment(event_id, text, author="a1", at=TUESDAY):
    return InboundEvent(
        "facebook",
        "comment",
        event_id,
        "public",
        author,
        text,
        at,
        post_id="p1",
        comment_id=f"c{event_id}",
    )


def mention(event_id, text, author="x1", reply_to_account=False, at=TUESDAY):
    return InboundEvent(
        "twitter",
        "mention",
        event_id,
        "public",
        author,
        text,
        at,
        tweet_id=f"t{event_id}",
        reply_to_account=reply_to_account,
    )


def direct(event_id, text, platform="twitter", author="x1", at=TUESDAY):
    kind = "direct_message" if platform == "twitter" else "message"
    return InboundEvent(platform, kind, event_id, "private", author, text, at)


def calls(box):
    return [(m.operation, m.target) for m in box.messages()]


def actions(screening):
    return [(e.action, e.detail_kinds) for e in reversed(screening.log.entries())]


def test_a_comment_with_personal_details_is_hidden_explained_privately_and_deleted(store):
    screening, box, _ = store
    result = screening.screen(
        comment("1", "boiler broken, call 07700 900123"), Intent("report_repair", 0.9), TUESDAY
    )
    assert (result.route, result.dialogue) == (Route.PROTECT, False)
    assert result.text == "boiler broken, call [phone]"
    assert calls(box) == [
        (Operation.HIDE_COMMENT, "c1"),
        (Operation.PRIVATE_REPLY, "c1"),
        (Operation.DELETE_COMMENT, "c1"),
    ]
    assert "07700" not in box.messages()[1].text
    assert actions(screening) == [(Action.HIDE, ("phone",)), (Action.DELETE, ("phone",))]
    assert "07700" not in " ".join(e.reason for e in screening.log.entries())


def test_deleting_is_a_setting(store, tmp_path):
    _, box, engine = store
    keep = ASSOCIATION.__class__(
        **{
            **ASSOCIATION.__dict__,
            "moderation": ASSOCIATION.moderation.__class__(
                **{**ASSOCIATION.moderation.__dict__, "delete_personal_details": False}
            ),
        }
    )
    Screening(engine, box, keep, CALENDAR).screen(comment("1", "dob 12/03/1985"), Intent(), TUESDAY)
    assert calls(box) == [(Operation.HIDE_COMMENT, "c1"), (Operation.PRIVATE_REPLY, "c1")]


def test_an_x_reply_to_the_account_is_hidden_and_the_author_sent_a_dm(store):
    screening, box, _ = store
    screening.screen(
        mention("9", "my email is jo@example.com", reply_to_account=True), Intent(), TUESDAY
    )
    assert calls(box) == [(Operation.X_HIDE_REPLY, "t9"), (Operation.X_DM, "x1")]
    [_, dm] = box.messages()
    assert [c.operation for c in dm.fallback] == [Operation.X_FOLLOW, Operation.X_REPLY]


def test_an_x_mention_that_cannot_be_hidden_is_asked_in_public_to_be_deleted(store):
    screening, box, _ = store
    screening.screen(mention("9", "my email is jo@example.com"), Intent(), TUESDAY)
    assert calls(box) == [(Operation.X_REPLY, "t9"), (Operation.X_DM, "x1")]
    public = box.messages()[0].text
    assert public.startswith("Please delete your post") and "jo@example.com" not in public
    assert actions(screening) == [(Action.ASK_TO_DELETE, ("email",))]


def test_a_tenancy_question_in_public_is_acknowledged_and_moved_to_private(store):
    screening, box, engine = store
    result = screening.screen(
        comment("2", "how much rent do i owe"), Intent("ask_rent_balance", 0.95), TUESDAY
    )
    assert (result.route, result.pause) == (Route.MOVE_PRIVATE, False)
    assert calls(box) == [(Operation.PUBLIC_REPLY, "c2"), (Operation.PRIVATE_REPLY, "c2")]
    assert "security questions" in box.messages()[1].text
    assert HandoffRepository(engine).queue() == []
    assert screening.log.entries() == []  # nothing removed, nothing to log


def test_a_negative_weekend_comment_stays_up_and_is_due_first_thing_monday(store):
    screening, box, engine = store
    result = screening.screen(
        comment("3", "shocking service, still waiting 6 weeks"),
        Intent("make_complaint", 0.9),
        SATURDAY,
    )
    assert result.pause and result.route is Route.MOVE_PRIVATE
    assert Operation.HIDE_COMMENT not in [op for op, _ in calls(box)]
    [handoff] = HandoffRepository(engine).queue()
    assert (handoff.reason, handoff.team) == (
        Reason.NEGATIVE_PUBLIC_COMMENT,
        "Customer Experience",
    )
    monday = datetime(2026, 11, 30, tzinfo=UK)
    assert handoff.acknowledge_by.astimezone(UK) == monday.replace(hour=11)
    assert handoff.reply_by.astimezone(UK) == monday.replace(hour=13)
    assert "by Monday at 1pm" in box.messages()[1].text


def test_abuse_is_hidden_warned_and_struck_and_three_strikes_block_and_report(store):
    screening, box, engine = store
    for n in range(3):
        screening.screen(
            comment(f"a{n}", "you're all useless f***ing idiots"),
            Intent("abuse", 0.95),
            TUESDAY + timedelta(days=n),
        )
    ops = [op for op, _ in calls(box)]
    assert ops == [Operation.HIDE_COMMENT, Operation.PRIVATE_REPLY] * 3 + [Operation.BLOCK_USER]
    assert "now been blocked" in box.messages()[-2].text
    logged = [e.action for e in reversed(screening.log.entries())]
    assert logged.count(Action.STRIKE) == 3 and logged[-2:] == [Action.BLOCK, Action.REPORT]
    # Facebook has no call to report a person: staff are asked to.
    assert screening.log.entries()[0].state == FOR_STAFF
    [flag] = HandoffRepository(engine).queue()
    assert flag.reason is Reason.MODERATION_REVIEW


def test_strikes_older_than_the_window_do_not_count(store):
    screening, box, _ = store
    for n, days in enumerate([0, 100, 200]):
        screening.screen(
            comment(f"a{n}", "piss off you muppets"),
            Intent("abuse", 0.95),
            TUESDAY + timedelta(days=days),
        )
    assert Operation.BLOCK_USER not in [op for op, _ in calls(box)]


def test_a_threat_to_staff_blocks_at_once_on_x_and_reports(store):
    screening, box, engine = store
    screening.screen(
        mention("7", "gonna batter the next plumber u send round", reply_to_account=True),
        Intent("abuse", 0.9),
        TUESDAY,
    )
    assert calls(box) == [
        (Operation.X_HIDE_REPLY, "t7"),
        (Operation.X_DM, "x1"),
        (Operation.X_BLOCK, "x1"),
    ]
    assert [e.action for e in reversed(screening.log.entries())][-2:] == [
        Action.STRIKE,
        Action.BLOCK,
    ]
    assert HandoffRepository(engine).queue()[0].reason is Reason.MODERATION_REVIEW


def test_abuse_in_a_dm_is_answered_by_the_dialogue_but_struck(store):
    screening, box, _ = store
    result = screening.screen(direct("d1", "you useless pr*cks"), Intent("abuse", 0.95), TUESDAY)
    assert result.dialogue and box.messages() == []
    assert [e.action for e in screening.log.entries()] == [Action.STRIKE]


def test_swearing_in_a_dm_about_a_repair_is_no_strike(store):
    screening, _, _ = store
    result = screening.screen(
        direct("d2", "my f***ing boiler is broken again"), Intent("report_repair", 0.9), TUESDAY
    )
    assert result.dialogue and screening.log.entries() == []


def test_a_plain_public_question_goes_to_the_dialogue_untouched(store):
    screening, box, _ = store
    result = screening.screen(
        comment("5", "what are your opening hours"), Intent("ask_opening_hours", 0.99), TUESDAY
    )
    assert result.dialogue and box.messages() == [] and screening.log.entries() == []


def test_a_message_screened_twice_after_a_crash_is_acted_on_once(store):
    screening, box, _ = store
    event = comment("6", "you're all useless f***ing idiots")
    screening.screen(event, Intent("abuse", 0.95), TUESDAY)
    again = screening.screen(event, Intent("abuse", 0.95), TUESDAY)
    assert again.dialogue is False
    assert len(box.messages()) == 2
    assert [e.action for e in screening.log.entries()].count(Action.STRIKE) == 1


def test_staff_undo_a_hide_and_a_block_through_the_outbox_and_a_strike_in_the_log(store):
    screening, box, _ = store
    screening.screen(mention("8", "i know where your staff live"), Intent("abuse", 0.9), TUESDAY)
    entries = {e.action: e for e in screening.log.entries()}
    before = len(box.messages())
    screening.log.undo(entries[Action.BLOCK].id, "Sam (Comms)", TUESDAY)
    screening.log.undo(entries[Action.STRIKE].id, "Sam (Comms)", TUESDAY)
    assert calls(box)[before:] == [(Operation.X_UNBLOCK, "x1")]
    assert screening.log.strikes("twitter", "x1") == []
    assert screening.log.get(entries[Action.BLOCK].id).state == UNDONE
    with pytest.raises(NotUndoable):
        screening.log.undo(entries[Action.BLOCK].id, "Sam (Comms)", TUESDAY)
    with pytest.raises(NotUndoable):
        screening.log.undo(entries[Action.WARN].id, "Sam (Comms)", TUESDAY)


def test_a_facebook_hide_is_undone_by_showing_the_comment_again(store):
    screening, box, _ = store
    screening.screen(comment("h", "Karen Holt sorted it"), Intent("give_compliment", 0.9), TUESDAY)
    [hide] = [e for e in screening.log.entries() if e.action is Action.HIDE]
    screening.log.undo(hide.id, "Sam", TUESDAY)
    assert calls(box)[-1] == (Operation.UNHIDE_COMMENT, "ch")


def test_old_public_comments_are_removed_once_and_logged(store):
    screening, box, _ = store
    old = TUESDAY - timedelta(days=95)
    screening.screen(comment("o1", "what are your opening hours", at=old), Intent(), old)
    screening.screen(comment("o2", "any jobs going", at=TUESDAY), Intent(), TUESDAY)
    screening.comments.note("page-reply-1", old, by_page=True)
    assert screening.comments.remove_old(TUESDAY) == 2
    assert screening.comments.remove_old(TUESDAY) == 0
    assert sorted(calls(box)) == [
        (Operation.DELETE_COMMENT, "co1"),
        (Operation.DELETE_COMMENT, "page-reply-1"),
    ]
    assert [e.action for e in screening.log.entries()] == [Action.DELETE, Action.DELETE]
    # Three calendar months, not 90 days.
    assert screening.comments.remove_old(TUESDAY + timedelta(days=100)) == 1


def test_a_block_earned_in_dms_waits_for_the_dialogues_warning(store):
    screening, box, _ = store
    results = [
        screening.screen(direct(f"d{n}", "you useless pr*cks"), Intent("abuse", 0.95), TUESDAY)
        for n in range(3)
    ]
    assert [r.later for r in results[:2]] == [(), ()]
    assert box.messages() == []  # nothing before the dialogue has answered
    screening.send_later(direct("d2", "you useless pr*cks"), results[2].later, TUESDAY)
    assert calls(box) == [(Operation.X_BLOCK, "x1"), (Operation.X_REPORT_SPAM, "x1")]


def test_an_emergency_that_must_come_down_still_gets_the_contacts_and_an_urgent_handoff(store):
    screening, box, engine = store
    result = screening.screen(
        comment("e1", "gas leak at flat 4, 12 Oak Road, help"),
        Intent("report_emergency", 0.9),
        SATURDAY,
    )
    assert result.route is Route.PROTECT and result.pause
    assert calls(box) == [
        (Operation.HIDE_COMMENT, "ce1"),
        (Operation.PRIVATE_REPLY, "ce1"),
        (Operation.DELETE_COMMENT, "ce1"),
    ]
    assert box.messages()[1].text.startswith("If this is an emergency")
    [handoff] = HandoffRepository(engine).queue()
    assert handoff.reason is Reason.EMERGENCY and handoff.priority.value == "urgent"


def test_a_swearing_emergency_is_hidden_but_earns_no_strike(store):
    screening, _, _ = store
    screening.screen(
        comment("e2", "there's a f***ing gas leak"), Intent("report_emergency", 0.9), TUESDAY
    )
    assert Action.STRIKE not in [e.action for e in screening.log.entries()]


def test_a_crash_part_way_is_finished_when_screened_again_and_nothing_doubled(store):
    screening, box, engine = store
    event = comment("p1", "shocking service, Karen Holt never rang, 07700 900123")
    # The server died after queueing the first call only.
    box.enqueue(
        event.conversation_id,
        "facebook",
        Operation.HIDE_COMMENT,
        "cp1",
        TUESDAY,
        dedupe_key="facebook:p1:screen:0",
    )
    first = screening.screen(event, Intent("make_complaint", 0.9), TUESDAY)
    again = screening.screen(event, Intent("make_complaint", 0.9), TUESDAY)
    assert first == again and first.said and first.pause
    assert calls(box) == [
        (Operation.HIDE_COMMENT, "cp1"),
        (Operation.PRIVATE_REPLY, "cp1"),
        (Operation.DELETE_COMMENT, "cp1"),
    ]
    assert sorted(e.action.value for e in screening.log.entries()) == ["delete", "hide", "warn"]
    assert len(HandoffRepository(engine).queue()) == 1


def test_a_dm_screened_again_is_struck_once_and_its_block_decided_the_same(store):
    screening, _, _ = store
    for n in range(2):
        screening.screen(direct(f"d{n}", "you useless pr*cks"), Intent("abuse", 0.95), TUESDAY)
    third = direct("d2", "you useless pr*cks")
    once = screening.screen(third, Intent("abuse", 0.95), TUESDAY)
    twice = screening.screen(third, Intent("abuse", 0.95), TUESDAY)
    assert once.later == twice.later != ()
    assert len(screening.log.strikes("twitter", "x1")) == 3


def test_a_civil_complaint_hidden_for_naming_staff_goes_to_customer_experience(store):
    screening, box, engine = store
    screening.screen(
        comment("k1", "Karen Holt never called me back"), Intent("make_complaint", 0.9), TUESDAY
    )
    [handoff] = HandoffRepository(engine).queue()
    assert handoff.reason is Reason.NEGATIVE_PUBLIC_COMMENT
    assert "Customer Experience team aims to reply" in box.messages()[1].text
    assert screening.log.strikes("facebook", "a1") == []


def test_messenger_senders_are_blocked_by_their_page_scoped_id(store):
    screening, _, _ = store
    later = [
        screening.screen(
            direct(f"m{n}", "you useless pr*cks", platform="facebook", author="p9"),
            Intent("abuse", 0.95),
            TUESDAY,
        ).later
        for n in range(3)
    ][-1]
    assert later == (Call(Operation.BLOCK_USER, "psid:p9"),)


@pytest.fixture
def platforms():
    with FakePlatforms() as fake:
        yield fake


def sender(screening, box, platforms):
    x = XClient(platforms.x_url, "ck", "cs", "at", "ats", user_id="me")
    graph = GraphClient(platforms.graph_url, "1000", "token")
    listener = ModerationListener(screening.comments, screening.log)
    deliverers = {"twitter": twitter_deliverer(x), "facebook": facebook_deliverer(graph)}
    return OutboxWorker(box, deliverers, lambda: TUESDAY, listener=listener)


def test_when_x_refuses_to_hide_a_post_with_details_its_author_is_asked_to_delete_it(
    store, platforms
):
    screening, box, _ = store
    platforms.unhideable.add("t3")
    screening.screen(mention("3", "my nino is QQ123456C", reply_to_account=True), Intent(), TUESDAY)
    worker = sender(screening, box, platforms)
    while worker.run_once():
        pass
    sent = [(c.method, c.path) for c in platforms.received()]
    assert sent == [("POST", "/2/dm_conversations/with/x1/messages"), ("POST", "/2/tweets")]
    ask = platforms.received()[1].body
    assert ask["text"].startswith("Please delete your post") and "QQ123456C" not in ask["text"]
    [hide] = [e for e in screening.log.entries() if e.action is Action.HIDE]
    assert hide.state == "failed" and not hide.undoable


def test_a_follow_made_for_a_dm_is_logged_and_staff_can_undo_it(store, platforms):
    screening, box, _ = store
    platforms.closed_dms.add("x1")
    screening.screen(
        mention("4", "when is my repair booked"), Intent("ask_repair_status", 0.9), TUESDAY
    )
    worker = sender(screening, box, platforms)
    while worker.run_once():
        pass
    [follow] = [e for e in screening.log.entries() if e.action is Action.FOLLOW]
    assert follow.author_id == "x1" and follow.undoable
    screening.log.undo(follow.id, "Sam", TUESDAY)
    assert calls(box)[-1] == (Operation.X_UNFOLLOW, "x1")


def test_with_following_off_a_refused_dm_is_only_asked_for_in_public(store):
    _, box, engine = store
    settings = ASSOCIATION.moderation.__class__(
        **{**ASSOCIATION.moderation.__dict__, "follow_to_receive_dms": False}
    )
    association = ASSOCIATION.__class__(**{**ASSOCIATION.__dict__, "moderation": settings})
    Screening(engine, box, association, CALENDAR).screen(
        mention("5", "when is my repair booked"), Intent("ask_repair_status", 0.9), TUESDAY
    )
    [dm] = [m for m in box.messages() if m.operation is Operation.X_DM]
    assert [c.operation for c in dm.fallback] == [Operation.X_REPLY]
    assert "followed" not in dm.fallback[0].text


def test_the_sweep_finds_comments_never_seen_and_only_old_ones_go(store, platforms):
    screening, box, _ = store
    for n in range(130):  # more than a page of the listing
        platforms.add_comment("post1", f"old{n}", "2026-07-01T09:30:00+0000", f"a{n}")
    platforms.add_comment("post2", "recent", "2026-11-01T09:30:00+0000", "a1")
    platforms.add_comment("post2", "ours", "2026-06-01T09:30:00+0000", "1000")
    graph = GraphClient(platforms.graph_url, "1000", "token")
    # 132 read: the 130 on post1 take a second page of the listing (100 a page).
    assert screening.comments.note_all(graph.page_comments()) == 132
    assert screening.comments.remove_old(TUESDAY) == 131
    deleted = {target for op, target in calls(box) if op is Operation.DELETE_COMMENT}
    assert "recent" not in deleted and {"old0", "old129", "ours"} <= deleted


def test_the_sweep_finds_visitors_posts_too_and_old_ones_go(store, platforms):
    screening, box, _ = store
    platforms.add_post("1000_1", "2026-07-01T09:30:00+0000", "a7")  # a visitor's, old
    platforms.add_post("1000_2", "2026-11-20T09:30:00+0000", "a8")  # a visitor's, recent
    platforms.add_post("1000_3", "2026-01-01T09:30:00+0000", "1000")  # the page's own
    platforms.add_comment("1000_3", "1000_3_9", "2026-06-01T09:30:00+0000", "a9")
    graph = GraphClient(platforms.graph_url, "1000", "token")
    assert screening.comments.note_all(graph.page_comments()) == 3
    assert screening.comments.remove_old(TUESDAY) == 2
    deleted = {target for op, target in calls(box) if op is Operation.DELETE_COMMENT}
    assert deleted == {"1000_1", "1000_3_9"}
