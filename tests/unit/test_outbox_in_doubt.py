"""A worker killed between the platform's answer and marking the message sent, or a call
whose answer timed out: the next attempt asks the platform before it sends again, so
the tenant hears the reply once (P12). Messenger and X direct messages can be read back;
where the platform refuses to be read, the message goes again rather than never."""

import time
from datetime import datetime, timedelta, timezone

import pytest

from bot.events import Operation
from bot.outbox import PENDING, SENT, Outbox, PlatformError
from bot.outbox_worker import OutboxWorker
from bot.platforms.facebook.delivery import facebook_deliverer, facebook_lately
from bot.platforms.facebook.graph_api import GraphClient
from bot.platforms.x.api import XClient
from bot.platforms.x.delivery import twitter_deliverer, twitter_lately
from bot.store import connect
from scripts.fake_platforms import FakePlatforms
from tests.helpers import Clock

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
LEASE = timedelta(seconds=30)
PAGE = "1000"


@pytest.fixture
def box(tmp_path):
    return Outbox(connect(f"sqlite:///{tmp_path / 'store.db'}"), lease=LEASE)


@pytest.fixture
def platforms():
    with FakePlatforms() as fake:
        yield fake


def graph(platforms):
    return GraphClient(platforms.graph_url, PAGE, "EAAGpageToken", timeout=(1.0, 1.0))


def x_client(platforms):
    return XClient(platforms.x_url, "k", "s", "t", "ts", timeout=(1.0, 1.0), user_id="me")


def worker(box, platforms, clock, asks=True):
    client, x = graph(platforms), x_client(platforms)
    deliverers = {"facebook": facebook_deliverer(client), "twitter": twitter_deliverer(x)}
    lately = {"facebook": facebook_lately(client), "twitter": twitter_lately(x)}
    return OutboxWorker(box, deliverers, clock, lately=lately if asks else None)


def asking(box, platforms, clock, asker):
    """A Facebook worker that asks `asker` what the page sent, for a message in doubt."""
    client = graph(platforms)
    return OutboxWorker(
        box, {"facebook": facebook_deliverer(client)}, clock, lately={"facebook": asker}
    )


def never(message):
    raise AssertionError("asked whether a message went out that was not in doubt")


def dies_after_the_call(box, platforms):
    """A worker claims the next message, the platform takes it, and the worker dies
    before it marks it sent."""
    message = box.claim(NOW)
    deliverers = {
        "facebook": facebook_deliverer(graph(platforms)),
        "twitter": twitter_deliverer(x_client(platforms)),
    }
    return deliverers[message.platform](message, NOW)


def lapsed(clock):
    clock.now = NOW + LEASE + timedelta(seconds=1)


def run(worker):
    while worker.run_once():
        pass


def test_a_messenger_reply_sent_by_a_worker_that_died_goes_out_once(box, platforms):
    clock = Clock(NOW)
    box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", NOW, text="Hello there")
    first_id = dies_after_the_call(box, platforms)
    lapsed(clock)
    run(worker(box, platforms, clock))
    assert platforms.texts() == ["Hello there"]
    [message] = box.messages()
    assert message.state == SENT
    assert box.sent_as(first_id)


def test_without_asking_the_platform_it_would_go_out_twice(box, platforms):
    """What asking prevents: the same death, and a worker that cannot ask."""
    clock = Clock(NOW)
    box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", NOW, text="Hello there")
    dies_after_the_call(box, platforms)
    lapsed(clock)
    run(worker(box, platforms, clock, asks=False))
    assert platforms.texts() == ["Hello there", "Hello there"]


def test_an_x_direct_message_sent_by_a_worker_that_died_goes_out_once(box, platforms):
    clock = Clock(NOW)
    box.enqueue("c2", "twitter", Operation.X_DM, "42", NOW, text="We have your message")
    dies_after_the_call(box, platforms)
    lapsed(clock)
    run(worker(box, platforms, clock))
    assert platforms.texts() == ["We have your message"]
    assert [m.state for m in box.messages()] == [SENT]


def test_a_reply_whose_worker_died_before_the_call_is_sent(box, platforms):
    clock = Clock(NOW)
    box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", NOW, text="Hello there")
    assert box.claim(NOW).in_doubt is False
    lapsed(clock)  # it died before the call: the platform has nothing
    run(worker(box, platforms, clock))
    assert platforms.texts() == ["Hello there"]


def test_an_earlier_reply_in_the_same_words_does_not_stand_for_it(box, platforms):
    """The tenant said hello twice: the first answer is recorded sent; the second died
    before its call, and the page's newest message, in the same words, is the first."""
    clock = Clock(NOW)
    box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", NOW, text="Hello there")
    run(worker(box, platforms, clock))
    box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", NOW, text="Hello there")
    box.claim(NOW)
    lapsed(clock)
    run(worker(box, platforms, clock))
    assert platforms.texts() == ["Hello there", "Hello there"]
    assert [m.state for m in box.messages()] == [SENT, SENT]


def test_a_message_in_doubt_goes_again_when_the_platform_refuses_to_be_read(box, platforms):
    """Rather twice than never: the app may not read conversations, so it is sent again."""
    clock = Clock(NOW)
    box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", NOW, text="Hello there")
    dies_after_the_call(box, platforms)
    lapsed(clock)

    def refused(message):
        raise PlatformError("GET conversations: HTTP 403", transient=False)

    run(asking(box, platforms, clock, refused))
    assert platforms.texts() == ["Hello there", "Hello there"]


def test_a_message_in_doubt_waits_while_the_platform_cannot_be_read_now(box, platforms):
    """The listing fails for now (a 5xx, a timeout): nothing is sent, and the next
    attempt asks again, and finds it went out."""
    clock = Clock(NOW)
    box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", NOW, text="Hello there")
    dies_after_the_call(box, platforms)
    lapsed(clock)
    client = graph(platforms)
    down = [True]

    def flaky(message):
        if down[0]:
            raise PlatformError("GET conversations: HTTP 503", transient=True)
        return facebook_lately(client)(message)

    again = asking(box, platforms, clock, flaky)
    assert again.run_once()
    [message] = box.messages()
    assert message.state == PENDING and "could not ask" in message.last_error
    down[0] = False
    clock.now += timedelta(minutes=5)
    run(again)
    assert platforms.texts() == ["Hello there"]
    assert [m.state for m in box.messages()] == [SENT]


def test_a_message_not_in_doubt_is_sent_without_asking(box, platforms):
    """Asking costs a call: only a message whose last claim ran out asks."""
    plain = asking(box, platforms, Clock(NOW), never)
    box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", NOW, text="Hello there")
    run(plain)
    assert platforms.texts() == ["Hello there"]


def test_a_claim_is_in_doubt_only_when_the_last_one_ran_out_with_no_outcome(box):
    box.enqueue("c1", "twitter", Operation.X_DM, "42", NOW, text="hi")
    first = box.claim(NOW)
    assert not first.in_doubt
    later = NOW + LEASE + timedelta(seconds=1)
    second = box.claim(later)
    assert second.in_doubt
    # A transient failure is an outcome: the next claim is not in doubt.
    assert box.retry(second.id, later, "503", claim=second.attempts)
    third = box.claim(later)
    assert third is not None and not third.in_doubt
    assert third.state == PENDING


def slow_worker(box, platforms, clock):
    """A worker whose Graph API calls give up after 0.3 s without an answer."""
    client = GraphClient(platforms.graph_url, PAGE, "EAAGpageToken", timeout=(1.0, 0.3))
    return OutboxWorker(
        box,
        {"facebook": facebook_deliverer(client)},
        clock,
        lately={"facebook": facebook_lately(client)},
    )


def wait_until(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.mark.parametrize("acts", [True, False], ids=["carried out", "lost on the way"])
def test_a_reply_whose_answer_timed_out_goes_out_once(box, platforms, acts):
    """The platform takes longer than the worker waits: it may have sent the message
    (it is slow) or not (the call was lost). Either way the tenant hears it once."""
    clock = Clock(NOW)
    worker = slow_worker(box, platforms, clock)
    box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", NOW, text="Hello there")
    platforms.hang(0.8, acts=acts)
    assert worker.run_once()
    [message] = box.messages()
    assert message.state == PENDING and "timed out" in message.last_error
    platforms.recover()
    if acts:
        wait_until(lambda: platforms.texts() == ["Hello there"])
    clock.now = NOW + timedelta(minutes=5)
    run(worker)
    assert platforms.texts() == ["Hello there"]
    assert [m.state for m in box.messages()] == [SENT]


def test_a_refusal_is_no_doubt(box, platforms):
    """A platform that answered 503 did not send: the retry asks nothing."""
    clock = Clock(NOW)
    worker = asking(box, platforms, clock, never)
    box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", NOW, text="Hello there")
    platforms.fail(503)
    assert worker.run_once()
    platforms.recover()
    clock.now = NOW + timedelta(minutes=5)
    run(worker)
    assert platforms.texts() == ["Hello there"]
