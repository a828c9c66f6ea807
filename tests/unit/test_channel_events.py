"""Webhook signatures and payloads of Facebook and X (pure: no server)."""

import hashlib
import hmac
import json
from datetime import datetime, timezone

import pytest

from bot.platforms.facebook.payloads import parse_facebook
from bot.platforms.payloads import MalformedPayload
from bot.platforms.signatures import (
    facebook_signature,
    facebook_signature_valid,
    twitter_crc_response,
    twitter_signature,
    twitter_signature_valid,
)
from bot.platforms.x.payloads import parse_twitter
from scripts.fake_platforms import (
    facebook_webhook,
    messenger_message,
    page_comment,
    page_post,
    x_direct_message,
    x_mention,
)

PAGE = "1000"
ME = "2000"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
BODY = b'{"object":"page","entry":[]}'
COMMENT_NO_ID = {"item": "comment", "verb": "add"}


def test_facebook_signature_is_hmac_sha256_hex_of_the_raw_body():
    expected = "sha256=" + hmac.new(b"secret", BODY, hashlib.sha256).hexdigest()
    assert facebook_signature(BODY, "secret") == expected
    assert facebook_signature_valid(BODY, expected, "secret")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha256=00",
        facebook_signature(BODY, "other secret"),
        facebook_signature(BODY + b" ", "secret"),
        # The old SHA-1 header's shape is not accepted in its place.
        "sha1=" + "0" * 40,
    ],
)
def test_a_missing_wrong_or_sha1_facebook_signature_is_refused(header):
    assert not facebook_signature_valid(BODY, header, "secret")


def test_x_signature_and_crc_are_base64_hmac_sha256():
    assert twitter_signature_valid(BODY, twitter_signature(BODY, "s"), "s")
    assert not twitter_signature_valid(BODY, twitter_signature(BODY, "t"), "s")
    assert not twitter_signature_valid(BODY, None, "s")
    answer = twitter_crc_response("challenge", "s")
    assert answer == {"response_token": twitter_signature(b"challenge", "s")}
    assert answer["response_token"].startswith("sha256=")


def test_every_event_of_a_facebook_batch_is_read_in_order():
    payload = facebook_webhook(
        PAGE,
        messaging=[
            messenger_message(PAGE, "u1", "hello", "m1", 1_795_000_000_000),
            messenger_message(PAGE, "u2", "how much rent do i owe", "m2", 1_795_000_000_500),
            {
                "sender": {"id": "u3"},
                "recipient": {"id": PAGE},
                "timestamp": 1,
                "postback": {"mid": "p1", "title": "Talk to a person", "payload": "/request_human"},
            },
        ],
        changes=[page_comment("u4", "my boiler is broken", "c1", "post1")],
        standby=[messenger_message(PAGE, "u5", "still there?", "m5", 2)],
    )
    events = parse_facebook(payload, PAGE, NOW)
    assert [(e.event_id, e.kind, e.surface, e.author_id) for e in events] == [
        ("m1", "message", "private", "u1"),
        ("m2", "message", "private", "u2"),
        ("p1", "postback", "private", "u3"),
        ("m5", "standby", "private", "u5"),
        ("c1", "comment", "public", "u4"),
    ]
    assert events[2].text == "/request_human"
    assert (events[4].post_id, events[4].comment_id) == ("post1", "c1")
    assert events[0].sent_at == datetime.fromtimestamp(1_795_000_000, timezone.utc)
    assert events[0].conversation_id == "facebook-private-u1"
    assert events[4].metadata()["surface"] == "public"


def test_echoes_receipts_and_the_pages_own_comments_are_dropped():
    echo = messenger_message(PAGE, PAGE, "our reply", "m9", 1)
    echo["message"]["is_echo"] = True
    payload = facebook_webhook(
        PAGE,
        messaging=[
            echo,
            {"sender": {"id": "u1"}, "recipient": {"id": PAGE}, "delivery": {"mids": ["m1"]}},
            {"sender": {"id": "u1"}, "recipient": {"id": PAGE}, "read": {"watermark": 1}},
        ],
        changes=[
            page_comment(PAGE, "thanks for your comment", "c2", "post1"),
            {"field": "feed", "value": {"item": "reaction", "verb": "add", "from": {"id": "u1"}}},
            page_comment("u1", "gone", "c3", "post1", verb="remove"),
            page_post(PAGE, "our news", "post9"),
            page_post("u1", "hidden now", "post8", verb="hide"),
        ],
    )
    assert parse_facebook(payload, PAGE, NOW) == []


def test_visitors_posts_and_edits_are_read_as_public_posts_to_screen():
    payload = facebook_webhook(
        PAGE,
        changes=[
            page_post("u1", "my flat floods every time it rains", "1000_77", 1_795_000_000),
            page_comment("u2", "ok now", "c1", "post1"),
            page_comment("u2", "call me on 07700 900123", "c1", "post1", verb="edited"),
            page_post("u1", "edited: call 07700 900123", "1000_77", verb="edited"),
        ],
    )
    events = parse_facebook(payload, PAGE, NOW)
    assert [(e.kind, e.surface, e.author_id, e.comment_id, e.post_id) for e in events] == [
        ("post", "public", "u1", "1000_77", "1000_77"),
        ("comment", "public", "u2", "c1", "post1"),
        ("edited_comment", "public", "u2", "c1", "post1"),
        ("edited_post", "public", "u1", "1000_77", "1000_77"),
    ]
    # An edit is a new version: never taken for a redelivery of the original.
    ids = [e.event_id for e in events]
    assert len(set(ids)) == 4 and ids[:2] == ["1000_77", "c1"]
    again = parse_facebook(payload, PAGE, NOW)
    assert [e.event_id for e in again] == ids
    assert events[2].text == "call me on 07700 900123"


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"object": "instagram", "entry": []},
        {"object": "page"},
        {"object": "page", "entry": [{"messaging": [{"message": {"text": "no sender"}}]}]},
        {"object": "page", "entry": [{"changes": [{"field": "feed", "value": COMMENT_NO_ID}]}]},
    ],
)
def test_malformed_facebook_payloads_are_refused(payload):
    with pytest.raises(MalformedPayload):
        parse_facebook(payload, PAGE, NOW)


def test_x_direct_messages_and_mentions_are_read_and_own_events_dropped():
    dm = x_direct_message(ME, "u1", "hi there", "e1")
    own_dm = x_direct_message(ME, ME, "our reply", "e2")
    mention = x_mention(ME, "u2", "@housing_assoc @someone my boiler is broken", "t1")
    own_tweet = x_mention(ME, ME, "we're open", "t2")
    retweet = x_mention(ME, "u3", "RT", "t3")
    retweet["tweet_create_events"][0]["retweeted_status"] = {}
    payload = {
        "for_user_id": ME,
        "direct_message_events": dm["direct_message_events"] + own_dm["direct_message_events"],
        "tweet_create_events": mention["tweet_create_events"]
        + own_tweet["tweet_create_events"]
        + retweet["tweet_create_events"],
    }
    events = parse_twitter(json.loads(json.dumps(payload)), NOW)
    assert [(e.event_id, e.kind, e.surface, e.author_id) for e in events] == [
        ("e1", "direct_message", "private", "u1"),
        ("t1", "mention", "public", "u2"),
    ]
    assert events[1].text == "my boiler is broken"
    assert events[1].tweet_id == "t1"


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"direct_message_events": []},
        {"for_user_id": ME, "direct_message_events": [{"type": "message_create"}]},
    ],
)
def test_malformed_x_payloads_are_refused(payload):
    with pytest.raises(MalformedPayload):
        parse_twitter(payload, NOW)


def test_one_odd_event_does_not_cost_the_rest_of_its_batch():
    payload = facebook_webhook(
        PAGE,
        messaging=[
            messenger_message(PAGE, "u1", "first", "m1", 1),
            {"message": {"text": "no sender"}},
            messenger_message(PAGE, "u2", "second", "m2", 2),
        ],
        changes=[{"field": "feed", "value": COMMENT_NO_ID}],
    )
    assert [e.event_id for e in parse_facebook(payload, PAGE, NOW)] == ["m1", "m2"]
    x = x_direct_message(ME, "u1", "hi", "e1")
    x["direct_message_events"].insert(0, {"type": "message_create"})
    assert [e.event_id for e in parse_twitter(x, NOW)] == ["e1"]


def test_a_postback_without_an_id_is_named_the_same_on_every_redelivery():
    postback = {"sender": {"id": "u3"}, "recipient": {"id": PAGE}, "postback": {"title": "Hi"}}
    first = parse_facebook(facebook_webhook(PAGE, messaging=[postback]), PAGE, NOW)
    later = NOW.replace(hour=11)
    again = parse_facebook(facebook_webhook(PAGE, messaging=[dict(postback)]), PAGE, later)
    assert first[0].event_id == again[0].event_id
    other = {**postback, "sender": {"id": "u4"}}
    assert parse_facebook(facebook_webhook(PAGE, messaging=[other]), PAGE, NOW)[0].event_id != (
        first[0].event_id
    )


def test_x_links_are_read_as_the_address_they_stand_for():
    payload = x_mention(ME, "u2", "@housing look https://t.co/abc123", "t9")
    payload["tweet_create_events"][0]["entities"]["urls"] = [
        {"url": "https://t.co/abc123", "expanded_url": "https://bit.ly/free-money"}
    ]
    [mention] = parse_twitter(payload, NOW)
    assert mention.text == "look https://bit.ly/free-money"


def test_a_new_follower_is_not_read_as_a_message():
    # P8: X tells the account of a follow; nothing of it reaches the assistant.
    follow = {
        "for_user_id": ME,
        "follow_events": [{"type": "follow", "source": {"id": "u7"}, "target": {"id": ME}}],
    }
    assert parse_twitter(follow, NOW) == []
