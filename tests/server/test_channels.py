"""The Facebook and X webhooks through Sanic's test client: signed, forged, malformed,
batched and redelivered payloads (P12)."""

import json
import uuid
from dataclasses import replace

import pytest
from rasa.core.channels.channel import register
from sanic import Sanic
from sqlalchemy import select

from bot.channels.facebook import FacebookInput
from bot.channels.twitter import TwitterInput
from bot.platforms.signatures import facebook_signature, twitter_signature
from bot.settings import FacebookSettings, Settings, TwitterSettings
from bot.store import connect, inbound_events
from scripts.fake_platforms import (
    facebook_webhook,
    messenger_message,
    page_comment,
    x_direct_message,
    x_mention,
)
from tests.helpers import ROOT, settings_keys, store_keys

PAGE, ME = "1000", "2000"
FACEBOOK = FacebookSettings(
    "app-secret", "verify-me", "page-token", PAGE, "http://127.0.0.1:9/v19.0"
)
TWITTER = TwitterSettings("ck", "x-secret", "at", "ats", ME, "http://127.0.0.1:9")


class Agent:
    """Not ready: the intake loop waits, so the test sees exactly what was recorded."""

    def is_ready(self):
        return False


@pytest.fixture
def server(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    settings = Settings(
        ROOT / "association.yml",
        database_url=url,
        facebook=FACEBOOK,
        twitter=TWITTER,
        **settings_keys(),
    )
    app = Sanic(f"channels-{uuid.uuid4().hex[:8]}")
    app.ctx.agent = Agent()
    register([FacebookInput(settings), TwitterInput(settings)], app, route="/webhooks/")
    return app, connect(url, store_keys())


def recorded(engine):
    with engine.connect() as connection:
        return [
            row.event_id
            for row in connection.execute(select(inbound_events).order_by(inbound_events.c.id))
        ]


def post_facebook(app, payload, secret="app-secret", raw=None, signature=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature is not False:
        headers["X-Hub-Signature-256"] = signature or facebook_signature(body, secret)
    _, response = app.test_client.post("/webhooks/facebook/webhook", content=body, headers=headers)
    return response


def post_twitter(app, payload, secret="x-secret", signature=None):
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature is not False:
        headers["x-twitter-webhooks-signature"] = signature or twitter_signature(body, secret)
    _, response = app.test_client.post("/webhooks/twitter/webhook", content=body, headers=headers)
    return response


def three_messages():
    return facebook_webhook(
        PAGE,
        messaging=[
            messenger_message(PAGE, f"u{n}", f"message {n}", f"m{n}", 1_795_000_000_000)
            for n in range(2)
        ],
        changes=[page_comment("u9", "a comment", "c1", "post1")],
    )


def test_the_verify_token_challenge_is_answered_and_a_wrong_token_refused(server):
    app, _ = server
    query = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token="
    _, ok = app.test_client.get(f"/webhooks/facebook/webhook?{query}verify-me")
    _, wrong = app.test_client.get(f"/webhooks/facebook/webhook?{query}guess")
    assert (ok.status, ok.text) == (200, "1158201444")
    assert wrong.status == 403


@pytest.mark.parametrize(
    "secret, signature",
    [
        ("app-secret", False),
        ("wrong-secret", None),
        ("app-secret", "sha256=" + "0" * 64),
        ("app-secret", "sha1=abc"),
    ],
)
def test_a_forged_or_unsigned_facebook_webhook_is_refused_and_nothing_recorded(
    server, secret, signature
):
    app, engine = server
    assert post_facebook(app, three_messages(), secret=secret, signature=signature).status == 403
    assert recorded(engine) == []


@pytest.mark.parametrize(
    "raw", [b"{not json", b"", b'{"object": "page", "entry": "x"}', b'{"object": "user"}']
)
def test_a_malformed_signed_facebook_webhook_gets_400_and_nothing_recorded(server, raw):
    app, engine = server
    assert post_facebook(app, None, raw=raw).status == 400
    assert recorded(engine) == []


def test_a_batch_is_recorded_whole_and_a_redelivery_not_again(server):
    app, engine = server
    first = post_facebook(app, three_messages())
    assert (first.status, first.json) == (200, {"received": 3, "new": 3})
    assert recorded(engine) == ["m0", "m1", "c1"]
    again = post_facebook(app, three_messages())
    assert (again.status, again.json) == (200, {"received": 3, "new": 0})
    assert recorded(engine) == ["m0", "m1", "c1"]


def test_the_x_crc_check_is_answered(server):
    app, _ = server
    _, response = app.test_client.get("/webhooks/twitter/webhook?crc_token=abc123")
    assert response.json == {"response_token": twitter_signature(b"abc123", "x-secret")}
    _, missing = app.test_client.get("/webhooks/twitter/webhook")
    assert missing.status == 400


def test_x_webhooks_are_checked_recorded_and_deduplicated(server):
    app, engine = server
    dm = x_direct_message(ME, "u1", "hi", "e1")
    assert post_twitter(app, dm, signature=False).status == 403
    assert post_twitter(app, dm, secret="guess").status == 403
    assert post_twitter(app, {"no": "for_user_id"}).status == 400
    assert post_twitter(app, dm).json == {"received": 1, "new": 1}
    assert post_twitter(app, dm).json == {"received": 1, "new": 0}
    assert post_twitter(app, x_mention(ME, "u2", "@us help", "t1")).json == {
        "received": 1,
        "new": 1,
    }
    assert (
        post_twitter(app, x_direct_message("someone-else", "u3", "hi", "e9")).json["received"] == 0
    )
    assert recorded(engine) == ["e1", "t1"]


def test_without_settings_the_channels_are_off_and_say_so(tmp_path, caplog):
    settings = Settings(ROOT / "association.yml", database_url=f"sqlite:///{tmp_path / 's.db'}")
    app = Sanic(f"off-{uuid.uuid4().hex[:8]}")
    with caplog.at_level("WARNING"):
        channels = [FacebookInput(settings), TwitterInput(replace(settings))]
    assert "The facebook channel is off: set FACEBOOK_APP_SECRET" in caplog.text
    assert "The twitter channel is off: set TWITTER_CONSUMER_KEY" in caplog.text
    register(channels, app, route="/webhooks/")
    _, response = app.test_client.post("/webhooks/facebook/webhook", content=b"{}")
    assert response.status == 503 and "FACEBOOK_PAGE_ID" in response.json["missing"]
    _, health = app.test_client.get("/webhooks/twitter/")
    assert health.json == {"status": "off"}


def test_credentials_register_both_connectors_by_module_path():
    import yaml

    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    assert {
        "bot.channels.facebook.FacebookInput",
        "bot.channels.twitter.TwitterInput",
        "bot.channels.rest.LocalRestInput",
    } <= set(credentials)
    assert "rest" not in credentials  # Rasa's own REST channel would trust the body


def test_while_the_store_is_unreachable_a_webhook_gets_503_so_the_platform_sends_it_again(
    server, caplog
):
    """P12, PostgreSQL restarting: nothing can be kept, so nothing is acknowledged. A
    503 (with Retry-After) makes the platform deliver the event again, where a 200 would
    lose it; and the log says why."""
    from sqlalchemy.exc import OperationalError

    from bot.channels.wiring import built_runtime

    app, engine = server
    assert post_facebook(app, three_messages()).status == 200  # the runtime is built
    runtime = built_runtime(app)
    kept = runtime.intake.accept

    def unreachable(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    runtime.intake.accept = unreachable
    again = facebook_webhook(
        PAGE, messaging=[messenger_message(PAGE, "u7", "hello", "m7", 1_795_000_000_000)]
    )
    refused = post_facebook(app, again)
    assert refused.status == 503 and refused.headers.get("retry-after")
    assert "store is unreachable" in caplog.text
    runtime.intake.accept = kept
    assert post_facebook(app, again).status == 200  # the redelivery is kept
    assert recorded(engine)[-1] == "m7"
