"""Durable intake and the outbox: nothing lost, nothing twice, in order (P12)."""

import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.events import InboundEvent, Operation
from bot.intake import FAILED, LEASE, MAX_ATTEMPTS, RENEW_EVERY, IntakeStore
from bot.keys import new_encryption_key, new_lookup_key
from bot.outbox import DEAD, PENDING, SENT, Author, Call, Outbox, OutboxListener, PlatformError
from bot.outbox_worker import OutboxWorker, backoff
from bot.platforms.facebook.delivery import OutsideWindow, facebook_deliverer, messenger_tag
from bot.platforms.facebook.graph_api import GraphClient
from bot.platforms.http import _graph_says_gone, retry_after
from bot.platforms.routing import reply_route
from bot.platforms.x.api import XClient
from bot.platforms.x.delivery import twitter_deliverer
from bot.store import connect, inbound_events
from scripts.fake_platforms import FakePlatforms
from tests.helpers import Clock, on_disk

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def event(event_id, author="u1", text="hello", platform="facebook", surface="private", **extra):
    return InboundEvent(
        platform=platform,
        kind=extra.pop("kind", "message"),
        event_id=event_id,
        surface=surface,
        author_id=author,
        text=text,
        sent_at=NOW,
        **extra,
    )


@pytest.fixture
def engine(tmp_path):
    return connect(f"sqlite:///{tmp_path / 'store.db'}")


# Intake


def test_events_are_accepted_once_whatever_the_redeliveries(engine):
    intake = IntakeStore(engine)
    assert intake.accept([event("m1"), event("m2")], NOW) == [event("m1"), event("m2")]
    assert intake.accept([event("m1"), event("m3")], NOW) == [event("m3")]
    assert intake.accept([event("m1", platform="twitter")], NOW) == [
        event("m1", platform="twitter")
    ]
    assert intake.waiting() == 4


def test_claims_come_one_per_conversation_in_order(engine):
    intake = IntakeStore(engine)
    intake.accept([event("a1", "alice"), event("a2", "alice"), event("b1", "bob")], NOW)
    first = intake.claim(NOW)
    assert [c.event.event_id for c in first] == ["a1", "b1"]
    assert intake.claim(NOW) == []  # alice's a2 waits for a1
    intake.processed(first[0].row_id, NOW)
    assert [c.event.event_id for c in intake.claim(NOW)] == ["a2"]


def test_an_event_whose_processing_was_cut_short_is_claimed_again(engine):
    intake = IntakeStore(engine, lease=timedelta(minutes=2))
    intake.accept([event("m1")], NOW)
    assert len(intake.claim(NOW)) == 1
    assert intake.claim(NOW + timedelta(minutes=1)) == []
    again = intake.claim(NOW + timedelta(minutes=3))
    assert [c.event.event_id for c in again] == ["m1"] and again[0].attempts == 2


def test_a_renewed_claim_is_not_taken_however_long_processing_lasts(engine):
    intake = IntakeStore(engine)
    intake.accept([event("m1")], NOW)
    [claimed] = intake.claim(NOW)
    at = NOW
    for _ in range(10):  # five minutes of slow processing, renewed as the runtime does
        at += RENEW_EVERY * 3
        intake.renew(claimed.row_id, at)
        assert intake.claim(at + RENEW_EVERY) == []
    # The server died: nobody renews, and within one lease the event is claimed again.
    assert [c.event.event_id for c in intake.claim(at + LEASE + RENEW_EVERY)] == ["m1"]


def test_a_crash_costs_at_most_one_short_lease():
    assert LEASE <= timedelta(seconds=30) and RENEW_EVERY * 3 <= LEASE


def test_processed_events_keep_their_ids_but_not_their_text(engine, tmp_path):
    intake = IntakeStore(engine)
    # Long enough to fill pages of its own, which SQLite frees when the text goes.
    intake.accept([event("m1", text="my date of birth is 12/04/1958. " * 200)], NOW)
    [claimed] = intake.claim(NOW)
    intake.processed(claimed.row_id, NOW)
    with engine.connect() as connection:
        row = connection.execute(select(inbound_events)).one()
    assert (row.event_id, row.state, row.event) == ("m1", "processed", None)
    assert intake.accept([event("m1")], NOW) == []
    engine.dispose()
    assert b"12/04/1958" not in on_disk(tmp_path / "store.db")


def test_an_event_that_keeps_failing_is_set_aside(engine):
    intake = IntakeStore(engine)
    intake.accept([event("m1"), event("m2")], NOW)
    at = NOW
    for _ in range(MAX_ATTEMPTS):
        [claimed] = intake.claim(at)
        intake.failed(claimed, at, "boom")
        at += timedelta(seconds=10)
    with engine.connect() as connection:
        states = [
            r.state
            for r in connection.execute(select(inbound_events).order_by(inbound_events.c.id))
        ]
    assert states == [FAILED, "accepted"]
    assert [c.event.event_id for c in intake.claim(at)] == ["m2"]


# Where replies go


@pytest.mark.parametrize(
    "inbound, route",
    [
        (event("m1", "u1"), (Operation.MESSENGER_SEND, "u1")),
        (
            event("c1", "u1", surface="public", kind="comment", comment_id="c1", post_id="p"),
            (Operation.PUBLIC_REPLY, "c1"),
        ),
        (event("e1", "u1", platform="twitter", kind="direct_message"), (Operation.X_DM, "u1")),
        (
            event("t1", "u1", platform="twitter", surface="public", kind="mention", tweet_id="t1"),
            (Operation.X_REPLY, "t1"),
        ),
        (event("s1", "u1", kind="standby"), None),
    ],
)
def test_a_reply_goes_back_the_way_the_message_came(inbound, route):
    assert reply_route(inbound) == route


@pytest.mark.parametrize(
    "author, hours, expected",
    [
        (Author.ASSISTANT, 1, None),
        (Author.ASSISTANT, 23.9, None),
        (Author.STAFF, 23, None),
        (Author.STAFF, 25, "HUMAN_AGENT"),
        (Author.STAFF, 24 * 6.9, "HUMAN_AGENT"),
    ],
)
def test_messenger_terms_follow_the_24_hour_and_7_day_windows(author, hours, expected):
    assert messenger_tag(author, NOW - timedelta(hours=hours), NOW) == expected


@pytest.mark.parametrize("author, hours", [(Author.ASSISTANT, 25), (Author.STAFF, 24 * 7.1)])
def test_outside_the_window_messenger_is_not_asked(author, hours):
    with pytest.raises(OutsideWindow):
        messenger_tag(author, NOW - timedelta(hours=hours), NOW)


def test_backoff_doubles_up_to_a_cap_and_follows_retry_after():
    assert [backoff(n, None, 1, 60).total_seconds() for n in (1, 2, 3, 7, 8)] == [1, 2, 4, 60, 60]
    assert backoff(3, 17, 1, 60) == timedelta(seconds=17)


def test_retry_after_reads_seconds_dates_and_x_resets():
    assert retry_after({"Retry-After": "30"}) == 30
    assert retry_after({"Retry-After": "Mon, 23 Nov 2026 10:00:20 GMT"}, NOW) == 20
    assert retry_after({"x-rate-limit-reset": str(int(NOW.timestamp()) + 9)}, NOW) == 9
    assert retry_after({}) is None


# The outbox against fake platforms


@pytest.fixture
def platforms():
    with FakePlatforms() as fake:
        yield fake


def worker_for(engine, platforms, clock, timeout=(1.0, 1.0)):
    graph = GraphClient(platforms.graph_url, "1000", "page-token", timeout=timeout)
    x = XClient(platforms.x_url, "ck", "cs", "at", "ats", timeout=timeout, user_id="me")
    box = Outbox(engine)
    deliverers = {"facebook": facebook_deliverer(graph), "twitter": twitter_deliverer(x)}
    return box, OutboxWorker(box, deliverers, clock)


def drain(worker, clock, seconds=0):
    while worker.run_once():
        pass
    clock.now += timedelta(seconds=seconds)


def test_every_operation_reaches_its_endpoint_in_the_documented_shape(engine, platforms):
    clock = Clock(NOW)
    box, worker = worker_for(engine, platforms, clock)
    calls = [
        ("fb", "facebook", Operation.MESSENGER_SEND, "psid1", "hi"),
        ("fb", "facebook", Operation.PRIVATE_REPLY, "c1", "let's talk in private"),
        ("fb", "facebook", Operation.PUBLIC_REPLY, "c1", "thanks, we've messaged you"),
        ("fb", "facebook", Operation.HIDE_COMMENT, "c2", None),
        ("fb", "facebook", Operation.DELETE_COMMENT, "c3", None),
        ("x", "twitter", Operation.X_DM, "u9", "hello on X"),
        ("x", "twitter", Operation.X_REPLY, "t1", "replied"),
        ("x", "twitter", Operation.X_HIDE_REPLY, "t2", None),
        ("fb", "facebook", Operation.UNHIDE_COMMENT, "c2", None),
        ("fb", "facebook", Operation.BLOCK_USER, "u7", None),
        ("fb", "facebook", Operation.UNBLOCK_USER, "u7", None),
        ("fb", "facebook", Operation.BLOCK_USER, "psid:p7", None),
        ("x", "twitter", Operation.X_UNHIDE_REPLY, "t2", None),
        ("x", "twitter", Operation.X_BLOCK, "u8", None),
        ("x", "twitter", Operation.X_UNBLOCK, "u8", None),
        ("x", "twitter", Operation.X_FOLLOW, "u9", None),
        ("x", "twitter", Operation.X_UNFOLLOW, "u9", None),
        ("x", "twitter", Operation.X_REPORT_SPAM, "u8", None),
    ]
    for n, (conversation, platform, operation, target, text) in enumerate(calls):
        box.enqueue(
            f"{conversation}{n}", platform, operation, target, NOW, text=text, user_message_at=NOW
        )
    drain(worker, clock)
    got = [(c.method, c.path, c.body) for c in platforms.received()]
    assert got == [
        (
            "POST",
            "1000/messages",
            {"recipient": {"id": "psid1"}, "messaging_type": "RESPONSE", "message": {"text": "hi"}},
        ),
        (
            "POST",
            "1000/messages",
            {"recipient": {"comment_id": "c1"}, "message": {"text": "let's talk in private"}},
        ),
        ("POST", "c1/comments", {"message": "thanks, we've messaged you"}),
        ("POST", "c2", {"is_hidden": True}),
        ("DELETE", "c3", None),
        ("POST", "/2/dm_conversations/with/u9/messages", {"text": "hello on X"}),
        ("POST", "/2/tweets", {"text": "replied", "reply": {"in_reply_to_tweet_id": "t1"}}),
        ("PUT", "/2/tweets/t2/hidden", {"hidden": True}),
        ("POST", "c2", {"is_hidden": False}),
        ("POST", "1000/blocked", {"user": ["u7"]}),
        ("DELETE", "1000/blocked", {"user": ["u7"]}),
        ("POST", "1000/blocked", {"psid": ["p7"]}),
        ("PUT", "/2/tweets/t2/hidden", {"hidden": False}),
        ("POST", "/2/users/me/blocking", {"target_user_id": "u8"}),
        ("DELETE", "/2/users/me/blocking/u8", None),
        ("POST", "/2/users/me/following", {"target_user_id": "u9"}),
        ("DELETE", "/2/users/me/following/u9", None),
        ("POST", "/1.1/users/report_spam.json", None),
    ]
    [report] = [c for c in platforms.received() if "report_spam" in c.path]
    assert report.query == {"user_id": ["u8"], "perform_block": ["false"]}
    assert all(c.query["access_token"] == ["page-token"] for c in platforms.received("facebook"))
    assert all(c.authorization.startswith("OAuth ") for c in platforms.received("twitter"))
    assert {m.state for m in box.messages()} == {SENT}


def test_a_staff_reply_after_a_day_is_tagged_human_agent(engine, platforms):
    clock = Clock(NOW)
    box, worker = worker_for(engine, platforms, clock)
    box.enqueue(
        "c",
        "facebook",
        Operation.MESSENGER_SEND,
        "psid1",
        NOW,
        text="sorry for the wait",
        author=Author.STAFF,
        user_message_at=NOW - timedelta(days=2),
    )
    box.enqueue(
        "d",
        "facebook",
        Operation.MESSENGER_SEND,
        "psid2",
        NOW,
        text="too late",
        user_message_at=NOW - timedelta(days=2),
    )
    drain(worker, clock)
    [call] = platforms.received()
    assert (call.body["messaging_type"], call.body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert [m.state for m in box.messages()] == [SENT, DEAD]


def test_a_platform_outage_delays_replies_and_loses_none_or_sends_any_twice(engine, platforms):
    clock = Clock(NOW)
    box, worker = worker_for(engine, platforms, clock)
    platforms.fail(503)
    for n in range(3):
        box.enqueue(
            "conversation",
            "facebook",
            Operation.MESSENGER_SEND,
            "psid1",
            NOW,
            text=f"reply {n}",
            user_message_at=NOW,
        )
    for _ in range(30):  # thirty seconds of outage, the worker trying as it is due
        drain(worker, clock, seconds=1)
    assert platforms.received() == []
    assert [m.state for m in box.messages()] == [PENDING] * 3
    platforms.recover()
    for _ in range(40):
        drain(worker, clock, seconds=1)
    assert platforms.texts() == ["reply 0", "reply 1", "reply 2"]
    assert [m.state for m in box.messages()] == [SENT] * 3


def test_429_waits_as_long_as_retry_after_says(engine, platforms):
    clock = Clock(NOW)
    box, worker = worker_for(engine, platforms, clock)
    platforms.fail(429, retry_after=20)
    box.enqueue("c", "twitter", Operation.X_DM, "u1", NOW, text="hi")
    worker.run_once()
    platforms.recover()
    clock.now += timedelta(seconds=19)
    assert worker.run_once() is False
    clock.now += timedelta(seconds=2)
    assert worker.run_once() is True and platforms.texts() == ["hi"]


def test_other_4xx_go_to_the_dead_letters_without_retrying(engine, platforms):
    clock = Clock(NOW)
    box, worker = worker_for(engine, platforms, clock)
    platforms.fail(400)
    box.enqueue("c", "facebook", Operation.PUBLIC_REPLY, "c1", NOW, text="x")
    box.enqueue("c", "facebook", Operation.PUBLIC_REPLY, "c1", NOW, text="y")
    worker.run_once()
    [dead] = box.messages(DEAD)
    assert dead.text is None and "HTTP 400" in box_error(engine, dead.id)  # its text sealed
    platforms.recover()
    drain(worker, clock)
    assert platforms.texts() == ["y"]  # a dead letter does not hold up the conversation


def test_a_deletion_of_what_is_gone_already_is_done_and_nothing_else_is(engine):
    # Facebook, Instagram and LinkedIn delete a comment's replies with it: a reply's own
    # deletion then finds nothing (LinkedIn's 404, the Graph API's code 100 subcode 33).
    def gone(message, now):
        raise PlatformError(f"{message.target}: HTTP 404", transient=False, gone=True)

    clock = Clock(NOW)
    box = Outbox(engine)
    worker = OutboxWorker(box, {"linkedin": gone}, clock)
    box.enqueue("c", "linkedin", Operation.DELETE_COMMENT, "urn:li:comment:(p,2)", NOW)
    box.enqueue("d", "linkedin", Operation.PUBLIC_REPLY, "urn:li:comment:(p,3)", NOW, text="x")
    drain(worker, clock)
    [deleted] = box.messages(SENT)
    assert (deleted.operation, deleted.target) == (Operation.DELETE_COMMENT, "urn:li:comment:(p,2)")
    [dead] = box.messages(DEAD)  # a reply under what is gone is refused, as before
    assert dead.operation is Operation.PUBLIC_REPLY


@pytest.mark.parametrize(
    ("answer", "gone"),
    [
        ({"error": {"code": 100, "error_subcode": 33, "message": "does not exist"}}, True),
        ({"error": {"code": 100, "message": "Invalid parameter"}}, False),
        ({"message": "Not found", "status": 404}, False),
    ],
)
def test_the_graph_apis_does_not_exist_is_read_as_gone(answer, gone):
    assert _graph_says_gone(answer) is gone


def test_a_hanging_platform_times_out_and_is_tried_again(engine, platforms):
    clock = Clock(NOW)
    box, worker = worker_for(engine, platforms, clock, timeout=(0.5, 0.5))
    platforms.hang(2)
    box.enqueue("c", "twitter", Operation.X_REPLY, "t1", NOW, text="hi")
    worker.run_once()
    assert "timed out" in box_error(engine, box.messages()[0].id)
    platforms.recover()
    clock.now += timedelta(seconds=5)
    drain(worker, clock)
    assert box.messages()[0].state == SENT
    # The fake, like a real platform, acts on the call it answered too late: the
    # message is sent again, because no call here takes an idempotency key (docs/operators.md).
    deadline = time.monotonic() + 5
    while len(platforms.texts()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert platforms.texts() == ["hi", "hi"]


def test_a_fault_of_our_own_goes_to_the_dead_letters_not_round_for_ever(engine):
    def broken(message, now):
        raise KeyError("recipient")

    clock = Clock(NOW)
    box = Outbox(engine)
    worker = OutboxWorker(box, {"twitter": broken}, clock)
    box.enqueue("c", "twitter", Operation.X_DM, "u1", NOW, text="hi")
    assert worker.run_once()
    [dead] = box.messages(DEAD)
    assert "KeyError" in box_error(engine, dead.id)
    assert not worker.run_once()


def test_in_order_within_a_conversation_while_others_go_ahead(engine, platforms):
    clock = Clock(NOW)
    box, worker = worker_for(engine, platforms, clock)
    box.enqueue("slow", "twitter", Operation.X_DM, "u1", NOW, text="first")
    box.enqueue("slow", "twitter", Operation.X_DM, "u1", NOW, text="second")
    box.enqueue("other", "twitter", Operation.X_DM, "u2", NOW, text="other")
    platforms.fail(503)
    worker.run_once()  # "first" fails and waits
    platforms.recover()
    drain(worker, clock)
    assert platforms.texts() == ["other"]  # "second" waits behind "first"
    clock.now += timedelta(seconds=2)
    drain(worker, clock)
    assert platforms.texts() == ["other", "first", "second"]


def test_a_reply_stored_twice_under_one_key_is_sent_once(engine, platforms):
    clock = Clock(NOW)
    box, worker = worker_for(engine, platforms, clock)
    assert box.enqueue("c", "twitter", Operation.X_DM, "u1", NOW, text="hi", dedupe_key="k1")
    assert (
        box.enqueue("c", "twitter", Operation.X_DM, "u1", NOW, text="hi!", dedupe_key="k1") is None
    )
    drain(worker, clock)
    assert platforms.texts() == ["hi"]


def test_two_workers_never_send_the_same_message(engine, platforms):
    clock = Clock(NOW)
    box, first = worker_for(engine, platforms, clock)
    _, second = worker_for(engine, platforms, clock)
    for n in range(6):
        box.enqueue(f"c{n}", "twitter", Operation.X_DM, "u1", NOW, text=f"m{n}")
    while first.run_once() | second.run_once():
        pass
    assert sorted(platforms.texts()) == [f"m{n}" for n in range(6)]


def box_error(engine, message_id):
    from bot.store import outbox

    with engine.connect() as connection:
        return connection.execute(
            select(outbox.c.last_error).where(outbox.c.id == message_id)
        ).scalar()


def test_a_refused_call_is_followed_by_its_fallback_and_the_listener_told(engine, platforms):
    told = []

    class Listener(OutboxListener):
        def sent(self, message, platform_id, now):
            told.append(("sent", message.operation, platform_id))

        def refused(self, message, error, now):
            told.append(("refused", message.operation, "HTTP 403" in str(error)))

    clock = Clock(NOW)
    x = XClient(platforms.x_url, "ck", "cs", "at", "ats", user_id="me")
    box = Outbox(engine)
    worker = OutboxWorker(box, {"twitter": twitter_deliverer(x)}, clock, listener=Listener())
    platforms.closed_dms.add("u5")
    ask = "Please send us a direct message (we've followed you so that you can)."
    box.enqueue(
        "x-public-u5",
        "twitter",
        Operation.X_DM,
        "u5",
        NOW,
        text="let's talk here",
        fallback=[Call(Operation.X_FOLLOW, "u5"), Call(Operation.X_REPLY, "t5", ask)],
    )
    box.enqueue(
        "x-public-u6",
        "twitter",
        Operation.X_DM,
        "u6",
        NOW,
        text="open DMs",
        fallback=[Call(Operation.X_FOLLOW, "u6")],
    )
    drain(worker, clock)
    got = [(c.method, c.path, c.body) for c in platforms.received()]
    assert got == [
        ("POST", "/2/dm_conversations/with/u6/messages", {"text": "open DMs"}),
        ("POST", "/2/users/me/following", {"target_user_id": "u5"}),
        ("POST", "/2/tweets", {"text": ask, "reply": {"in_reply_to_tweet_id": "t5"}}),
    ]
    assert [m.state for m in box.messages()] == [DEAD, SENT, SENT, SENT]
    assert ("refused", Operation.X_DM, True) in told
    assert [t[0] for t in told].count("sent") == 3


class settings_with_keys:  # noqa: N801 (stands for the Settings class)
    """Settings from the environment, with keys for the store (P9)."""

    @staticmethod
    def from_env():
        from bot.settings import Settings

        return replace(
            Settings.from_env(),
            encryption_keys=(new_encryption_key(),),
            lookup_key=new_lookup_key(),
        )


def test_staff_see_the_dead_letters_and_can_send_one_again(engine, platforms, monkeypatch, capsys):
    from scripts import outbox as command

    clock = Clock(NOW)
    box, worker = worker_for(engine, platforms, clock)
    platforms.fail(400)
    box.enqueue("c", "facebook", Operation.PUBLIC_REPLY, "c1", NOW, text="thanks")
    worker.run_once()
    platforms.recover()
    monkeypatch.setattr(command, "connect", lambda url, keys: engine)  # the keys it ran with
    monkeypatch.setattr(command, "Settings", settings_with_keys)
    assert command.main(["dead"]) == 0
    listed = capsys.readouterr().out
    assert "public_reply" in listed and "HTTP 400" in listed and "thanks" not in listed
    [dead] = box.messages(DEAD)
    assert command.main(["send-again", str(dead.id)]) == 0
    assert command.main(["send-again", str(dead.id)]) == 2  # no longer dead
    clock.now = datetime.now(timezone.utc)
    drain(worker, clock)
    assert platforms.texts() == ["thanks"] and box.messages()[0].state == SENT
