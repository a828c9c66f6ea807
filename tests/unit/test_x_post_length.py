"""X refuses a post over 280 (weighted): the fake X does too, and the outbox gives up on it
at once, as a dead letter staff see, rather than trying it again for a day (P12)."""

from datetime import datetime, timezone

import pytest
import requests

from bot.events import Operation
from bot.outbox import DEAD, SENT, Outbox
from bot.outbox_worker import OutboxWorker
from bot.platforms.x.api import XClient
from bot.platforms.x.delivery import twitter_deliverer
from bot.store import connect
from scripts.fake_platforms import FakePlatforms

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
SECRETS = ("key", "secret", "token", "token-secret")


@pytest.fixture
def platforms():
    with FakePlatforms() as fake:
        yield fake


def post(platforms, text):
    return requests.post(
        f"{platforms.x_url}/2/tweets",
        json={"text": text, "reply": {"in_reply_to_tweet_id": "1"}},
        headers={"Authorization": 'OAuth oauth_consumer_key="key"'},
        timeout=5,
    )


def test_the_fake_x_refuses_a_post_over_280_as_x_does(platforms):
    refused = post(platforms, "a" * 281)
    assert refused.status_code == 403
    body = refused.json()
    assert (body["title"], body["status"], body["type"]) == ("Forbidden", 403, "about:blank")
    assert body["detail"].startswith("Your Tweet text is too long.")
    assert platforms.received("twitter") == []


@pytest.mark.parametrize(
    "text",
    [
        "a" * 280,
        # 140 characters that weigh 2 each.
        "•" * 140,
        # Over 280 characters, but a link counts 23.
        "a" * 250 + " https://www.brookfieldhomes.example/" + "x" * 40,
    ],
)
def test_the_fake_x_takes_a_post_of_280_as_x_counts_them(platforms, text):
    assert post(platforms, text).status_code == 201


def test_a_post_x_refuses_for_its_length_goes_to_the_dead_letters_at_once(tmp_path, platforms):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    box = Outbox(engine)
    client = XClient(platforms.x_url, *SECRETS, user_id="me")
    worker = OutboxWorker(box, {"twitter": twitter_deliverer(client)}, lambda: NOW)
    long = box.enqueue("c", "twitter", Operation.X_REPLY, "t1", NOW, text="a" * 300)
    short = box.enqueue("c", "twitter", Operation.X_REPLY, "t2", NOW, text="a" * 200)
    while worker.run_once():
        pass
    # Tried once, refused for good: never tried again, and the next post still goes out.
    [dead] = box.messages(DEAD)
    assert (dead.id, dead.attempts) == (long, 1)
    assert "too long" in (dead.last_error or "")
    assert [m.id for m in box.messages(SENT)] == [short]
    assert [c.body["text"] for c in platforms.received("twitter")] == ["a" * 200]
