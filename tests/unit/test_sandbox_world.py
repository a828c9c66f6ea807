"""The sandbox's world and its stand-in for the Graph and X APIs: what a tenant would
see after each call the assistant's outbox makes (P5, P6, P7, P8)."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from bot.sandbox.mode import ACCOUNT_ID, PAGE_ID
from bot.sandbox.standin import Credentials, StandIn
from bot.sandbox.world import MAX_NOTICES, MAX_PUBLIC, MAX_THREAD, Author, Pane, World

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
TOKEN = "sandbox-page-token"
CREDENTIALS = Credentials(TOKEN, "ck", "at", ACCOUNT_ID)
OAUTH = 'OAuth oauth_consumer_key="ck", oauth_token="at", oauth_signature="c2lnbg%3D%3D"'
AUTH = {"access_token": [TOKEN]}


@pytest.fixture
def world():
    return World(lambda: NOW)


@pytest.fixture
def standin(world):
    return StandIn(world, CREDENTIALS, "http://127.0.0.1:5080/sandbox-api/graph/v19.0")


def comment_of(view, comment_id):
    for post in view.posts:
        for comment, replies in post.comments:
            if comment.id == comment_id:
                return comment, replies
    raise AssertionError(comment_id)


def test_a_hidden_comment_disappears_and_its_author_gets_the_private_reply(world, standin):
    comment = world.comment("margaret", "post-bins", "ring me on 07700 900123")
    assert standin.graph("POST", comment.id, AUTH, {"is_hidden": True}) == (
        200,
        {"success": True},
    )
    status, answer = standin.graph(
        "POST",
        f"{PAGE_ID}/messages",
        AUTH,
        {"recipient": {"comment_id": comment.id}, "message": {"text": "We hid your comment"}},
    )
    # The Send API names the commenter's Messenger id, so that the threads link.
    margaret = world.persona("margaret")
    assert status == 200 and answer["recipient_id"] == margaret.psid
    view = world.view()
    hidden, _ = comment_of(view, comment.id)
    assert hidden.hidden and view.removed() == [hidden]
    [inbox] = view.messenger
    assert inbox.persona == "margaret"
    assert [(i.author, i.text) for i in inbox.items] == [(Author.ASSISTANT, "We hid your comment")]


def test_a_deleted_comment_leaves_the_graph_listing(world, standin):
    comment = world.comment("public", "post-garden", "spam spam")
    assert (
        standin.graph("GET", "post-garden/comments", AUTH, None)[1]["data"][0]["id"] == comment.id
    )
    assert standin.graph("DELETE", comment.id, AUTH, None)[0] == 200
    assert standin.graph("GET", "post-garden/comments", AUTH, None)[1]["data"] == []
    assert comment_of(world.view(), comment.id)[0].deleted


def test_a_public_reply_sits_under_the_comment(world, standin):
    comment = world.comment("tom", "post-rent", "how much rent do I owe?")
    status, answer = standin.graph(
        "POST", f"{comment.id}/comments", AUTH, {"message": "Please send us a private message"}
    )
    assert status == 200 and answer["id"]
    _, replies = comment_of(world.view(), comment.id)
    assert [(r.id, r.author, r.text) for r in replies] == [
        (answer["id"], Author.ASSISTANT, "Please send us a private message")
    ]
    # The page's reply is listed as the page's, as retention (P10) reads the listing.
    listed = standin.graph("GET", "post-rent/comments", AUTH, None)[1]["data"]
    assert {c["id"]: c["from"]["id"] for c in listed}[answer["id"]] == PAGE_ID


def test_the_feed_lists_the_pages_posts_a_page_at_a_time(world, standin):
    status, first = standin.graph("GET", f"{PAGE_ID}/feed", {**AUTH, "limit": ["2"]}, None)
    assert status == 200 and len(first["data"]) == 2
    assert first["paging"]["next"].startswith("http://127.0.0.1:5080/sandbox-api/graph/v19.0/")
    assert all(post["from"]["id"] == PAGE_ID for post in first["data"])
    datetime.strptime(first["data"][0]["created_time"], "%Y-%m-%dT%H:%M:%S%z")


def test_messenger_sends_reach_the_tenants_inbox_marked_by_who_wrote(world):
    staff = StandIn(world, CREDENTIALS, "http://x", author_of=lambda *_: Author.STAFF)
    world.message("daniel-t", "can i speak to a real person please")
    psid = world.persona("daniel-t").psid
    body = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": "Hi"}}
    status, answer = staff.graph("POST", f"{PAGE_ID}/messages", AUTH, body)
    assert status == 200 and answer["recipient_id"] == psid and answer["message_id"]
    [thread] = world.view().messenger
    assert [i.author for i in thread.items] == [Author.TENANT, Author.STAFF]
    assert world.answers("daniel-t") == 1


@pytest.mark.parametrize(
    "query",
    [{}, {"access_token": ["a-real-pages-token"]}],
)
def test_a_graph_call_without_the_sandboxs_token_is_refused(world, standin, query):
    comment = world.comment("margaret", "post-bins", "hello")
    status, answer = standin.graph("POST", comment.id, query, {"is_hidden": True})
    assert (status, answer["error"]["code"]) == (400, 190)
    assert not comment_of(world.view(), comment.id)[0].hidden


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer abc",
        'OAuth oauth_consumer_key="other", oauth_token="at", oauth_signature="x"',
        'OAuth oauth_consumer_key="ck", oauth_token="at"',
    ],
)
def test_an_x_call_without_the_sandboxs_oauth_header_is_refused(standin, authorization):
    assert standin.x("POST", "/2/tweets", {}, {"text": "hi"}, authorization)[0] == 401


def test_x_replies_hides_dms_blocks_and_follows(world, standin):
    tweet = world.mention("priya", "my heating is off again")
    assert tweet.text.startswith("@housing ")
    status, answer = standin.x(
        "POST",
        "/2/tweets",
        {},
        {"text": "Sorry", "reply": {"in_reply_to_tweet_id": tweet.id}},
        OAUTH,
    )
    assert status == 201 and answer["data"]["text"] == "Sorry"
    assert standin.x("PUT", f"/2/tweets/{tweet.id}/hidden", {}, {"hidden": True}, OAUTH) == (
        200,
        {"data": {"hidden": True}},
    )
    priya = world.persona("priya")
    status, answer = standin.x(
        "POST", f"/2/dm_conversations/with/{priya.x_id}/messages", {}, {"text": "DM"}, OAUTH
    )
    assert status == 201 and answer["data"]["dm_event_id"]
    for path in ("blocking", "following"):
        body = {"target_user_id": priya.x_id}
        assert standin.x("POST", f"/2/users/{ACCOUNT_ID}/{path}", {}, body, OAUTH)[0] == 200
    view = world.view()
    [(root, replies)] = view.timeline
    assert root.hidden and [r.text for r in replies] == ["Sorry"]
    [dms] = view.dms
    assert [i.text for i in dms.items] == ["DM"]
    assert [n.text for n in view.notices] == [
        "@housing followed Priya Sharma",
        "@housing blocked Priya Sharma",
    ]
    assert all(n.pane is Pane.X_TIMELINE for n in view.notices)


def test_a_post_over_280_is_refused_as_x_refuses_it(world, standin):
    status, answer = standin.x("POST", "/2/tweets", {}, {"text": "x" * 281}, OAUTH)
    assert status == 403 and "too long" in answer["detail"]
    assert world.view().timeline == ()


def test_a_page_block_is_noted_by_name(world, standin):
    who = world.persona("public")
    body = {"user": [who.facebook_id]}
    assert standin.graph("POST", f"{PAGE_ID}/blocked", AUTH, body)[0] == 200
    [notice] = world.view().notices
    assert notice.text == "The housing association blocked Sam Rivers"


def test_unknown_calls_answer_404(standin):
    assert standin.graph("GET", "nothing/here/at/all", AUTH, None)[0] == 404
    assert standin.x("GET", "/2/nothing", {}, None, OAUTH)[0] == 404


def test_a_newcomer_has_the_name_but_fresh_ids(world):
    fresh = world.newcomer("margaret", "guided scenario")
    margaret = world.persona("margaret")
    assert fresh.name == margaret.name and fresh.key != margaret.key
    assert {fresh.psid, fresh.facebook_id, fresh.x_id}.isdisjoint(
        {margaret.psid, margaret.facebook_id, margaret.x_id}
    )


def test_the_inbox_lists_the_latest_conversation_first():
    times = iter([NOW, NOW, NOW + timedelta(minutes=1)])  # the first: the page's posts
    world = World(lambda: next(times, NOW))
    world.message("margaret", "first")
    world.message("tom", "later")
    assert [t.persona for t in world.view().messenger] == ["tom", "margaret"]


def every_id(world):
    """Every id a world hands out: what tenants write, what the platforms answer, and a
    guided scenario's fresh persona."""
    tom = world.persona("tom")
    comment = world.comment("margaret", "post-bins", "hello")
    ids = [
        comment.id,
        world.message("margaret", "hi").id,
        world.mention("margaret", "hi").id,
        world.direct_message("margaret", "hi").id,
        world.public_reply(comment.id, "thanks", Author.ASSISTANT),
        world.send_message(tom.psid, "hi", Author.ASSISTANT),
        world.tweet("hi", None, Author.ASSISTANT),
        world.send_dm(tom.x_id, "hi", Author.ASSISTANT),
    ]
    fresh = world.newcomer("margaret", "guided scenario")
    return ids, fresh


def test_two_worlds_never_give_the_same_ids():
    # A restart makes a new world over the same store, which drops a repeated event id
    # as a redelivery, and remembers a persona's strikes and block: nothing may repeat.
    (first, first_fresh), (second, second_fresh) = (
        every_id(World(lambda: NOW)),
        every_id(World(lambda: NOW)),
    )
    assert set(first).isdisjoint(second)
    assert first_fresh.key != second_fresh.key
    assert {first_fresh.facebook_id, first_fresh.psid, first_fresh.x_id}.isdisjoint(
        {second_fresh.facebook_id, second_fresh.psid, second_fresh.x_id}
    )


def test_ids_keep_the_shapes_the_platforms_use():
    world = World(lambda: NOW)
    (comment, message, mention, dm, reply, sent, tweet, sent_dm), fresh = every_id(world)
    assert re.fullmatch(r"post-bins_\d+", comment) and re.fullmatch(r"post-bins_\d+_\d+", reply)
    assert message.startswith("m_") and sent.startswith("m_")
    for tweet_id in (mention, tweet):  # X ids: decimal, within 64 bits
        assert tweet_id.isdigit() and int(tweet_id) < 2**63
    assert re.fullmatch(r"dm\d+", dm) and re.fullmatch(r"dm\d+", sent_dm)
    for account in (fresh.facebook_id, fresh.psid, fresh.x_id):
        assert account.isdigit() and len(account) <= 19
    assert len(fresh.handle) <= 15 and re.fullmatch(r"\w+", fresh.handle)


def test_the_world_keeps_only_the_latest_of_everything():
    world = World(lambda: NOW)
    tom = world.persona("tom")
    for n in range(MAX_THREAD + 50):
        world.message("margaret", f"message {n}")
        world.send_dm(tom.x_id, f"dm {n}", Author.ASSISTANT)
    for n in range(MAX_PUBLIC + 50):
        world.comment("tom", "post-rent", f"comment {n}")
        world.mention("tom", f"tweet {n}")
        world.notice(Pane.X_TIMELINE, "followed", tom.x_id)
    view = world.view()
    [margaret] = view.messenger
    assert (
        len(margaret.items) == MAX_THREAD
        and margaret.items[-1].text == f"message {MAX_THREAD + 49}"
    )
    [dms] = view.dms
    assert len(dms.items) == MAX_THREAD
    comments = [c for post in view.posts for c, _ in post.comments]
    assert len(comments) == MAX_PUBLIC and comments[-1].text == f"comment {MAX_PUBLIC + 49}"
    assert len(view.timeline) == MAX_PUBLIC
    assert len(view.notices) == MAX_NOTICES


def test_a_service_alert_published_on_the_page_is_its_newest_post(world, standin):
    status, answer = standin.graph(
        "POST", f"{PAGE_ID}/feed", AUTH, {"message": "No heating in LS6: engineers on site."}
    )
    assert status == 200
    [first, *_] = world.view().posts
    assert (first.id, first.text) == (answer["id"], "No heating in LS6: engineers on site.")
    assert standin.graph("POST", f"{PAGE_ID}/feed", AUTH, {})[0] == 400
