"""The cluster profile (scripts/cluster.py): two Rasa servers, each with its action
server, behind nginx, on one PostgreSQL (the encrypted tracker store and the project's
own tables) and one Redis lock store: Rasa's own deployment model (P12).

- One conversation's messages go to both servers at once, alternately. The Redis lock
  store makes the servers take them one at a time: every message is kept, in the order
  each sender sent it, with exactly one turn of replies. With a lock per server (Rasa's
  in-memory default) the two would read the same tracker at once, and one turn's
  events would be lost when both saved.
- Signed Messenger webhooks through nginx land on both servers; each accepted message
  is answered once, whichever server's intake worker takes it.
- The webhooks fuzzed through nginx get 4xx, never 5xx.

Run through `make cluster-test`, which starts a throwaway PostgreSQL and Redis.
"""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from bot.channels.rest import rest_conversation_id
from bot.channels.runtime import APOLOGY
from bot.handoff.conversations import RasaConversations
from bot.keys import DataKeys
from bot.platforms.signatures import facebook_signature
from bot.sandbox.webhooks import facebook_webhook
from bot.store import connect
from bot.tenancy.records import TenancyRepository, load_tenancies
from scripts.cluster import Cluster
from scripts.fake_platforms import FakePlatforms
from scripts.processes import free_port, send
from tests.cluster.faults import FaultRow, record_fault
from tests.e2e.platforms import APP_SECRET, PAGE, message, sent_to, wait_for
from tests.helpers import DEMO_TENANCIES, in_threads

POSTGRES = os.environ.get("TEST_POSTGRES_URL")
REDIS = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not (POSTGRES and REDIS),
    reason="needs TEST_POSTGRES_URL and TEST_REDIS_URL: run `make cluster-test`",
)

ROUNDS = 6  # messages each server gets, at the same time as the other
HOOK = "/webhooks/facebook/webhook"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cluster")
    with FakePlatforms() as platforms:
        env = {
            "FACEBOOK_APP_SECRET": APP_SECRET,
            "FACEBOOK_VERIFY_TOKEN": "cluster-verify",
            "FACEBOOK_PAGE_ACCESS_TOKEN": "cluster-page-token",
            "FACEBOOK_PAGE_ID": PAGE,
            "FACEBOOK_GRAPH_URL": platforms.graph_url,
        }
        running = Cluster(
            POSTGRES, REDIS, free_port(), log_dir=tmp, rest_channel=True, extra_env=env
        )
        engine = connect(
            POSTGRES,
            DataKeys(
                running.data_keys["ENCRYPTION_KEYS"].split(","), running.data_keys["LOOKUP_KEY"]
            ),
        )
        load_tenancies(DEMO_TENANCIES, TenancyRepository(engine))
        with running:
            yield running, platforms


def turns(events: list) -> list:
    """(the user's text, how many bot messages followed it) for each user message."""
    found = []
    for event in events:
        if event["event"] == "user":
            found.append([event.get("text"), 0])
        elif event["event"] == "bot" and found:
            found[-1][1] += 1
    return [tuple(turn) for turn in found]


def upstreams(cluster: Cluster, path: str) -> set:
    """The servers nginx sent requests for `path` to, from its access log."""
    lines = cluster.access_log.read_text().splitlines()
    return {line.split()[0] for line in lines if line.split()[-1] == path}


def test_a_conversation_spread_over_both_servers_keeps_every_message_in_order(cluster):
    running, _ = cluster
    one, two = running.servers
    replies_to_one = len(send(one.rasa_url, f"alone-{uuid.uuid4().hex[:12]}", "hello"))
    assert replies_to_one >= 1

    sender = f"cluster-{uuid.uuid4().hex[:12]}"
    answered = {}

    def converse(server_and_name) -> None:
        server, name = server_and_name
        for n in range(ROUNDS):
            text = f"hello {name}{n}"
            answered[text] = len(send(server.rasa_url, sender, text, timeout=60))

    in_threads(converse, [(one, "a"), (two, "b")])

    # Every message was answered with one turn's replies, as when it is alone.
    assert answered == {f"hello {name}{n}": replies_to_one for name in "ab" for n in range(ROUNDS)}
    conversation = rest_conversation_id(sender)
    events = [
        RasaConversations(server.rasa_url, server.api_token).tracker(conversation)["events"]
        for server in running.servers
    ]
    # The same conversation, read from either server.
    assert turns(events[0]) == turns(events[1])
    kept = turns(events[0])
    # Every message kept once, with one turn of replies after it.
    assert sorted(text for text, _ in kept) == sorted(answered)
    assert all(count == replies_to_one for _, count in kept), kept
    # Each sender's messages in the order they were sent.
    for name in "ab":
        mine = [text for text, _ in kept if text.startswith(f"hello {name}")]
        assert mine == [f"hello {name}{n}" for n in range(ROUNDS)]
    # And they did interleave: the servers took turns, not one whole run each.
    order = "".join(text[len("hello ")] for text, _ in kept)
    assert "ab" in order and "ba" in order, order


def post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def signed_bytes(body: bytes) -> dict:
    """The headers of `body` signed as Facebook signs it."""
    return {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": facebook_signature(body, APP_SECRET),
    }


def signed(payload) -> tuple:
    body = json.dumps(payload).encode()
    return body, signed_bytes(body)


def messenger_replies_to_one(running: Cluster, platforms: FakePlatforms) -> int:
    """How many Messenger messages answer one "hello" through nginx, alone."""
    alone = f"psid{uuid.uuid4().int % 10**12}"
    body, headers = signed(facebook_webhook(PAGE, messaging=[message(alone, "hello")]))
    assert post(running.url + HOOK, body, headers) == 200
    assert wait_for(lambda: sent_to(platforms, alone), 60)
    time.sleep(3)  # the rest of its replies, if any
    return len(sent_to(platforms, alone))


def test_messenger_messages_through_nginx_are_each_answered_once(cluster):
    running, platforms = cluster
    replies_to_one = messenger_replies_to_one(running, platforms)

    tenants = [f"psid{uuid.uuid4().int % 10**12}" for _ in range(4)]
    for round_ in range(3):
        for tenant in tenants:
            body, headers = signed(
                facebook_webhook(PAGE, messaging=[message(tenant, f"hello {round_}")])
            )
            assert post(running.url + HOOK, body, headers) == 200
    expected = 3 * replies_to_one
    assert wait_for(lambda: all(len(sent_to(platforms, t)) >= expected for t in tenants), 120)
    time.sleep(3)  # nothing more may come
    assert [len(sent_to(platforms, t)) for t in tenants] == [expected] * len(tenants)
    # nginx spread them over both servers.
    assert len(upstreams(running, HOOK)) == 2


def test_the_webhook_fuzzed_through_nginx_is_refused_and_never_a_server_error(cluster):
    running, _ = cluster
    rng = random.Random(17)
    good = json.dumps(facebook_webhook(PAGE, messaging=[message("psid1", "hi")])).encode()
    cases = [
        (good, {"Content-Type": "application/json"}),  # unsigned
        (good, {"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=00"}),
        (b"{not json", signed_bytes(b"{not json")),
        (b"", {"Content-Type": "application/json"}),
        (b"x" * (2 * 1024 * 1024), {"Content-Type": "application/json"}),  # over 1 MB
    ]
    for payload in ([], "text", 7, None, {"object": "page"}, {"object": "page", "entry": "x"}):
        cases.append(signed(payload))
    for _ in range(20):
        noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
        cases.append((noise, signed_bytes(noise)))
    answers = [post(running.url + HOOK, body, headers) for body, headers in cases]
    # As on one server (tests/server/test_webhook_fuzz.py): 2xx, 400, 403 or 413.
    assert all(status < 300 or status in (400, 403, 413) for status in answers), answers
    assert answers[:5] == [403, 403, 400, 403, 413], answers[:5]
    # And nginx's own log agrees: no 5xx for any of them.
    statuses = [line.split()[1] for line in running.access_log.read_text().splitlines()]
    assert not [s for s in statuses if re.fullmatch(r"5\d\d", s)]


def test_an_identity_check_whose_answers_reach_both_servers_passes(cluster):
    """The security answers are sealed by one action server and opened by the other:
    the cluster's action servers share SECURITY_ANSWERS_KEY (P4)."""
    running, _ = cluster
    one, two = running.servers
    sender = f"identity-{uuid.uuid4().hex[:12]}"
    said = []
    for server, text in (
        (one, "rent balance please"),
        (two, "TEN-204817"),
        (one, "Margaret Thompson"),
        (two, "12th April 1958"),
    ):
        said.append(" ".join(r.get("text", "") for r in send(server.rasa_url, sender, text)))
    assert "what's your tenancy reference" in said[0], said
    assert "£123.45" in said[-1], said


def texts(call) -> str:
    """The text of a Messenger message sent."""
    return ((call.body or {}).get("message") or {}).get("text")


def new_tenants(count: int) -> list:
    return [f"psid{uuid.uuid4().int % 10**12}" for _ in range(count)]


def say(url: str, tenant: str, text: str = "hello") -> None:
    """A tenant's Messenger message, as the platform sends it to `url` (nginx or a server)."""
    body, headers = signed(facebook_webhook(PAGE, messaging=[message(tenant, text)]))
    assert post(url + HOOK, body, headers) == 200


def heard(platforms: FakePlatforms, tenant: str) -> list:
    """What a tenant was sent, in order."""
    return [texts(call) for call in sent_to(platforms, tenant)]


def answers(platforms: FakePlatforms, tenant: str) -> list:
    return [text for text in heard(platforms, tenant) if text != APOLOGY]


def tally(
    fault: str, platforms: FakePlatforms, tenants: list, replies_to_one: int, refused: int = 0
) -> FaultRow:
    """Wait for every tenant's answer, then count, for the fault report: each tenant
    sent one message, which was accepted."""
    # Not asserted here: a message lost still makes its row in the report, and the
    # test asserts the row.
    wait_for(lambda: all(len(answers(platforms, t)) >= replies_to_one for t in tenants), 120)
    time.sleep(3)  # nothing more may come
    counts = [len(answers(platforms, t)) for t in tenants]
    return record_fault(
        FaultRow(
            fault,
            accepted=len(tenants),
            answered_once=counts.count(replies_to_one),
            answered_more=sum(count > replies_to_one for count in counts),
            unanswered=counts.count(0),
            apologies=sum(heard(platforms, t).count(APOLOGY) for t in tenants),
            refused_then_resent=refused,
        )
    )


def restart_postgres() -> None:
    """PostgreSQL stopped (fast: its connections cut) and started again, as a restart
    for an upgrade does."""
    owner = os.environ.get("TEST_POSTGRES_OWNER", "").split()
    data = os.environ["TEST_POSTGRES_DATA"]
    command = [os.environ["TEST_POSTGRES_PG_CTL"], "-D", data]
    # Started again with the options it runs with now (its port, its socket folder).
    with open(os.path.join(data, "postmaster.opts")) as opts:
        running = shlex.split(opts.read())[1:]
    options = [o for n, o in enumerate(running) if o != "-D" and running[n - 1] != "-D"]
    subprocess.run([*owner, *command, "-m", "fast", "-w", "stop"], check=True, timeout=60)
    time.sleep(3)  # down for a while: webhooks arrive meanwhile
    log = os.path.join(os.path.dirname(data), "log")
    start = [*command, "-w", "-l", log, "-o", shlex.join(options), "start"]
    subprocess.run([*owner, *start], check=True, timeout=60)


def restart(failures: list) -> None:
    try:
        restart_postgres()
    except BaseException as error:  # reported by the test, not lost in the thread
        failures.append(error)


def test_a_postgresql_restart_loses_nothing_and_answers_each_message_once(cluster):
    """Webhooks that arrive while PostgreSQL is down get 503 and are sent again, as the
    platform does; messages kept before it went down are answered after (P12)."""
    running, platforms = cluster
    replies_to_one = messenger_replies_to_one(running, platforms)

    tenants = new_tenants(6)
    refused, failures = [], []

    def platform_sends(tenant: str) -> None:
        """One message, sent again after each refusal, as Messenger retries."""
        body, headers = signed(facebook_webhook(PAGE, messaging=[message(tenant, "hello")]))
        try:
            for _ in range(60):
                status = post(running.url + HOOK, body, headers)
                if status == 200:
                    return
                assert status == 503, status
                refused.append(tenant)
                time.sleep(1)
            raise AssertionError(f"{tenant}: never accepted")
        except BaseException as error:  # reported below, not lost in the thread
            failures.append(error)

    senders = []
    for n, tenant in enumerate(tenants):
        if n == 2:
            restarting = threading.Thread(target=restart, args=(failures,))
            restarting.start()
            time.sleep(1)
        sender = threading.Thread(target=platform_sends, args=(tenant,))
        sender.start()
        senders.append(sender)
        time.sleep(0.5)
    for thread in [*senders, restarting]:
        thread.join(timeout=120)
    assert not failures, failures
    assert refused, "no webhook arrived while PostgreSQL was down"
    row = tally("PostgreSQL restarted", platforms, tenants, replies_to_one, len(refused))
    assert row.nothing_lost and row.apologies == 0, row


def test_an_action_server_killed_while_tenants_write_apologises_then_answers_each_once(cluster):
    """The first server's action server dies as tenants write to it. Each whose message
    it was reading hears a short apology, once, rather than silence; the message is
    kept (Rasa alone drops the failed action's events) and answered once, by either
    server, and the first server answers on its own once its action server is back."""
    running, platforms = cluster
    replies_to_one = messenger_replies_to_one(running, platforms)
    one = running.servers[0]
    tenants = new_tenants(4)
    one.kill_actions()
    try:
        for tenant in tenants:
            # To the first server itself: its intake reads them at once.
            say(one.rasa_url, tenant)
        assert wait_for(lambda: any(APOLOGY in heard(platforms, t) for t in tenants), 30)
    finally:
        one.start_actions()
    row = tally("an action server killed", platforms, tenants, replies_to_one)
    assert row.nothing_lost and row.apologies >= 1, row
    for tenant in tenants:
        said = heard(platforms, tenant)
        assert said.count(APOLOGY) <= 1 and APOLOGY not in said[1:], said
    recovered = send(one.rasa_url, f"after-{uuid.uuid4().hex[:12]}", "hello")
    assert recovered and APOLOGY not in [r.get("text") for r in recovered], recovered


def test_a_rasa_server_killed_after_acknowledging_loses_nothing(cluster):
    """The first Rasa server dies just after acknowledging webhooks: the messages are in
    PostgreSQL, and the second server answers each once (those the first had begun, once
    their claim runs out), with no restart needed."""
    running, platforms = cluster
    replies_to_one = messenger_replies_to_one(running, platforms)
    one = running.servers[0]
    tenants = new_tenants(8)
    for tenant in tenants:
        say(one.rasa_url, tenant)
    one.kill_rasa()
    # Some were still unanswered when it died: the second server had them to answer.
    pending = [t for t in tenants if len(answers(platforms, t)) < replies_to_one]
    assert pending, "the first server answered everything before it was killed"
    try:
        row = tally("a Rasa server killed after acknowledging", platforms, tenants, replies_to_one)
    finally:
        one.start_rasa()
    assert row.nothing_lost and row.apologies == 0, row


@pytest.mark.parametrize(
    "fault, fail",
    [
        ("the Graph API answering 500", lambda platforms: platforms.fail(500)),
        # Longer than the read timeout (10 s); the calls are lost on the way, so the
        # platform does not act on them (one that acts late is asked before the message
        # is sent again: tests/unit/test_outbox_in_doubt.py).
        ("the Graph API hanging", lambda platforms: platforms.hang(12, acts=False)),
    ],
)
def test_the_platform_failing_or_hanging_delays_the_answers_and_loses_none(cluster, fault, fail):
    running, platforms = cluster
    replies_to_one = messenger_replies_to_one(running, platforms)
    tenants = new_tenants(4)
    fail(platforms)
    try:
        for tenant in tenants:
            say(running.url, tenant)
        time.sleep(14)
        assert not any(heard(platforms, t) for t in tenants)
    finally:
        platforms.recover()
    row = tally(fault, platforms, tenants, replies_to_one)
    assert row.nothing_lost and row.apologies == 0, row
    if "hanging" in fault:
        # The outbox gave up on the hung calls at its timeout, and tried again.
        assert platforms.abandoned >= 1


def redis_server(*arguments: str) -> None:
    port, folder = os.environ["TEST_REDIS_PORT"], os.environ["TEST_REDIS_DIR"]
    subprocess.run(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            port,
            "--dir",
            folder,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--pidfile",
            f"{folder}/pid",
            "--logfile",
            f"{folder}/log",
            *arguments,
        ],
        check=True,
        timeout=30,
    )


def test_while_redis_is_down_messages_wait_and_are_answered_once_when_it_is_back(cluster):
    """Last in this module: it stops the cluster's Redis. Messages are accepted (the
    intake is in PostgreSQL), the servers log a clear error, and nothing is answered
    until Redis is back; then each message is answered once (P12)."""
    running, platforms = cluster
    port = os.environ["TEST_REDIS_PORT"]
    replies_to_one = messenger_replies_to_one(running, platforms)

    subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], timeout=30)
    tenants = new_tenants(3)
    try:
        for tenant in tenants:
            say(running.url, tenant)  # accepted all the same
        # Longer than five tries (5 s apart): a message that used up its attempts
        # would be set aside for staff, with an apology, instead of answered.
        time.sleep(35)
        assert not any(sent_to(platforms, t) for t in tenants)
        logs = "".join(
            (running.log_dir / f"server{n}" / "rasa.log").read_text(errors="replace")
            for n in (1, 2)
        )
        assert "The lock store could not lock the conversation" in logs
    finally:
        redis_server()
    # Each answered once, as the tenant whose message came before the outage, and none
    # set aside with an apology.
    row = tally("Redis down for 35 s", platforms, tenants, replies_to_one)
    assert row.nothing_lost and row.apologies == 0, row
