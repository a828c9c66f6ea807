"""End to end: Facebook and X webhooks in, platform calls out, nothing lost (P12).

The real servers, as `make run` starts them, with the platform APIs played by local
fakes (tests/e2e/platforms.py).
"""

import time
import uuid

import pytest

from bot.handoff.conversations import RasaConversations, RasaError
from scripts.fake_platforms import facebook_webhook, page_comment, x_direct_message, x_mention
from tests.e2e.platforms import (
    ME,
    PAGE,
    message,
    new_user,
    sent_to,
    to_facebook,
    to_x,
    wait_for,
)


@pytest.fixture
def running(platforms_running):
    return platforms_running


def test_a_batch_of_three_messages_gets_three_replies(running):
    assistant, platforms, _ = running
    users = [new_user() for _ in range(3)]
    texts = ["hello", "what are your opening hours", "any jobs going"]
    payload = facebook_webhook(
        PAGE, messaging=[message(u, t) for u, t in zip(users, texts, strict=True)]
    )
    status, answer, seconds = to_facebook(assistant, payload)
    assert (status, answer) == (200, {"received": 3, "new": 3})
    assert seconds < 1
    assert wait_for(lambda: all(sent_to(platforms, u) for u in users), 60)
    for user in users:
        [reply] = sent_to(platforms, user)
        assert reply.body["messaging_type"] == "RESPONSE"
        assert reply.query["access_token"] == ["e2e-page-token"]


def test_a_redelivered_message_gets_one_reply(running):
    assistant, platforms, _ = running
    user = new_user()
    payload = facebook_webhook(PAGE, messaging=[message(user, "are you a bot")])
    to_facebook(assistant, payload)
    assert wait_for(lambda: sent_to(platforms, user), 30)
    status, answer, _ = to_facebook(assistant, payload)
    assert (status, answer) == (200, {"received": 1, "new": 0})
    time.sleep(3)
    assert len(sent_to(platforms, user)) == 1


def test_comments_dms_and_mentions_are_answered_where_they_were_made(running):
    assistant, platforms, _ = running
    commenter, dm_user, mentioner = new_user(), new_user(), new_user()
    comment_id, tweet_id = f"{PAGE}_{uuid.uuid4().int % 10**9}", str(uuid.uuid4().int % 10**15)
    to_facebook(
        assistant,
        facebook_webhook(
            PAGE,
            changes=[page_comment(commenter, "what are your opening hours", comment_id, "post1")],
        ),
    )
    to_x(assistant, x_direct_message(ME, dm_user, "hello", f"dm{uuid.uuid4().hex[:10]}"))
    to_x(assistant, x_mention(ME, mentioner, "@housing what are your opening hours", tweet_id))

    def answered():
        paths = [c.path for c in platforms.received()]
        return (
            f"{comment_id}/comments" in paths
            and f"/2/dm_conversations/with/{dm_user}/messages" in paths
            and any(
                (c.body or {}).get("reply", {}).get("in_reply_to_tweet_id") == tweet_id
                for c in platforms.received()
            )
        )

    assert wait_for(answered, 60)


def test_a_30_second_platform_outage_delays_every_reply_and_duplicates_none(running):
    assistant, platforms, _ = running
    users = [new_user() for _ in range(3)]
    platforms.fail(503)
    try:
        for user in users:
            to_facebook(assistant, facebook_webhook(PAGE, messaging=[message(user, "hello")]))
        time.sleep(30)
        assert not any(sent_to(platforms, u) for u in users)
    finally:
        platforms.recover()
    assert wait_for(lambda: all(sent_to(platforms, u) for u in users), 90)
    time.sleep(3)
    assert [len(sent_to(platforms, u)) for u in users] == [1, 1, 1]


def test_acknowledged_within_a_second_while_actions_take_five(running):
    assistant, platforms, proxy = running
    user = new_user()
    proxy.delay = 5.0
    try:
        started = time.monotonic()
        status, _, seconds = to_facebook(
            assistant, facebook_webhook(PAGE, messaging=[message(user, "hi")])
        )
        assert status == 200 and seconds < 1
        assert wait_for(lambda: sent_to(platforms, user), 60)
        assert time.monotonic() - started >= 5  # the answer waited for the slow action
    finally:
        proxy.delay = 0.0


def test_a_message_acknowledged_just_before_a_crash_is_answered_after_restart(running):
    assistant, platforms, proxy = running
    user = new_user()
    proxy.delay = 5.0  # still processing when the server dies
    try:
        status, _, _ = to_facebook(
            assistant, facebook_webhook(PAGE, messaging=[message(user, "hello")])
        )
        assert status == 200
        assistant.kill_rasa()
    finally:
        proxy.delay = 0.0
    assert sent_to(platforms, user) == []
    assistant.start_rasa()
    assert wait_for(lambda: sent_to(platforms, user), 60)
    time.sleep(3)
    assert len(sent_to(platforms, user)) == 1


def test_every_message_reaches_rasa_with_where_it_came_from(running):
    assistant, platforms, _ = running
    dm_user, commenter = new_user(), new_user()
    dm_id, comment_id = f"dm{uuid.uuid4().hex[:10]}", f"{PAGE}_{uuid.uuid4().int % 10**9}"
    to_x(assistant, x_direct_message(ME, dm_user, "hello", dm_id))
    to_facebook(
        assistant,
        facebook_webhook(
            PAGE, changes=[page_comment(commenter, "any jobs going?", comment_id, "post7")]
        ),
    )
    rasa = RasaConversations(assistant.rasa_url, assistant.api_token)

    def latest_user_metadata(conversation):
        try:
            events = rasa.tracker(conversation)["events"]
        except RasaError:
            return None
        users = [e for e in events if e["event"] == "user"]
        return users[-1].get("metadata") if users else None

    assert wait_for(lambda: latest_user_metadata(f"twitter-private-{dm_user}"), 60)
    dm = latest_user_metadata(f"twitter-private-{dm_user}")
    assert {k: dm[k] for k in ("platform", "surface", "author_id", "event_id")} == {
        "platform": "twitter",
        "surface": "private",
        "author_id": dm_user,
        "event_id": dm_id,
    }
    assert wait_for(lambda: latest_user_metadata(f"facebook-public-{commenter}"), 60)
    public = latest_user_metadata(f"facebook-public-{commenter}")
    assert {
        k: public[k] for k in ("platform", "surface", "author_id", "comment_id", "post_id")
    } == {
        "platform": "facebook",
        "surface": "public",
        "author_id": commenter,
        "comment_id": comment_id,
        "post_id": "post7",
    }
