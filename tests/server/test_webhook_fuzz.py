"""Both webhooks fuzzed through Sanic's client: whatever arrives, the answer is 2xx, 400,
403 or 413, never a server error, and a refused request records nothing.

Bodies are malformed JSON, JSON of every type, platform payloads with fields of the
wrong type or missing, odd unicode (lone surrogates, NUL, right-to-left marks), wrong
content types, empty and oversized bodies; each is sent signed (rightly, or with the
signature a little off) and unsigned. Derandomised, with a fixed number of examples,
so that it runs the same every time and within `make test`'s budget.
"""

import asyncio
import json
import uuid

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import register
from sanic import Sanic
from sqlalchemy import func, select

from bot.channels.base import MAX_BODY_BYTES
from bot.channels.facebook import FacebookInput
from bot.channels.twitter import TwitterInput
from bot.platforms.signatures import facebook_signature, twitter_signature
from bot.settings import Settings
from bot.store import connect, inbound_events
from tests.helpers import ROOT, settings_keys, store_keys
from tests.server.test_channels import FACEBOOK, ME, PAGE, TWITTER, Agent

HOOKS = {
    "facebook": ("/webhooks/facebook/webhook", "X-Hub-Signature-256", "app-secret"),
    "twitter": ("/webhooks/twitter/webhook", "x-twitter-webhooks-signature", "x-secret"),
}
SIGNERS = {"facebook": facebook_signature, "twitter": twitter_signature}
ACCEPTED = {400, 403, 413}


@pytest.fixture(scope="module")
def app_and_store(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'store.db'}"
    settings = Settings(
        ROOT / "association.yml",
        database_url=url,
        facebook=FACEBOOK,
        twitter=TWITTER,
        **settings_keys(),
    )
    app = Sanic(f"fuzz-{uuid.uuid4().hex[:8]}")
    app.ctx.agent = Agent()
    register([FacebookInput(settings), TwitterInput(settings)], app, route="/webhooks/")
    return app, connect(url, store_keys())


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


ODD_TEXT = st.sampled_from(
    ["\ud800", "a\udfffb", "\x00", "\u202etxet", "\ufeff", "😀" * 50, "", " ", "ﷺ", "\n\r\t"]
)
TEXT = st.one_of(st.text(max_size=40), ODD_TEXT)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
ANY_JSON = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
# Where a platform puts an id or a text, something else as often as not.
ID = st.one_of(st.text(min_size=1, max_size=12), st.integers(), ANY_JSON)
FIELD = st.one_of(TEXT, ANY_JSON)
# Times no clock can show: the platform's millis (or seconds) beyond any year.
TIME = st.one_of(st.integers(), st.sampled_from([10**20, -(10**20), 2**63, 10**17, -1]), FIELD)


def maybe(strategy):
    """A field that is there with `strategy`'s value, or missing."""
    return st.one_of(st.just(None), strategy)


def without_missing(**fields):
    return st.fixed_dictionaries({}, optional={name: strategy for name, strategy in fields.items()})


MESSENGER_ITEM = without_missing(
    sender=without_missing(id=ID),
    recipient=without_missing(id=ID),
    timestamp=TIME,
    message=st.one_of(
        without_missing(mid=ID, text=FIELD, is_echo=st.one_of(st.booleans(), FIELD)), FIELD
    ),
    postback=without_missing(payload=FIELD, title=FIELD, mid=ID),
)
COMMENT_CHANGE = without_missing(
    field=st.one_of(st.just("feed"), FIELD),
    value=without_missing(
        item=st.one_of(st.just("comment"), FIELD),
        verb=st.one_of(st.just("add"), FIELD),
        comment_id=ID,
        post_id=ID,
        message=FIELD,
        created_time=TIME,
        **{"from": without_missing(id=ID)},
    ),
)
FACEBOOK_PAYLOAD = without_missing(
    object=st.one_of(st.just("page"), FIELD),
    entry=st.one_of(
        st.lists(
            without_missing(
                id=st.one_of(st.just(PAGE), ID),
                messaging=st.one_of(st.lists(MESSENGER_ITEM, max_size=3), FIELD),
                standby=st.one_of(st.lists(MESSENGER_ITEM, max_size=2), FIELD),
                changes=st.one_of(st.lists(COMMENT_CHANGE, max_size=2), FIELD),
            ),
            max_size=3,
        ),
        FIELD,
    ),
)
DIRECT_MESSAGE = without_missing(
    type=st.one_of(st.just("message_create"), FIELD),
    id=ID,
    created_timestamp=TIME,
    message_create=without_missing(
        sender_id=ID, target=FIELD, message_data=without_missing(text=FIELD)
    ),
)
MENTION = without_missing(
    id_str=ID,
    text=FIELD,
    user=without_missing(id_str=ID),
    timestamp_ms=TIME,
    in_reply_to_user_id_str=ID,
    extended_tweet=without_missing(full_text=FIELD, entities=FIELD),
    entities=st.one_of(
        without_missing(urls=st.lists(without_missing(url=FIELD, expanded_url=FIELD))), FIELD
    ),
)
X_PAYLOAD = without_missing(
    for_user_id=st.one_of(st.just(ME), ID),
    direct_message_events=st.one_of(st.lists(DIRECT_MESSAGE, max_size=3), FIELD),
    tweet_create_events=st.one_of(st.lists(MENTION, max_size=3), FIELD),
)


def as_json(strategy):
    return strategy.map(lambda value: json.dumps(value).encode())


BODY = st.one_of(
    as_json(FACEBOOK_PAYLOAD),
    as_json(X_PAYLOAD),
    as_json(ANY_JSON),
    st.binary(max_size=200),
    # Truncated or corrupted JSON.
    as_json(FACEBOOK_PAYLOAD).flatmap(
        lambda body: st.integers(0, len(body)).map(lambda cut: body[:cut])
    ),
    st.sampled_from([b"", b"null", b"[]", b"{}", b'"page"', b"\xff\xfe{", b"[" * 5000]),
)
CONTENT_TYPE = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        None,
    ]
)
SIGNING = st.sampled_from(["right", "none", "wrong", "spaced", "upper", "other-secret"])


LONE_SURROGATE = json.dumps(
    {
        "object": "page",
        "entry": [
            {
                "id": PAGE,
                "messaging": [{"sender": {"id": "u"}, "message": {"mid": "m", "text": "\ud800"}}],
            }
        ],
    }
).encode()
TEXT_AN_OBJECT = json.dumps(
    {
        "for_user_id": ME,
        "direct_message_events": [
            {
                "type": "message_create",
                "id": "e",
                "message_create": {"sender_id": "u", "message_data": {"text": {"a": 1}}},
            }
        ],
    }
).encode()


def signature(platform, body, signing):
    _, _, secret = HOOKS[platform]
    right = SIGNERS[platform](body, secret)
    return {
        "right": right,
        "none": None,
        "wrong": SIGNERS[platform](body + b" ", secret),
        "spaced": f"  {right}  ",
        "upper": right.upper(),
        "other-secret": SIGNERS[platform](body, "guess"),
    }[signing]


def rows(engine):
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(inbound_events)).scalar()


def recorded_since(engine, count):
    """The events recorded after the first `count`, as the intake loop will read them."""
    with engine.connect() as connection:
        found = connection.execute(
            select(inbound_events.c.event).order_by(inbound_events.c.id).offset(count)
        )
        return [json.loads(row.event) for row in found]


def readable(event):
    """Whether a recorded message is one the assistant can read and answer: text, and
    ids a platform would send (short printable ASCII)."""
    ids = [event[name] for name in ("event_id", "author_id", "post_id", "comment_id")]
    ids = [i for i in ids + [event["tweet_id"]] if i is not None]
    return (
        isinstance(event["text"], str)
        and event["text"] == event["text"].encode("utf-8", "replace").decode()
        and all(isinstance(i, str) and 0 < len(i) <= 255 and i.isprintable() for i in ids)
        and all(i.isascii() and " " not in i for i in ids)
    )


def post(app, loop, platform, body, content_type, signing):
    path, header, _ = HOOKS[platform]
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    signed = signature(platform, body, signing)
    if signed is not None:
        headers[header] = signed
    _, response = loop.run_until_complete(app.asgi_client.post(path, content=body, headers=headers))
    return response


@pytest.mark.parametrize("platform", ["facebook", "twitter"])
@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODY, content_type=CONTENT_TYPE, signing=SIGNING)
@example(body=b"x" * (MAX_BODY_BYTES + 1), content_type="application/json", signing="right")
@example(body=b"[" * 20_000 + b"]" * 20_000, content_type="application/json", signing="right")
@example(body=LONE_SURROGATE, content_type="application/json", signing="right")
@example(body=TEXT_AN_OBJECT, content_type="application/json", signing="right")
def test_any_request_gets_2xx_400_403_or_413_and_a_refused_one_records_nothing(
    app_and_store, loop, platform, body, content_type, signing
):
    app, engine = app_and_store
    before = rows(engine)
    response = post(app, loop, platform, body, content_type, signing)
    assert 200 <= response.status < 300 or response.status in ACCEPTED, (
        response.status,
        response.text[:300],
    )
    if response.status >= 300:
        assert rows(engine) == before
    else:
        assert signing in ("right", "spaced")  # only a signed body is ever taken
        for event in recorded_since(engine, before):
            assert readable(event), event
