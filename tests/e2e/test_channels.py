"""End to end: Facebook and X webhooks in, platform calls out, nothing lost (P12).

The real servers, as `make run` starts them, with the platform APIs played by local
fakes (scripts/fake_platforms.py) and a proxy in front of the action server that can
be told to make every action slow.
"""

import json
import secrets
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.channels.signatures import facebook_signature, twitter_signature
from bot.processes import free_port
from scripts.fake_platforms import (
    FakePlatforms,
    facebook_webhook,
    messenger_message,
    page_comment,
    x_direct_message,
    x_mention,
)
from tests.helpers import assistant_in

PAGE, ME = "104857600", "987654321"
APP_SECRET, X_SECRET = "e2e-app-secret", "e2e-x-secret"


class SlowProxy:
    """Forwards Rasa's action calls to the action server, after `delay` seconds."""

    def __init__(self, target):
        self.delay = 0.0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(proxy.delay)
                request = urllib.request.Request(
                    target + self.path, data=body, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=60) as answer:
                    data, status = answer.read(), answer.status
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhook"


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("channels")
    with FakePlatforms() as platforms:
        action_port = free_port()
        proxy = SlowProxy(f"http://127.0.0.1:{action_port}")
        assistant = assistant_in(
            tmp,
            {
                "FACEBOOK_APP_SECRET": APP_SECRET,
                "FACEBOOK_VERIFY_TOKEN": "e2e-verify",
                "FACEBOOK_PAGE_ACCESS_TOKEN": "e2e-page-token",
                "FACEBOOK_PAGE_ID": PAGE,
                "FACEBOOK_GRAPH_URL": platforms.graph_url,
                "TWITTER_CONSUMER_KEY": "e2e-ck",
                "TWITTER_CONSUMER_SECRET": X_SECRET,
                "TWITTER_ACCESS_TOKEN": "e2e-at",
                "TWITTER_ACCESS_TOKEN_SECRET": "e2e-ats",
                "TWITTER_USER_ID": ME,
                "TWITTER_API_URL": platforms.x_url,
            },
            action_port=action_port,
            api_token=secrets.token_urlsafe(16),
            action_endpoint=proxy.url,
        )
        with assistant:
            yield assistant, platforms, proxy


def post(url, payload, header, signature):
    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", header: signature(body)}
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read()), time.monotonic() - started


def to_facebook(assistant, payload):
    url = f"{assistant.rasa_url}/webhooks/facebook/webhook"
    return post(url, payload, "X-Hub-Signature-256", lambda b: facebook_signature(b, APP_SECRET))


def to_x(assistant, payload):
    url = f"{assistant.rasa_url}/webhooks/twitter/webhook"
    return post(
        url, payload, "x-twitter-webhooks-signature", lambda b: twitter_signature(b, X_SECRET)
    )


def message(psid, text):
    millis = int(time.time() * 1000)
    return messenger_message(PAGE, psid, text, f"mid.{uuid.uuid4().hex}", millis)


def sent_to(platforms, target):
    """Messenger messages sent to a PSID (or X DMs to a user)."""
    calls = []
    for call in platforms.received():
        body = call.body or {}
        if (body.get("recipient") or {}).get("id") == target or f"/with/{target}/" in call.path:
            calls.append(call)
    return calls


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


def new_user():
    return f"u{uuid.uuid4().int % 10**12}"


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
