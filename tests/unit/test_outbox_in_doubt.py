"""A worker killed between the platform's answer and marking the message sent, or a call
whose answer timed out: the next attempt asks the platform before it sends again, so
the tenant hears the reply once (P12). Messenger and X direct messages can be read back;
where the platform refuses to be read, the message goes again rather than never."""

import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import event

from bot.events import Operation
from bot.keys import DataKeys
from bot.outbox import PENDING, SENT, Outbox, PlatformError
from bot.outbox_worker import OutboxWorker
from bot.platforms.facebook.delivery import facebook_deliverer, facebook_lately
from bot.platforms.facebook.graph_api import GraphClient
from bot.platforms.http import request_json
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
    assert box.sent_as([first_id]) == {first_id}


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


def test_an_older_message_in_the_same_words_never_stands_for_it(box, platforms):
    """The page said the same words before the message was stored, and the outbox has
    no record of it (staff typed it in Meta's inbox, or its row was removed after its
    retention period): the message in doubt is sent, not taken for it."""
    graph(platforms).send_message("psid1", "Hello there")  # not through the outbox
    stored = datetime.now(timezone.utc) + timedelta(seconds=30)
    clock = Clock(stored)
    box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", stored, text="Hello there")
    box.claim(stored)  # its worker died before the call
    clock.now = stored + LEASE + timedelta(seconds=1)
    run(worker(box, platforms, clock))
    assert platforms.texts() == ["Hello there", "Hello there"]
    assert [m.state for m in box.messages()] == [SENT]


def test_an_answer_not_as_documented_keeps_the_message_waiting_in_doubt(box, platforms):
    """Asking fails in a way of ours (an odd listing, the store unreachable): the message
    is not a dead letter; it waits, still in doubt."""
    clock = Clock(NOW)
    box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", NOW, text="Hello there")
    dies_after_the_call(box, platforms)
    lapsed(clock)

    def odd(message):
        return [("m_1", None)]  # two fields, not three

    assert asking(box, platforms, clock, odd).run_once()
    [message] = box.messages()
    assert message.state == PENDING and "could not ask" in message.last_error
    clock.now += timedelta(minutes=5)
    run(worker(box, platforms, clock))
    assert platforms.texts() == ["Hello there"]


def test_a_slow_answer_to_asking_keeps_the_claim(tmp_path, platforms):
    """Asking is renewed like the call: no other worker takes the message meanwhile."""
    box = Outbox(connect(f"sqlite:///{tmp_path / 'store.db'}"), lease=timedelta(seconds=0.3))
    clock = Clock(NOW)
    box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", NOW, text="Hello there")
    box.claim(NOW)
    clock.now = NOW + timedelta(seconds=1)  # that claim ran out: in doubt
    asked, release = threading.Event(), threading.Event()

    def slow(message):
        asked.set()
        release.wait(10)
        return []

    first = asking(box, platforms, clock, slow)
    second = asking(box, platforms, clock, never)
    running = threading.Thread(target=first.run_once)
    running.start()
    try:
        assert asked.wait(10)
        for _ in range(10):  # a second on the clock: the lease is long gone unless renewed
            clock.now += timedelta(seconds=0.1)
            time.sleep(0.25)
            assert not second.run_once()
    finally:
        release.set()
        running.join(10)
    assert platforms.texts() == ["Hello there"]


def test_a_connection_dropped_after_the_call_is_in_doubt_and_one_refused_is_not():
    """A platform that read the call and hung up may have carried it out; one whose port
    refused the connection never had it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def hang_up():
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.close()

    taker = threading.Thread(target=hang_up, daemon=True)
    taker.start()
    session = requests.Session()
    with pytest.raises(PlatformError) as dropped:
        request_json(session, "POST", f"http://127.0.0.1:{port}/me/messages", json={"a": 1})
    taker.join(5)
    listener.close()
    assert dropped.value.transient and dropped.value.maybe_done
    with pytest.raises(PlatformError) as refused:  # nothing listens there now
        request_json(session, "POST", f"http://127.0.0.1:{port}/me/messages", json={"a": 1})
    assert refused.value.transient and not refused.value.maybe_done


def test_a_claim_on_a_stale_read_does_not_take_a_message_retried_meanwhile(tmp_path):
    """Two workers read the same due message; the other claims it first, its call times
    out, and it records a retry in doubt. This one's claim, from what it read before,
    must not take the message: it would take it not in doubt, and send it again."""
    url, keys = f"sqlite:///{tmp_path / 'store.db'}", DataKeys.ephemeral()
    engine = connect(url, keys)
    box, other = Outbox(engine, lease=LEASE), Outbox(connect(url, keys), lease=LEASE)
    box.enqueue("c1", "twitter", Operation.X_DM, "42", NOW, text="hi")
    meanwhile = []

    def other_worker_first(connection, cursor, statement, *args):
        if statement.startswith("UPDATE outbox") and not meanwhile:
            meanwhile.append(other.claim(NOW))
            taken = meanwhile[0]
            later = NOW + timedelta(minutes=1)
            assert other.retry(taken.id, later, "timed out", taken.attempts, in_doubt_since=NOW)

    event.listen(engine, "before_cursor_execute", other_worker_first)
    at = NOW + timedelta(minutes=2)
    assert box.claim(at) is None
    assert meanwhile and meanwhile[0] is not None
    event.remove(engine, "before_cursor_execute", other_worker_first)
    again = box.claim(at)
    assert again is not None and again.in_doubt and again.attempts == 2
