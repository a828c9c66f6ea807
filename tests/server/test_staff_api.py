"""The staff API through Sanic's test client: tokens, ordering, each action, the reply
routes and windows, errors with reasons, and the audit. Rasa is a small fake that keeps
trackers as its HTTP API returns them; the store and the outbox are real."""

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from bot.console.app import create_app
from bot.console.tokens import TokensError, load_tokens
from bot.events import Operation
from bot.handoff.audit import HandoffAudit
from bot.handoff.desk import StaffDesk
from bot.handoff.handoffs import Conversation, Reason, State
from bot.handoff.service import HandoffService
from bot.moderation.log import Action, ModerationLog, Subject
from bot.outbox import Author, Outbox
from bot.platforms.x.text import weighted_length
from bot.store import connect, linked_accounts
from scripts.processes import store_keys_from
from tests.helpers import CALENDAR, ROOT, TEAMS, Clock

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # a Monday, in hours
SAM, PRIYA = "sam-token-0123456789abcdef", "priya-token-0123456789abcdef"
TOKENS = load_tokens(f"Sam:{SAM},Priya:{PRIYA}", None)


class FakeRasa:
    """Rasa's conversation endpoints, as RasaConversations calls them."""

    def __init__(self):
        self.trackers = {}

    def tracker(self, conversation_id):
        return self.trackers.get(
            conversation_id, {"sender_id": conversation_id, "events": [], "paused": False}
        )

    def append(self, conversation_id, events):
        tracker = self.tracker(conversation_id)
        for event in events:
            tracker["events"].append(event)
            if event["event"] in ("pause", "resume"):
                tracker["paused"] = event["event"] == "pause"
        self.trackers[conversation_id] = tracker
        return tracker

    def resume(self, conversation_id):
        return self.append(conversation_id, [{"event": "resume"}])

    def tenant_wrote(self, conversation_id, text, at, **metadata):
        event = {"event": "user", "text": text, "timestamp": at.timestamp(), "metadata": metadata}
        self.append(conversation_id, [event, {"event": "pause"}])


@pytest.fixture()
def world(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    rasa, outbox, clock = FakeRasa(), Outbox(engine), Clock(NOW)
    desk = StaffDesk(engine, outbox, rasa, TEAMS)
    app = create_app(desk, TOKENS, clock=clock, name="console_test")
    service = HandoffService(engine, CALENDAR, TEAMS)
    return {
        "app": app,
        "rasa": rasa,
        "outbox": outbox,
        "service": service,
        "engine": engine,
        "clock": clock,
        "audit": HandoffAudit(engine),
    }


async def call(world, method, path, token=SAM, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    client = world["app"].asgi_client
    _, response = await getattr(client, method)(path, headers=headers, **kwargs)
    return response


def messenger_tenant(world, psid="psid-1", wrote_at=NOW - timedelta(minutes=5)):
    conversation_id = f"facebook-private-{psid}"
    world["rasa"].tenant_wrote(conversation_id, "can I talk to a person", wrote_at)
    conversation = Conversation(conversation_id, "facebook", "private", psid)
    return world["service"].open(Reason.REQUEST_HUMAN, conversation, wrote_at)


# Tokens.


@pytest.mark.parametrize("token", [None, "not-a-staff-token-at-all", SAM[:-1], SAM + "x"])
async def test_without_a_staff_token_nothing_is_shown_or_done(world, token):
    handoff = messenger_tenant(world)
    for method, path, body in [
        ("get", "/api/handoffs", None),
        ("get", f"/api/handoffs/{handoff.id}/thread?unmask=1", None),
        ("post", f"/api/handoffs/{handoff.id}/take", None),
        ("post", f"/api/handoffs/{handoff.id}/reply", {"text": "hello"}),
        ("post", f"/api/handoffs/{handoff.id}/hand-back", None),
    ]:
        extra = {"json": body} if body is not None else {}
        response = await call(world, method, path, token=token, **extra)
        assert response.status == 401
        assert "staff token" in response.json["error"]
    assert world["outbox"].messages() == []
    assert world["audit"].entries() == []


async def test_the_wrong_scheme_is_refused(world):
    client = world["app"].asgi_client
    _, response = await client.get("/api/handoffs", headers={"Authorization": f"Basic {SAM}"})
    assert response.status == 401


def test_no_tokens_configured_is_refused_with_the_fix():
    with pytest.raises(TokensError, match="STAFF_API_TOKENS"):
        load_tokens(None, None)
    with pytest.raises(TokensError, match="shorter"):
        load_tokens("Sam:short", None)


def test_tokens_are_read_from_a_file(tmp_path):
    path = tmp_path / "tokens"
    path.write_text(f"# staff\nSam:{SAM}\n\nPriya:{PRIYA}\n")
    assert load_tokens(None, path) == {SAM: "Sam", PRIYA: "Priya"}


# The queue and one handoff.


async def test_the_list_puts_emergencies_on_top_then_what_is_due_first(world):
    service = world["service"]
    later = service.open(Reason.COMPLAINT, Conversation("facebook-private-a"), NOW)
    earlier = service.open(
        Reason.REQUEST_HUMAN, Conversation("facebook-private-b"), NOW - timedelta(hours=1)
    )
    urgent = service.open(
        Reason.EMERGENCY, Conversation("facebook-private-c"), NOW + timedelta(minutes=5)
    )
    response = await call(world, "get", "/api/handoffs")
    assert response.status == 200
    listed = response.json["handoffs"]
    assert [h["id"] for h in listed] == [urgent.id, earlier.id, later.id]
    assert listed[0]["priority"] == "urgent" and listed[0]["team"] == "Repairs"
    assert listed[0]["deadlines"]["acknowledge"]["due"] == (NOW + timedelta(minutes=35)).isoformat()


async def test_a_handoff_shows_its_summary_redacted(world):
    conversation = Conversation("facebook-private-p9", "facebook", "private", "p9")
    handoff = world["service"].open(
        Reason.COMPLAINT, conversation, NOW, intent="make_complaint", words="ring 07700 900123"
    )
    response = await call(world, "get", f"/api/handoffs/{handoff.id}")
    assert response.json["summary"] == {
        "reason": "complaint",
        "intent": "make_complaint",
        "words": "ring [phone]",
        "details": {},
    }


async def test_an_unknown_handoff_is_404_with_a_reason(world):
    response = await call(world, "post", "/api/handoffs/no-such/take")
    assert response.status == 404
    assert response.json == {"error": "no handoff no-such"}


# Take, transfer.


async def test_take_then_another_cannot_take_it(world):
    handoff = messenger_tenant(world)
    taken = await call(world, "post", f"/api/handoffs/{handoff.id}/take")
    assert (taken.status, taken.json["state"], taken.json["taken_by"]) == (200, "taken", "Sam")
    again = await call(world, "post", f"/api/handoffs/{handoff.id}/take", token=PRIYA)
    assert again.status == 409
    assert "already taken by Sam" in again.json["error"]


async def test_transfer_to_a_configured_team_only(world):
    handoff = messenger_tenant(world)
    unknown = await call(world, "post", f"/api/handoffs/{handoff.id}/transfer", json={"team": "IT"})
    assert unknown.status == 422 and "Neighbourhoods" in unknown.json["error"]
    bad = await call(world, "post", f"/api/handoffs/{handoff.id}/transfer", data="not json")
    assert bad.status == 422
    moved = await call(
        world, "post", f"/api/handoffs/{handoff.id}/transfer", json={"team": "Neighbourhoods"}
    )
    assert (moved.status, moved.json["team"], moved.json["state"]) == (
        200,
        "Neighbourhoods",
        "waiting",
    )
    [entry] = [e for e in world["audit"].entries(handoff.id) if e.action == "transfer"]
    assert (entry.staff, entry.details) == (
        "Sam",
        {"from": "Communications", "to": "Neighbourhoods"},
    )


# Reply.


def delivered(world):
    """The platform takes every queued staff reply now, as the outbox worker reports it."""
    from bot.handoff.desk import StaffReplyListener

    listener = StaffReplyListener(world["engine"])
    for message in world["outbox"].messages("pending"):
        listener.sent(message, f"m-{message.id}", world["clock"].now)


async def test_a_reply_goes_to_messenger_as_staff_and_acknowledges_the_handoff(world):
    handoff = messenger_tenant(world)
    world["clock"].now = NOW + timedelta(minutes=20)
    response = await call(
        world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": "Hi, it's Sam here."}
    )
    assert response.status == 200
    delivered(world)
    response = await call(world, "get", f"/api/handoffs/{handoff.id}")
    assert response.json["deadlines"]["acknowledge"] == {
        "due": handoff.acknowledge_by.astimezone(timezone.utc).isoformat(),
        "done_at": (NOW + timedelta(minutes=20)).isoformat(),
        "met": True,
    }
    assert response.json["state"] == "answered"
    [sent] = world["outbox"].messages()
    assert (sent.operation, sent.target, sent.text, sent.author) == (
        Operation.MESSENGER_SEND,
        "psid-1",
        "Hi, it's Sam here.",
        Author.STAFF,
    )
    assert sent.conversation_id == "facebook-private-psid-1"
    # In the tenant's conversation, marked as a person's.
    event = world["rasa"].trackers["facebook-private-psid-1"]["events"][-1]
    assert (event["event"], event["text"]) == ("bot", "Hi, it's Sam here.")
    assert event["metadata"]["author"] == "staff" and event["metadata"]["staff"] == "Sam"
    [entry] = [e for e in world["audit"].entries(handoff.id) if e.action == "reply"]
    assert "Hi" not in str(entry.details)


async def test_a_reply_past_messengers_seven_days_is_refused_and_nothing_is_sent(world):
    handoff = messenger_tenant(world, wrote_at=NOW - timedelta(days=7, minutes=1))
    events_before = list(world["rasa"].trackers["facebook-private-psid-1"]["events"])
    response = await call(world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": "Hi"})
    assert response.status == 422
    assert "7 days" in response.json["error"]
    assert world["outbox"].messages() == []
    assert world["rasa"].trackers["facebook-private-psid-1"]["events"] == events_before
    assert world["service"].repository.get(handoff.id).acknowledged_at is None


async def test_a_reply_after_a_day_still_goes_with_the_human_agent_window(world):
    handoff = messenger_tenant(world, wrote_at=NOW - timedelta(days=3))
    response = await call(world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": "Hi"})
    assert response.status == 200
    [sent] = world["outbox"].messages()
    assert sent.user_message_at == NOW - timedelta(days=3)


async def test_a_holding_message_acknowledges_but_leaves_the_reply_due(world):
    handoff = messenger_tenant(world)
    response = await call(
        world,
        "post",
        f"/api/handoffs/{handoff.id}/reply",
        json={"text": "We're looking into it", "holding": True},
    )
    delivered(world)
    response = await call(world, "get", f"/api/handoffs/{handoff.id}")
    assert response.json["deadlines"]["acknowledge"]["met"] is True
    assert response.json["deadlines"]["reply"]["done_at"] is None
    assert response.json["due"] == handoff.reply_by.astimezone(timezone.utc).isoformat()


@pytest.mark.parametrize("body", [{}, {"text": "   "}, {"text": 7}, {"text": "hi", "holding": 1}])
async def test_a_reply_without_text_is_refused(world, body):
    handoff = messenger_tenant(world)
    response = await call(world, "post", f"/api/handoffs/{handoff.id}/reply", json=body)
    assert response.status == 422


async def test_a_public_commenter_not_in_messenger_is_answered_under_their_comment(world):
    public = "facebook-public-commenter-1"
    world["rasa"].tenant_wrote(public, "awful service", NOW, comment_id="c-77", post_id="p-1")
    handoff = world["service"].open(
        Reason.NEGATIVE_PUBLIC_COMMENT,
        Conversation(public, "facebook", "public", "commenter-1"),
        NOW,
    )
    personal = await call(
        world,
        "post",
        f"/api/handoffs/{handoff.id}/reply",
        json={"text": "Call Sam on 07700 900123"},
    )
    assert personal.status == 422 and "phone" in personal.json["error"]
    response = await call(
        world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": "Sorry: please DM us"}
    )
    assert response.status == 200
    [sent] = world["outbox"].messages()
    assert (sent.operation, sent.target) == (Operation.PUBLIC_REPLY, "c-77")


async def test_a_linkedin_reply_is_answered_under_its_comment(world):
    # LinkedIn nests replies one level deep: staff answer under the comment replied to.
    public = "linkedin-public-urn:li:person:m4"
    parent, reply = "urn:li:comment:(urn:li:share:1,70)", "urn:li:comment:(urn:li:share:1,71)"
    world["rasa"].tenant_wrote(
        public, "same here", NOW, comment_id=reply, parent_id=parent, post_id="urn:li:share:1"
    )
    handoff = world["service"].open(
        Reason.NEGATIVE_PUBLIC_COMMENT,
        Conversation(public, "linkedin", "public", "urn:li:person:m4"),
        NOW,
    )
    path = f"/api/handoffs/{handoff.id}/reply"
    assert (await call(world, "post", path, json={"text": "Sorry: please call us"})).status == 200
    [sent] = world["outbox"].messages()
    assert (sent.operation, sent.target) == (Operation.PUBLIC_REPLY, parent)


@pytest.mark.parametrize(
    "platform, comment",
    [
        ("instagram", "17895001"),
        ("youtube", "Ugx77"),
        ("linkedin", "urn:li:comment:(urn:li:share:1,77)"),
    ],
)
async def test_no_reply_goes_under_a_comment_taken_down_where_the_platform_refuses_it(
    world, platform, comment
):
    public = f"{platform}-public-commenter-3"
    world["rasa"].tenant_wrote(public, "awful service", NOW, comment_id=comment, post_id="p-1")
    handoff = world["service"].open(
        Reason.NEGATIVE_PUBLIC_COMMENT, Conversation(public, platform, "public", "commenter-3"), NOW
    )
    log = ModerationLog(world["engine"], world["outbox"])
    hidden = log.record(
        NOW, Subject(platform, "commenter-3", public, comment), Action.HIDE, "staff named (P7)"
    )
    path = f"/api/handoffs/{handoff.id}/reply"
    refused = await call(world, "post", path, json={"text": "Sorry: please call us"})
    assert refused.status == 422 and "taken down" in refused.json["error"]
    assert world["outbox"].messages() == []
    if platform == "linkedin":
        return  # a deletion is not undone
    log.undo(hidden, "Sam", NOW)
    answered = await call(world, "post", path, json={"text": "Sorry: please call us"})
    assert answered.status == 200
    assert [m.operation for m in world["outbox"].messages()][-1] is Operation.PUBLIC_REPLY


async def test_a_reply_still_goes_under_a_hidden_facebook_comment(world):
    public = "facebook-public-commenter-4"
    world["rasa"].tenant_wrote(public, "awful service", NOW, comment_id="c-78", post_id="p-1")
    handoff = world["service"].open(
        Reason.NEGATIVE_PUBLIC_COMMENT,
        Conversation(public, "facebook", "public", "commenter-4"),
        NOW,
    )
    ModerationLog(world["engine"], world["outbox"]).record(
        NOW, Subject("facebook", "commenter-4", public, "c-78"), Action.HIDE, "staff named (P7)"
    )
    response = await call(world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": "Hi"})
    assert response.status == 200
    [sent] = world["outbox"].messages()
    assert (sent.operation, sent.target) == (Operation.PUBLIC_REPLY, "c-78")


async def test_a_linked_commenter_is_answered_in_messenger(world):
    public, private = "facebook-public-commenter-2", "facebook-private-psid-2"
    world["rasa"].tenant_wrote(public, "awful service", NOW - timedelta(hours=1), comment_id="c-1")
    world["rasa"].tenant_wrote(private, "here are the details", NOW)
    with world["engine"].begin() as connection:
        connection.execute(
            insert(linked_accounts).values(
                platform="facebook", public_id="commenter-2", private_id="psid-2"
            )
        )
    handoff = world["service"].open(
        Reason.NEGATIVE_PUBLIC_COMMENT,
        Conversation(public, "facebook", "public", "commenter-2"),
        NOW - timedelta(hours=1),
    )
    response = await call(world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": "Hi"})
    assert response.status == 200
    [sent] = world["outbox"].messages()
    assert (sent.operation, sent.target, sent.conversation_id) == (
        Operation.MESSENGER_SEND,
        "psid-2",
        private,
    )


async def test_a_public_tenant_on_x_is_answered_by_dm(world):
    public = "twitter-public-u-5"
    world["rasa"].tenant_wrote(public, "@brookfield still no heating", NOW, tweet_id="t-9")
    handoff = world["service"].open(
        Reason.NEGATIVE_PUBLIC_COMMENT, Conversation(public, "twitter", "public", "u-5"), NOW
    )
    response = await call(world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": "Hi"})
    assert response.status == 200
    [sent] = world["outbox"].messages()
    assert (sent.operation, sent.target, sent.conversation_id) == (
        Operation.X_DM,
        "u-5",
        "twitter-private-u-5",
    )
    assert [(c.operation, c.target) for c in sent.fallback] == [(Operation.X_REPLY, "t-9")]


def x_public_tenant(world, author="u-5", tweet="t-9"):
    public = f"twitter-public-{author}"
    world["rasa"].tenant_wrote(public, "@brookfield still no heating", NOW, tweet_id=tweet)
    conversation = Conversation(public, "twitter", "public", author)
    return world["service"].open(Reason.NEGATIVE_PUBLIC_COMMENT, conversation, NOW)


# A link X counts as 23 however long it is; 330 characters, 23 + 27 on X.
LONG_LINK = "https://www.brookfield-homes.example/repairs/heating/" + "r" * 250 + "?ref=staff"


async def test_a_reply_on_x_is_counted_as_x_counts_it_so_a_long_link_fits_a_post(world):
    handoff = x_public_tenant(world)
    text = f"Booked for Thursday: {LONG_LINK}"
    assert len(text) > 280 and weighted_length(text) <= 280
    response = await call(world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": text})
    assert response.status == 200, response.json
    [sent] = world["outbox"].messages()
    assert (sent.operation, sent.text) == (Operation.X_DM, text)
    # Their DMs closed, it still reaches them under their post.
    assert [(c.operation, c.target, c.text or sent.text) for c in sent.fallback] == [
        (Operation.X_REPLY, "t-9", text)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "a" * 250 + " more at " + LONG_LINK,  # 282 on X: too long for a post
        "I've booked the plumber for Thursday; call Sam on 07700 900123 if it's not fixed",
    ],
)
async def test_a_reply_on_x_that_cannot_be_posted_goes_by_dm_with_a_short_public_fallback(
    world, text
):
    handoff = x_public_tenant(world)
    response = await call(world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": text})
    assert response.status == 200, response.json
    [sent] = world["outbox"].messages()
    assert (sent.operation, sent.target, sent.text) == (Operation.X_DM, "u-5", text)
    # Their DMs closed: a short post under theirs asks them to open them, with no
    # personal details and not the long text.
    [fallback] = sent.fallback
    assert (fallback.operation, fallback.target) == (Operation.X_REPLY, "t-9")
    assert fallback.text and "DM" in fallback.text and weighted_length(fallback.text) <= 280
    assert "07700" not in fallback.text and fallback.text != text


async def test_a_reply_on_x_longer_than_a_dm_is_refused(world):
    handoff = x_public_tenant(world)
    response = await call(
        world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": "a" * 10_001}
    )
    assert response.status == 422 and "10000" in response.json["error"]
    assert world["outbox"].messages() == []


async def test_a_handoff_with_no_platform_conversation_cannot_be_replied_to(world):
    handoff = world["service"].open(
        Reason.IDENTITY_CHECK_FAILED, Conversation("tenancy:TEN-450091", "tenancy"), NOW
    )
    response = await call(world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": "Hi"})
    assert response.status == 422 and "on their file" in response.json["error"]


# Hand back, close, thread.


async def test_hand_back_resumes_every_conversation_of_the_tenant(world):
    public, private = "twitter-public-u-8", "twitter-private-u-8"
    world["rasa"].tenant_wrote(public, "@brookfield help", NOW, tweet_id="t-1")
    world["rasa"].tenant_wrote(private, "it's me from the tweet", NOW)
    handoff = world["service"].open(
        Reason.REQUEST_HUMAN, Conversation(public, "twitter", "public", "u-8"), NOW
    )
    response = await call(world, "post", f"/api/handoffs/{handoff.id}/hand-back")
    assert (response.status, response.json["state"]) == (200, "handed_back")
    assert not world["rasa"].trackers[public]["paused"]
    assert not world["rasa"].trackers[private]["paused"]
    again = await call(world, "post", f"/api/handoffs/{handoff.id}/hand-back")
    assert again.status == 409 and "handed_back" in again.json["error"]
    closed = await call(world, "post", f"/api/handoffs/{handoff.id}/close")
    assert closed.status == 409


async def test_close_ends_the_handoff_and_the_assistant_answers_again(world):
    handoff = messenger_tenant(world)
    response = await call(world, "post", f"/api/handoffs/{handoff.id}/close")
    assert (response.status, response.json["state"]) == (200, "closed")
    assert not world["rasa"].trackers["facebook-private-psid-1"]["paused"]
    listed = await call(world, "get", "/api/handoffs")
    assert listed.json["handoffs"] == []


async def test_the_thread_is_masked_unless_asked_and_each_unmasking_is_audited(world):
    conversation_id = "facebook-private-psid-3"
    world["rasa"].tenant_wrote(conversation_id, "my number is 07700 900123", NOW)
    handoff = world["service"].open(
        Reason.REQUEST_HUMAN, Conversation(conversation_id, "facebook", "private", "psid-3"), NOW
    )
    masked = await call(world, "get", f"/api/handoffs/{handoff.id}/thread")
    assert masked.status == 200
    assert [m["text"] for m in masked.json["messages"]] == ["my number is [phone]"]
    assert masked.json["messages"][0]["author"] == "tenant"
    shown = await call(world, "get", f"/api/handoffs/{handoff.id}/thread?unmask=1", token=PRIYA)
    assert [m["text"] for m in shown.json["messages"]] == ["my number is 07700 900123"]
    actions = [(e.staff, e.action) for e in world["audit"].entries(handoff.id)]
    assert actions == [("Sam", "read_thread"), ("Priya", "unmask_thread")]


async def test_every_action_is_audited_with_who_and_when(world):
    handoff = messenger_tenant(world)
    path = f"/api/handoffs/{handoff.id}"
    await call(world, "get", "/api/handoffs")
    await call(world, "get", path)
    await call(world, "post", f"{path}/take")
    await call(world, "post", f"{path}/reply", json={"text": "On it"})
    await call(world, "post", f"{path}/transfer", json={"team": "Repairs"}, token=PRIYA)
    await call(world, "post", f"{path}/hand-back", token=PRIYA)
    entries = world["audit"].entries()
    assert [(e.staff, e.action) for e in entries] == [
        ("Sam", "list"),
        ("Sam", "view"),
        ("Sam", "take"),
        ("Sam", "reply"),
        ("Priya", "transfer"),
        ("Priya", "hand_back"),
    ]
    assert all(e.at == NOW for e in entries)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "STAFF_API_TOKENS"),
        # P9: outside development, Rasa's token is never made up.
        # Empty, not unset: a .env in the checkout (make run writes one) must not fill it in.
        (
            {"STAFF_API_TOKENS": f"Sam:{SAM}", "ASSISTANT_ENV": "production", "RASA_API_TOKEN": ""},
            "RASA_API_TOKEN",
        ),
    ],
)
def test_the_server_refuses_to_start_without_its_tokens_and_says_which(tmp_path, env, says):
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("STAFF_API", "RASA_API"))}
    keep.update(store_keys_from(keep))
    started = subprocess.run(
        [sys.executable, "-m", "bot.console"],
        cwd=ROOT,
        env={**keep, "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 2
    assert "cannot start" in started.stderr and says in started.stderr


# Two staff at once, and a handoff that changes while a reply is made.


def test_two_staff_taking_at_once_one_gets_it_and_the_other_is_told_who(world, monkeypatch):
    import threading

    from bot.handoff import handoffs as records
    from bot.handoff.handoffs import TransitionError

    handoff = messenger_tenant(world)
    desk = StaffDesk(world["engine"], world["outbox"], world["rasa"], TEAMS)
    both_read = threading.Barrier(2)
    read = records._locked

    def read_then_wait(connection, handoff_id):
        # Each take reads the handoff, then waits (up to a second) for the other to
        # read it too: the window in which both could see it waiting.
        found = read(connection, handoff_id)
        try:
            both_read.wait(timeout=1)
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(records, "_locked", read_then_wait)
    results = {}

    def take(staff):
        try:
            results[staff] = desk.take(staff, handoff.id, NOW).taken_by
        except TransitionError as error:
            results[staff] = error

    threads = [threading.Thread(target=take, args=(staff,)) for staff in ("Sam", "Priya")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    [winner] = [staff for staff, result in results.items() if isinstance(result, str)]
    [loser] = [staff for staff in results if staff != winner]
    assert results[winner] == winner
    assert f"already taken by {winner}" in str(results[loser])
    assert world["service"].repository.get(handoff.id).taken_by == winner
    takes = [e.staff for e in world["audit"].entries(handoff.id) if e.action == "take"]
    assert takes == [winner]


async def test_a_reply_to_a_handoff_closed_meanwhile_is_neither_sent_nor_kept(world):
    handoff = messenger_tenant(world)
    rasa, repository = world["rasa"], world["service"].repository
    read = rasa.tracker

    def closed_by_a_colleague_while_read(conversation_id):
        # Priya closes the handoff while the reply's route is being worked out.
        if repository.get(handoff.id).state.value != "closed":
            repository.move(handoff.id, State.CLOSED, NOW, staff="Priya")
        return read(conversation_id)

    rasa.tracker = closed_by_a_colleague_while_read
    response = await call(world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": "Hi"})
    assert response.status == 409 and "closed" in response.json["error"]
    assert world["outbox"].messages() == []
    events = rasa.trackers["facebook-private-psid-1"]["events"]
    assert not [e for e in events if e["event"] == "bot"]


# A reply counts when the platform takes it.


async def test_a_reply_acknowledges_when_sent_and_one_refused_for_good_leaves_it_due(world):
    from bot.handoff.desk import StaffReplyListener
    from bot.outbox import PlatformError

    listener = StaffReplyListener(world["engine"])
    repository = world["service"].repository
    handoff = messenger_tenant(world)
    queued = await call(world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": "Hi"})
    assert queued.status == 200
    # Queued, not yet sent: nothing is acknowledged, it is still due.
    assert queued.json["deadlines"]["acknowledge"]["done_at"] is None
    assert queued.json["due"] == handoff.acknowledge_by.astimezone(timezone.utc).isoformat()
    [message] = world["outbox"].messages()
    listener.refused(message, PlatformError("(#10) outside the allowed window", False), NOW)
    refused = repository.get(handoff.id)
    assert refused.acknowledged_at is None and refused.replied_at is None
    assert refused.due == handoff.acknowledge_by
    shown = await call(world, "get", f"/api/handoffs/{handoff.id}")
    assert "outside the allowed window" in shown.json["reply_failed"]
    [failed] = [e for e in world["audit"].entries(handoff.id) if e.action == "reply_refused"]
    assert failed.staff == "Sam" and "outside the allowed window" in failed.details["error"]

    world["clock"].now = NOW + timedelta(minutes=10)
    again = await call(world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": "Hi!"})
    assert again.status == 200
    message = world["outbox"].messages()[-1]
    listener.sent(message, "m-1", NOW + timedelta(minutes=11))
    sent = await call(world, "get", f"/api/handoffs/{handoff.id}")
    assert (
        sent.json["deadlines"]["acknowledge"]["done_at"]
        == (NOW + timedelta(minutes=11)).isoformat()
    )
    assert sent.json["deadlines"]["reply"]["met"] is True
    assert (sent.json["state"], sent.json["reply_failed"]) == ("answered", None)


async def test_a_commenter_whose_messenger_is_past_seven_days_is_answered_under_their_comment(
    world,
):
    public, private = "facebook-public-commenter-4", "facebook-private-psid-4"
    world["rasa"].tenant_wrote(private, "old question", NOW - timedelta(days=8))
    world["rasa"].tenant_wrote(public, "still waiting", NOW - timedelta(hours=1), comment_id="c-4")
    with world["engine"].begin() as connection:
        connection.execute(
            insert(linked_accounts).values(
                platform="facebook", public_id="commenter-4", private_id="psid-4"
            )
        )
    handoff = world["service"].open(
        Reason.NEGATIVE_PUBLIC_COMMENT,
        Conversation(public, "facebook", "public", "commenter-4"),
        NOW - timedelta(hours=1),
    )
    response = await call(world, "post", f"/api/handoffs/{handoff.id}/reply", json={"text": "Hi"})
    assert response.status == 200, response.json
    [sent] = world["outbox"].messages()
    assert (sent.operation, sent.target, sent.conversation_id) == (
        Operation.PUBLIC_REPLY,
        "c-4",
        public,
    )
