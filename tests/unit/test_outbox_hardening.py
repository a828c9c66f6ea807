"""The outbox and the platform clients under review: a slow call, what a stored
message keeps, secrets in logs, and platforms that answer oddly (P12)."""

import logging
import socket
import threading
import time
import traceback
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

import scripts.outbox as outbox_cli
from bot.events import Operation
from bot.keys import DataKeys, new_encryption_key, new_lookup_key
from bot.outbox import DEAD, PENDING, SENT, Call, Outbox, PlatformError
from bot.outbox_worker import OutboxWorker
from bot.platforms.facebook.delivery import facebook_deliverer
from bot.platforms.facebook.graph_api import GraphClient
from bot.platforms.http import request_json, retry_after
from bot.platforms.x.api import XClient
from bot.platforms.x.delivery import twitter_deliverer
from bot.store import connect, outbox
from scripts.fake_platforms import FakePlatforms
from tests.helpers import Clock

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
PAGE_TOKEN = "EAAGpageTokenThatMustStayPrivate123"
X_SECRETS = ("xConsumerKey987", "xConsumerSecret654", "xAccessToken321", "xTokenSecret000")


@pytest.fixture
def engine(tmp_path):
    return connect(f"sqlite:///{tmp_path / 'store.db'}")


@pytest.fixture
def platforms():
    with FakePlatforms() as fake:
        yield fake


def stored(engine, message_id, column):
    with engine.connect() as connection:
        return connection.execute(
            select(outbox.c[column]).where(outbox.c.id == message_id)
        ).scalar()


def clients(platforms, timeout=(1.0, 1.0)):
    graph = GraphClient(platforms.graph_url, "1000", PAGE_TOKEN, timeout=timeout)
    x = XClient(platforms.x_url, *X_SECRETS, timeout=timeout, user_id="me")
    return {"facebook": facebook_deliverer(graph), "twitter": twitter_deliverer(x)}


# 1. A slow call keeps its claim


def test_a_call_slower_than_its_lease_keeps_its_claim_and_goes_out_once(engine):
    clock = Clock(NOW)
    box = Outbox(engine, lease=timedelta(seconds=0.3))
    release, sent = threading.Event(), []

    def slow_platform(message, now):
        sent.append(message.text)
        if len(sent) == 1:
            release.wait(10)  # the platform takes far longer than the lease to answer
        return f"id{len(sent)}"

    first = OutboxWorker(box, {"twitter": slow_platform}, clock)
    second = OutboxWorker(box, {"twitter": slow_platform}, clock)
    box.enqueue("c", "twitter", Operation.X_DM, "u1", NOW, text="your repair is booked")
    running = threading.Thread(target=first.run_once)
    running.start()
    try:
        while not sent:
            time.sleep(0.01)
        for _ in range(20):  # two seconds on the clock, and in real time: the lease is long gone
            clock.now += timedelta(seconds=0.1)
            time.sleep(0.25)
            second.run_once()
    finally:
        release.set()
        running.join(10)
    while second.run_once() | first.run_once():
        pass
    assert sent == ["your repair is booked"]
    assert [m.state for m in box.messages()] == [SENT]


def test_a_late_answer_does_not_overwrite_what_the_next_claim_recorded(engine):
    """A worker whose claim was lost (it could not renew) records nothing over the next one."""
    clock = Clock(NOW)
    box = Outbox(engine, lease=timedelta(seconds=30))
    box.enqueue("c", "twitter", Operation.X_DM, "u1", NOW, text="hi")
    stale = box.claim(NOW)
    clock.now = NOW + timedelta(minutes=5)
    refused = OutboxWorker(
        box, {"twitter": lambda m, n: (_ for _ in ()).throw(PlatformError("400", False))}, clock
    )
    assert refused.run_once()
    box.sent(stale.id, clock.now, "late", claim=stale.attempts)
    assert [m.state for m in box.messages()] == [DEAD]


# 2. What a stored message keeps


def test_a_sent_message_keeps_no_text(engine, platforms):
    clock = Clock(NOW)
    box = Outbox(engine)
    worker = OutboxWorker(box, clients(platforms), clock)
    fallback = (Call(Operation.X_REPLY, "t1", "please follow us"),)
    first = box.enqueue(
        "c", "twitter", Operation.X_DM, "u1", NOW, text="flat 4, 12 Oak Road", fallback=fallback
    )
    while worker.run_once():
        pass
    assert platforms.texts() == ["flat 4, 12 Oak Road"]
    assert stored(engine, first, "state") == SENT
    assert stored(engine, first, "text") is None
    assert stored(engine, first, "fallback") is None


def store_keys_in_env(monkeypatch) -> DataKeys:
    """Keys in the environment, as the command reads them; the store's engine shares them."""
    encryption_key, lookup_key = new_encryption_key(), new_lookup_key()
    monkeypatch.setenv("ENCRYPTION_KEYS", encryption_key)
    monkeypatch.setenv("LOOKUP_KEY", lookup_key)
    return DataKeys([encryption_key], lookup_key)


def raw(engine, message_id, column):
    """A column as the database file holds it."""
    with engine.connect() as connection:
        return connection.exec_driver_sql(
            f"SELECT {column} FROM outbox WHERE id = ?", (message_id,)
        ).scalar()


def test_a_dead_letter_is_sealed_listed_without_its_text_and_sent_again(
    tmp_path, platforms, monkeypatch, capsys
):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = connect(url, store_keys_in_env(monkeypatch))
    clock = Clock(NOW)
    box = Outbox(engine)
    worker = OutboxWorker(box, clients(platforms), clock)
    text = "call me on 07700 900123 about TEN-204817"
    platforms.closed_dms.add("u1")
    dead = box.enqueue("c", "twitter", Operation.X_DM, "u1", NOW, text=text)
    worker.run_once()
    assert stored(engine, dead, "state") == DEAD
    sealed = raw(engine, dead, "text")
    assert sealed and "07700" not in sealed and "TEN-204817" not in sealed

    assert outbox_cli.main(["dead"]) == 0
    listing = capsys.readouterr().out
    assert str(dead) in listing and "HTTP 403" in listing
    assert "07700" not in listing and "TEN-204817" not in listing

    platforms.closed_dms.clear()  # the cause is mended
    assert outbox_cli.main(["send-again", str(dead)]) == 0
    clock.now = datetime.now(timezone.utc)  # the command queues it for now
    while worker.run_once():
        pass
    assert platforms.texts() == [text]
    assert stored(engine, dead, "state") == SENT and stored(engine, dead, "text") is None


def test_a_dead_letter_sealed_under_another_key_is_not_sent_as_garbage(
    engine, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    store_keys_in_env(monkeypatch)
    box = Outbox(engine)  # keys of its own, not the command's
    worker = OutboxWorker(
        box,
        {"twitter": lambda m, n: (_ for _ in ()).throw(PlatformError("403", False))},
        Clock(NOW),
    )
    dead = box.enqueue("c", "twitter", Operation.X_DM, "u1", NOW, text="hello")
    worker.run_once()
    assert outbox_cli.main(["send-again", str(dead)]) == 2
    assert "ENCRYPTION_KEYS" in capsys.readouterr().err
    assert stored(engine, dead, "state") == DEAD


# 3. Secrets never reach a log or the outbox


@pytest.fixture
def every_log(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "urllib3.connectionpool", "requests", "requests_oauthlib", "oauthlib"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def closed_port_url():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{free.getsockname()[1]}"


def test_the_page_token_reaches_no_log_and_no_stored_error(engine, platforms, every_log):
    for n in range(150):  # more than a page: the listing follows `paging.next`
        platforms.add_comment("p1", f"c{n}", "2026-08-01T09:30:00+0000", "u1")
    graph = GraphClient(platforms.graph_url, "1000", PAGE_TOKEN, timeout=(1.0, 1.0))
    listing = graph.page_comments()
    first_page = [next(listing) for _ in range(100)]
    assert len(first_page) == 100
    platforms.fail(500)  # the next page fails: its address carries the token
    errors = []
    with pytest.raises(PlatformError) as failed:
        list(listing)
    errors.append(failed.value)
    logging.getLogger("bot.test").warning("Could not list the page's comments: %s", failed.value)
    logging.getLogger("bot.test").exception("listing", exc_info=failed.value)

    offline = GraphClient(closed_port_url(), "1000", PAGE_TOKEN, timeout=(0.5, 0.5))
    with pytest.raises(PlatformError) as refused:
        list(offline.page_comments())
    errors.append(refused.value)
    logging.getLogger("bot.test").exception("listing", exc_info=refused.value)

    box = Outbox(engine)
    worker = OutboxWorker(box, {"facebook": facebook_deliverer(offline)}, Clock(NOW))
    waiting = box.enqueue("c", "facebook", Operation.HIDE_COMMENT, "c1", NOW)
    worker.run_once()
    platforms.fail(400)
    worker = OutboxWorker(box, clients(platforms), Clock(NOW))
    dead = box.enqueue("d", "facebook", Operation.DELETE_COMMENT, "c2", NOW)
    worker.run_once()

    stored_errors = [stored(engine, waiting, "last_error"), stored(engine, dead, "last_error")]
    assert all(stored_errors)
    said = [every_log.text, *map(str, stored_errors)]
    said += [repr(e) for e in errors] + ["".join(traceback.format_exception(e)) for e in errors]
    assert platforms.graph_url.split("//")[1] in every_log.text  # the calls were logged
    assert not [s for s in said if PAGE_TOKEN in s]


def test_the_x_tokens_reach_no_log_and_no_stored_error(engine, platforms, every_log):
    box = Outbox(engine)
    worker = OutboxWorker(box, clients(platforms), Clock(NOW))
    box.enqueue("c", "twitter", Operation.X_DM, "u1", NOW, text="hello")
    platforms.closed_dms.add("u2")
    refused = box.enqueue("d", "twitter", Operation.X_DM, "u2", NOW, text="hello")
    offline = XClient(closed_port_url(), *X_SECRETS, timeout=(0.5, 0.5), user_id="me")
    worker_offline = OutboxWorker(box, {"twitter": twitter_deliverer(offline)}, Clock(NOW))
    while worker.run_once():
        pass
    waiting = box.enqueue("e", "twitter", Operation.X_REPLY, "t1", NOW, text="hi")
    worker_offline.run_once()
    assert platforms.texts() == ["hello"]
    said = [every_log.text, stored(engine, refused, "last_error")]
    said.append(stored(engine, waiting, "last_error"))
    assert "oauth" in every_log.text.lower()  # the signing was logged
    assert not [(secret, s) for s in said for secret in X_SECRETS if secret in s]


# 4. Platforms that answer oddly


class OddPlatform:
    """A platform that answers every call with one fixed, odd response."""

    def __init__(self, status=200, body=b"", headers=(), trickle=None):
        self.status, self.body, self.headers, self.trickle = status, body, dict(headers), trickle
        odd = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(odd.status)
                for name, value in odd.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(odd.body)))
                self.end_headers()
                try:
                    if odd.trickle is None:
                        self.wfile.write(odd.body)
                        return
                    for byte in odd.body:  # one byte at a time, never pausing long
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(odd.trickle)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def odd():
    made = []

    def make(**answer):
        made.append(OddPlatform(**answer))
        return made[-1]

    yield make
    for platform in made:
        platform.close()


def send_one(engine, deliverers, platform, operation, text="hello"):
    box = Outbox(engine)
    worker = OutboxWorker(box, deliverers, Clock(NOW))
    message = box.enqueue(operation.value, platform, operation, "t1", NOW, text=text)
    worker.run_once()
    return stored(engine, message, "state"), stored(engine, message, "last_error")


@pytest.mark.parametrize(
    "body",
    [b"<html>Service temporarily unavailable</html>", b'{"data": {"id": "1"'],
    ids=["an html page", "cut-off json"],
)
def test_a_2xx_answer_that_is_not_the_platforms_json_is_not_taken_as_sent(engine, odd, body):
    platform = odd(status=200, body=body, headers={"Content-Type": "text/html"})
    x = XClient(platform.url, *X_SECRETS, timeout=(1.0, 1.0), user_id="me")
    graph = GraphClient(platform.url, "1000", PAGE_TOKEN, timeout=(1.0, 1.0))
    for deliverers, name, operation in (
        ({"twitter": twitter_deliverer(x)}, "twitter", Operation.X_REPLY),
        ({"facebook": facebook_deliverer(graph)}, "facebook", Operation.PUBLIC_REPLY),
    ):
        state, error = send_one(engine, deliverers, name, operation)
        assert state == PENDING and error  # tried again later, not marked sent


@pytest.mark.parametrize(
    "platform_name, operation, body",
    [
        ("twitter", Operation.X_HIDE_REPLY, b'{"errors": [{"title": "Not Found Error"}]}'),
        ("facebook", Operation.HIDE_COMMENT, b'{"success": false}'),
        ("facebook", Operation.PUBLIC_REPLY, b'{"error": {"message": "(#100)", "code": 100}}'),
    ],
    ids=["x errors without data", "graph success false", "graph error in a 200"],
)
def test_a_200_answer_that_reports_an_error_is_not_taken_as_done(
    engine, odd, platform_name, operation, body
):
    platform = odd(status=200, body=body, headers={"Content-Type": "application/json"})
    x = XClient(platform.url, *X_SECRETS, timeout=(1.0, 1.0), user_id="me")
    graph = GraphClient(platform.url, "1000", PAGE_TOKEN, timeout=(1.0, 1.0))
    deliverers = {"twitter": twitter_deliverer(x), "facebook": facebook_deliverer(graph)}
    state, error = send_one(engine, deliverers, platform_name, operation)
    assert state == DEAD and error


def test_a_body_that_trickles_in_is_given_up_on_and_tried_again(engine, odd):
    body = b'{"data": {"id": "1"}}' + b" " * 40  # six seconds, one byte at a time
    platform = odd(status=200, body=body, headers={"Content-Type": "application/json"}, trickle=0.1)
    x = XClient(platform.url, *X_SECRETS, timeout=(0.5, 0.5), user_id="me")
    started = time.monotonic()
    state, error = send_one(engine, {"twitter": twitter_deliverer(x)}, "twitter", Operation.X_REPLY)
    assert time.monotonic() - started < 4  # not the six seconds the body would take
    assert state == PENDING and "timed out" in error


@pytest.mark.parametrize(
    "header, seconds",
    [
        ("Mon, 23 Nov 2026 10:02:00 GMT", 120),
        ("Mon, 23 Nov 2026 10:02:00 -0000", 120),
        ("Mon, 23 Nov 2026 09:58:00 GMT", 0),
        ("120", 120),
    ],
)
def test_retry_after_as_a_date_or_seconds(header, seconds):
    assert retry_after({"Retry-After": header}, now=NOW) == seconds


def test_a_retry_after_beyond_reason_waits_a_day_at_most_and_breaks_nothing(engine, odd):
    platform = odd(status=503, body=b"busy", headers={"Retry-After": "9" * 30})
    x = XClient(platform.url, *X_SECRETS, timeout=(1.0, 1.0), user_id="me")
    box = Outbox(engine)
    clock = Clock(NOW)
    worker = OutboxWorker(box, {"twitter": twitter_deliverer(x)}, clock)
    message = box.enqueue("c", "twitter", Operation.X_REPLY, "t1", NOW, text="hello")
    worker.run_once()
    assert stored(engine, message, "state") == PENDING
    clock.now += timedelta(days=1, seconds=1)
    assert worker.run_once()  # due again after a day


def test_request_json_names_no_query_in_its_errors(odd):
    platform = odd(status=404, body=b"not json at all")
    import requests

    with pytest.raises(PlatformError) as failed:
        request_json(requests.Session(), "GET", f"{platform.url}/x?access_token=secret&a=1")
    assert "secret" not in str(failed.value) and "HTTP 404" in str(failed.value)
    assert not failed.value.transient


def test_an_older_releases_outbox_key_is_still_read_and_a_malformed_one_refused(tmp_path):
    """OUTBOX_KEY is retired (dead letters are encrypted with the store), but what an
    older release sealed under it must stay readable: `make run` carries it into .env."""
    from bot.settings import Settings, SettingsError

    no_dotenv = tmp_path / ".env"
    given = "1lhd2hM6T-1Fwz6I3wGcpTMqyKMqGZrMvdZo7EDF8mY="
    assert Settings.from_env({"OUTBOX_KEY": given}, no_dotenv).outbox_key == given
    with pytest.raises(SettingsError, match="OUTBOX_KEY"):
        Settings.from_env({"OUTBOX_KEY": "not-a-key"}, no_dotenv)


def test_a_message_retried_for_a_day_still_waits_its_turn_and_records_why(engine):
    def busy(message, now):
        raise PlatformError("HTTP 503", transient=True)

    clock = Clock(NOW)
    box = Outbox(engine)
    worker = OutboxWorker(box, {"twitter": busy}, clock)
    message = box.enqueue("c", "twitter", Operation.X_DM, "u1", NOW, text="hi")
    with engine.begin() as connection:  # seventeen hours of one attempt a minute
        connection.execute(outbox.update().values(attempts=1100))
    assert worker.run_once()
    assert stored(engine, message, "last_error") == "HTTP 503"
    assert not worker.run_once()  # waiting a minute, not tried again at once
    clock.now += timedelta(seconds=61)
    assert worker.run_once()


def test_a_redirect_is_not_followed_or_taken_as_sent(engine, odd):
    elsewhere = odd(status=200, body=b'{"data": {"id": "1"}}')
    platform = odd(status=302, body=b"", headers={"Location": f"{elsewhere.url}/2/tweets"})
    x = XClient(platform.url, *X_SECRETS, timeout=(1.0, 1.0), user_id="me")
    state, error = send_one(engine, {"twitter": twitter_deliverer(x)}, "twitter", Operation.X_REPLY)
    assert state == DEAD and "HTTP 302" in error


def test_a_claim_from_before_a_dead_letter_was_sent_again_records_nothing(engine):
    def refuse(message, now):
        raise PlatformError("HTTP 400", transient=False)

    box = Outbox(engine, lease=timedelta(seconds=30))
    box.enqueue("c", "twitter", Operation.X_DM, "u1", NOW, text="hi")
    stale = box.claim(NOW)  # a worker that then stalls and loses its claim
    later = NOW + timedelta(minutes=5)
    assert OutboxWorker(box, {"twitter": refuse}, lambda: later).run_once()
    assert box.send_again(stale.id, later)
    again = box.claim(later)
    box.sent(stale.id, later, "late", claim=stale.attempts)
    assert [m.state for m in box.messages()] == [PENDING]  # the new claim decides
    box.sent(again.id, later, "x1", claim=again.attempts)
    assert [m.state for m in box.messages()] == [SENT]


def test_a_graph_rate_limit_waits_as_long_as_meta_estimates(engine, odd):
    usage = (
        '{"1000": [{"type": "messenger", "call_count": 100, "estimated_time_to_regain_access": 5}]}'
    )
    throttled = b'{"error": {"message": "(#80006) too many calls", "code": 80006}}'
    platform = odd(status=400, body=throttled, headers={"X-Business-Use-Case-Usage": usage})
    graph = GraphClient(platform.url, "1000", PAGE_TOKEN, timeout=(1.0, 1.0))
    clock = Clock(NOW)
    box = Outbox(engine)
    worker = OutboxWorker(box, {"facebook": facebook_deliverer(graph)}, clock)
    box.enqueue(
        "c", "facebook", Operation.MESSENGER_SEND, "p1", NOW, text="hi", user_message_at=NOW
    )
    assert worker.run_once()
    for _ in range(4):  # not asked again every minute while Meta holds the page back
        clock.now += timedelta(minutes=1)
        assert not worker.run_once()
    clock.now += timedelta(minutes=1, seconds=1)
    assert worker.run_once()
