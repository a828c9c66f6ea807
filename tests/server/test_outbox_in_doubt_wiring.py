"""The assistant's own outbox worker, as the server builds it, asks Facebook and X what
went out before it sends a message its last worker died sending (P12;
tests/unit/test_outbox_in_doubt.py has the cases)."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.channels.wiring import build_runtime
from bot.events import Operation
from bot.outbox import SENT
from bot.platforms.facebook.delivery import facebook_deliverer
from bot.platforms.facebook.graph_api import GraphClient
from bot.platforms.x.api import XClient
from bot.platforms.x.delivery import twitter_deliverer
from bot.settings import Settings
from scripts.fake_platforms import FakePlatforms
from tests.helpers import facebook_environ

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
PAGE, ME = "1000", "200000000000002"


@pytest.fixture
def platforms():
    with FakePlatforms() as fake:
        fake.x_account = ME
        yield fake


def test_the_servers_worker_sends_a_reply_in_doubt_once(platforms, tmp_path):
    environ = {
        **facebook_environ(tmp_path, platforms.graph_url, PAGE),
        "TWITTER_CONSUMER_KEY": "k",
        "TWITTER_CONSUMER_SECRET": "s",
        "TWITTER_ACCESS_TOKEN": "t",
        "TWITTER_ACCESS_TOKEN_SECRET": "ts",
        "TWITTER_USER_ID": ME,
        "TWITTER_API_URL": platforms.x_url,
    }
    clock = [NOW]
    settings = Settings.from_env(environ=environ, dotenv_path=tmp_path / "none")
    runtime = build_runtime(settings, lambda: clock[0])
    box = runtime.outbox
    box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", NOW, text="Hello there")
    box.enqueue("c2", "twitter", Operation.X_DM, "42", NOW, text="We have your message")
    # A worker takes each, the platform takes the call, and the worker dies unrecorded.
    graph = GraphClient(platforms.graph_url, PAGE, "page-token")
    x = XClient(platforms.x_url, "k", "s", "t", "ts", user_id=ME)
    calls = {"facebook": facebook_deliverer(graph), "twitter": twitter_deliverer(x)}
    for _ in range(2):
        message = box.claim(NOW)
        calls[message.platform](message, NOW)
    clock[0] = NOW + box.lease + timedelta(seconds=1)
    while runtime._worker.run_once():
        pass
    assert sorted(platforms.texts()) == ["Hello there", "We have your message"]
    assert [m.state for m in box.messages()] == [SENT, SENT]
