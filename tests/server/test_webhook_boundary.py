"""The trust boundary at the webhooks, as an attacker meets it, through Sanic's test
client: the X CRC answer signs no body, bad input gets a 4xx and records nothing, and
the REST channel is off unless REST_CHANNEL turns it on and never names an account."""

import json
import uuid

import pytest
from rasa.core.channels.channel import register
from sanic import Sanic

from bot.channels.base import MAX_BODY_BYTES
from bot.channels.facebook import FacebookInput
from bot.channels.twitter import TwitterInput
from bot.platforms.signatures import (
    facebook_signature,
    facebook_signature_valid,
    twitter_signature,
    twitter_signature_valid,
)
from bot.settings import Settings
from bot.store import connect
from scripts.fake_platforms import facebook_webhook, messenger_message, x_direct_message
from scripts.processes import store_keys_from
from tests.helpers import ROOT, settings_keys, store_keys
from tests.server.test_channels import FACEBOOK, ME, PAGE, TWITTER, Agent, recorded

FACEBOOK_HOOK, X_HOOK = "/webhooks/facebook/webhook", "/webhooks/twitter/webhook"


@pytest.fixture
def server(tmp_path):
    """Both connectors on, as tests/server/test_channels.py sets them up."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    settings = Settings(
        ROOT / "association.yml",
        database_url=url,
        facebook=FACEBOOK,
        twitter=TWITTER,
        **settings_keys(),
    )
    app = Sanic(f"boundary-{uuid.uuid4().hex[:8]}")
    app.ctx.agent = Agent()
    register([FacebookInput(settings), TwitterInput(settings)], app, route="/webhooks/")
    return app, connect(url, store_keys())


def signed_post(app, path, body, headers=None):
    """POST `body` to a webhook, signed with the platform's secret."""
    sign = {
        FACEBOOK_HOOK: ("X-Hub-Signature-256", facebook_signature(body, "app-secret")),
        X_HOOK: ("x-twitter-webhooks-signature", twitter_signature(body, "x-secret")),
    }[path]
    _, response = app.test_client.post(
        path,
        content=body,
        headers={"Content-Type": "application/json", sign[0]: sign[1], **(headers or {})},
    )
    return response


def crc(app, token):
    _, response = app.test_client.get(X_HOOK, params={"crc_token": token})
    return response


def test_a_crc_answer_cannot_be_used_to_sign_a_forged_webhook(server):
    app, engine = server
    forged = json.dumps(x_direct_message(ME, "u-attacker", "hello", "e-forged")).encode()
    answer = crc(app, forged.decode())
    assert answer.status == 400
    stolen = (answer.json or {}).get("response_token") or "sha256=none"
    _, posted = app.test_client.post(
        X_HOOK,
        content=forged,
        headers={"Content-Type": "application/json", "x-twitter-webhooks-signature": stolen},
    )
    assert posted.status == 403
    assert recorded(engine) == []


@pytest.mark.parametrize(
    "token",
    [
        "9b4507b3-9040-4669-9ca3-6b94edb50553",  # the shape of X's documented example
        "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==",
        "a1B2_c3D4-e5F6",
    ],
)
def test_a_token_of_the_shape_x_sends_gets_its_response_token(server, token):
    app, _ = server
    answer = crc(app, token)
    assert answer.status == 200
    assert answer.json == {"response_token": twitter_signature(token.encode(), "x-secret")}


@pytest.mark.parametrize(
    "token",
    [
        '{"for_user_id": "2000"}',
        "[1, 2]",
        "12345",
        "true",
        "null",
        '"quoted"',
        "has space",
        "semi;colon",
        "x" * 257,
        "caf\u00e9",
    ],
    ids=[
        "json-object",
        "json-list",
        "number",
        "true",
        "null",
        "quoted",
        "space",
        "semicolon",
        "too-long",
        "non-ascii",
    ],
)
def test_a_token_x_would_never_send_is_refused_with_400(server, token):
    app, _ = server
    answer = crc(app, token)
    assert answer.status == 400
    assert "response_token" not in (answer.json or {})


@pytest.mark.parametrize("path", [FACEBOOK_HOOK, X_HOOK])
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 20_000 + b"]" * 20_000,
        b'{"object": "page", "entry": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
        b'{"for_user_id": "2000", "x": ' + b'{"a":' * 5_000 + b"1" + b"}" * 5_000 + b"}",
    ],
    ids=["lists", "entry", "objects"],
)
def test_a_signed_body_nested_too_deep_gets_400_and_nothing_recorded(server, path, body):
    app, engine = server
    assert signed_post(app, path, body).status == 400
    assert recorded(engine) == []


def padded(payload, size):
    """`payload` with a filler field that makes its JSON `size` bytes long or more."""
    body = json.dumps({**payload, "filler": ""}).encode()
    return json.dumps({**payload, "filler": "x" * max(0, size - len(body))}).encode()


@pytest.mark.parametrize("path", [FACEBOOK_HOOK, X_HOOK])
def test_a_body_over_the_limit_gets_413_and_nothing_recorded(server, path):
    app, engine = server
    payload = (
        facebook_webhook(PAGE, messaging=[messenger_message(PAGE, "u1", "hi", "m1", 1)])
        if path == FACEBOOK_HOOK
        else x_direct_message(ME, "u1", "hi", "e1")
    )
    big = padded(payload, MAX_BODY_BYTES + 1)
    assert signed_post(app, path, big).status == 413
    assert recorded(engine) == []
    # Just under the limit, the same message is taken: the limit is where it says.
    assert signed_post(app, path, padded(payload, MAX_BODY_BYTES - 64)).status == 200
    assert len(recorded(engine)) == 1


@pytest.mark.parametrize("path", [FACEBOOK_HOOK, X_HOOK])
def test_a_chunked_body_over_the_limit_gets_413_without_a_content_length(server, path):
    app, engine = server
    chunk = b" " * 65_536

    async def body():
        yield b'{"object": "page", "for_user_id": "2000", "entry": [], "x": "'
        for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
            yield chunk
        yield b'"}'

    headers = {"Content-Type": "application/json", "x-twitter-webhooks-signature": "sha256=x"}
    headers["X-Hub-Signature-256"] = "sha256=x"
    _, response = app.test_client.post(path, content=body(), headers=headers)
    assert response.status == 413
    assert recorded(engine) == []


def rest_app(monkeypatch, setting):
    """The channels credentials.yml names, registered as `rasa run` registers them."""
    from rasa.core.run import create_http_input_channels

    if setting is None:
        monkeypatch.delenv("REST_CHANNEL", raising=False)
    else:
        monkeypatch.setenv("REST_CHANNEL", setting)
    # As `rasa run` is started: with the store's keys, without which it refuses (P9).
    for name, value in store_keys_from({}).items():
        monkeypatch.setenv(name, value)
    received = []

    async def on_new_message(message):
        received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "hello")

    app = Sanic(f"rest-{uuid.uuid4().hex[:8]}")
    channels = create_http_input_channels(None, str(ROOT / "credentials.yml"))
    app.ctx.received = received
    for channel in channels:
        if channel.name() == "rest":
            app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/rest")
    return app


@pytest.mark.parametrize("setting", [None, "off", ""])
def test_without_rest_channel_on_the_rest_webhook_is_not_served(monkeypatch, setting):
    app = rest_app(monkeypatch, setting)
    body = {"sender": "tenant-1", "message": "hi"}
    _, response = app.test_client.post("/webhooks/rest/webhook", json=body)
    assert response.status in (403, 404)
    assert app.ctx.received == []


def test_the_rest_channel_never_carries_a_platform_or_an_account(monkeypatch):
    app = rest_app(monkeypatch, "on")
    body = {
        "sender": "facebook-private-psid-margaret",
        "message": "how much rent do i owe",
        "input_channel": "facebook",
        "metadata": {"platform": "facebook", "surface": "private", "author_id": "psid-margaret"},
    }
    _, response = app.test_client.post("/webhooks/rest/webhook", json=body)
    assert response.status == 200
    [message] = app.ctx.received
    assert message.sender_id == "rest-facebook-private-psid-margaret"
    assert message.input_channel == "rest"
    assert not message.metadata
    assert response.json == [{"recipient_id": message.sender_id, "text": "hello"}]


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"not json",
        b'{"sender": 5, "message": "hi"}',
        b'{"message": {"a": 1}}',
        b'"hi"',
        b'{"sender": "' + b"x" * 201 + b'", "message": "hi"}',
        b'{"sender": "two words", "message": "hi"}',
    ],
)
def test_a_malformed_rest_message_gets_400(monkeypatch, body):
    app = rest_app(monkeypatch, "on")
    _, response = app.test_client.post(
        "/webhooks/rest/webhook", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert app.ctx.received == []


def test_another_pages_entries_are_not_answered_as_this_pages(server):
    app, engine = server
    item = messenger_message("3000", "u-other", "hi", "m-other", 1_795_000_000_000)
    body = json.dumps(facebook_webhook("3000", messaging=[item])).encode()
    answer = signed_post(app, FACEBOOK_HOOK, body)
    assert (answer.status, answer.json) == (200, {"received": 0, "new": 0})
    assert recorded(engine) == []


def message_body(path, millis=1):
    payload = (
        facebook_webhook(PAGE, messaging=[messenger_message(PAGE, "u1", "hi", "m1", millis)])
        if path == FACEBOOK_HOOK
        else x_direct_message(ME, "u1", "hi", "e1")
    )
    return json.dumps(payload).encode()


@pytest.mark.parametrize("path", [FACEBOOK_HOOK, X_HOOK])
@pytest.mark.parametrize("raw", [b"sha256=\xff", b"\xff\xfe", b"sha256=abc\x80"])
def test_a_signature_with_a_byte_that_is_not_text_gets_403(server, path, raw):
    app, engine = server
    name = b"X-Hub-Signature-256" if path == FACEBOOK_HOOK else b"x-twitter-webhooks-signature"
    _, response = app.test_client.post(
        path,
        content=message_body(path),
        headers=[(b"Content-Type", b"application/json"), (name, raw)],
    )
    assert response.status == 403
    assert recorded(engine) == []


def test_a_signature_check_refuses_what_is_not_ascii():
    body = b"{}"
    good = facebook_signature(body, "app-secret")
    assert facebook_signature_valid(body, good, "app-secret")
    assert not facebook_signature_valid(body, good + "\udcff", "app-secret")
    assert not twitter_signature_valid(body, "sha256=\udcff", "x-secret")
    assert not facebook_signature_valid(body, "sha256=é", "app-secret")


@pytest.mark.parametrize("path", [FACEBOOK_HOOK, X_HOOK])
@pytest.mark.parametrize("millis", [10**20, -(10**20), 2**63])
def test_a_time_beyond_any_year_gets_no_500_and_the_message_is_kept(server, path, millis):
    app, engine = server
    payload = json.loads(message_body(path))
    if path == FACEBOOK_HOOK:
        payload["entry"][0]["messaging"][0]["timestamp"] = millis
    else:
        payload["direct_message_events"][0]["created_timestamp"] = str(millis)
    assert signed_post(app, path, json.dumps(payload).encode()).status == 200
    assert len(recorded(engine)) == 1
