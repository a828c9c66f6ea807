"""The sandbox's pages and platform stand-in through Sanic's test client: 404 in
production, the guard, signed webhooks to the Rasa server, the stand-in's shapes and
what the page then shows (P5, P7)."""

import json
import re
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest

from bot.console.accounts import Role, StaffAccounts
from bot.console.app import create_app
from bot.console.sessions import COOKIE, Sessions
from bot.events import Operation, Platform
from bot.handoff.desk import StaffDesk
from bot.moderation.log import Action, ModerationLog, Subject
from bot.outbox import Author, Outbox
from bot.platforms.signatures import facebook_signature_valid, twitter_signature_valid
from bot.sandbox.mode import (
    ACCOUNT_ID,
    INSTAGRAM_ACCOUNT,
    LINKEDIN_ORGANIZATION,
    PAGE_ID,
    SANDBOX_PLATFORM,
    YOUTUBE_CHANNEL,
    sandbox_env,
)
from bot.sandbox.scenarios import SCENARIOS
from bot.sandbox.service import build_sandbox
from bot.sandbox.world import INSTAGRAM_POSTS, LINKEDIN_POSTS, YOUTUBE_VIDEOS, Pane
from bot.settings import Settings
from bot.store import connect
from tests.helpers import TEAMS
from tests.server.test_console_access import page_routes

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
GRAPH = "/sandbox-api/graph/v19.0"
TOKEN = {"access_token": "sandbox-page-token"}
REASON = "holds personal details (a phone number) in public"


class FakeRasaWebhooks:
    """The Rasa server's webhooks: checks each signature as the connectors do."""

    def __init__(self):
        self.received = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/webhooks/facebook/webhook":
                    valid = facebook_signature_valid(
                        body, self.headers.get("X-Hub-Signature-256"), "sandbox-app-secret"
                    )
                elif self.path == "/webhooks/instagram/webhook":
                    valid = facebook_signature_valid(
                        body, self.headers.get("X-Hub-Signature-256"), "sandbox-instagram-secret"
                    )
                else:
                    valid = twitter_signature_valid(
                        body,
                        self.headers.get("x-twitter-webhooks-signature"),
                        "sandbox-consumer-secret",
                    )
                if valid:
                    fake.received.append((self.path, json.loads(body)))
                self.send_response(200 if valid else 403)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self):
        return self.server.server_address[1]


class NoRasa:
    def tracker(self, conversation_id):
        return {"sender_id": conversation_id, "events": [], "paused": False}


def console(tmp_path, environ, sandbox_settings=None):
    """The staff app with `environ`'s settings, a member of staff signed in."""
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    settings = Settings.from_env(environ, dotenv_path=tmp_path / "none")
    desk = StaffDesk(engine, Outbox(engine), NoRasa(), TEAMS)
    sandbox = build_sandbox(sandbox_settings or settings, engine, lambda: NOW)
    accounts, sessions = StaffAccounts(engine), Sessions(engine)
    accounts.create("Sam", "a-long-password-1", Role.COMMUNICATIONS, NOW)
    cookie, session = sessions.start("Sam", NOW)
    app = create_app(
        desk,
        {},
        clock=lambda: NOW,
        name=f"sandbox_{tmp_path.name}".replace("-", "_"),
        accounts=accounts,
        sessions=sessions,
        settings=settings,
        sandbox=sandbox,
    )
    signed_in = {"cookies": {COOKIE: cookie}, "headers": {"X-CSRF-Token": session.csrf_token}}
    return app, sandbox, engine, signed_in


@pytest.fixture
def rasa():
    fake = FakeRasaWebhooks()
    yield fake
    fake.server.shutdown()


@pytest.fixture
def on(tmp_path, rasa):
    environ = {**sandbox_env(5080), "CONSOLE_PORT": "5080", "RASA_PORT": str(rasa.port)}
    return console(tmp_path, environ)


PATHS = [
    ("GET", "/sandbox"),
    ("GET", "/sandbox/world"),
    ("POST", "/sandbox/post"),
    ("POST", "/sandbox/scenarios/abuse"),
    ("GET", f"{GRAPH}/{PAGE_ID}/feed?access_token=sandbox-page-token"),
    ("POST", f"{GRAPH}/{PAGE_ID}/messages?access_token=sandbox-page-token"),
    ("POST", "/sandbox-api/x/2/tweets"),
]


def call(app, method, path, signed_in, **kwargs):
    client = app.test_client
    send = client.get if method == "GET" else client.post
    return send(path, **signed_in, **kwargs)[1]


@pytest.mark.parametrize("method, path", PATHS)
def test_in_production_every_sandbox_route_answers_404(tmp_path, method, path):
    real = {
        "FACEBOOK_APP_SECRET": "s",
        "FACEBOOK_VERIFY_TOKEN": "v",
        "FACEBOOK_PAGE_ACCESS_TOKEN": "sandbox-page-token",
        "FACEBOOK_PAGE_ID": PAGE_ID,
    }
    app, sandbox, _, signed_in = console(tmp_path, real)
    assert sandbox is None
    assert call(app, method, path, signed_in).status == 404
    assert "/sandbox" not in call(app, "GET", "/accounts", signed_in).text  # no nav link


@pytest.mark.parametrize("method, path", PATHS)
def test_a_sandbox_built_for_other_settings_is_not_served(tmp_path, method, path):
    # The staff app's own settings decide: SANDBOX off there, and nothing is served.
    on_settings = Settings.from_env(sandbox_env(5080), dotenv_path=tmp_path / "none")
    off = {**sandbox_env(5080), "SANDBOX": "off"}
    app, sandbox, _, signed_in = console(tmp_path, off, sandbox_settings=on_settings)
    assert sandbox is not None
    assert call(app, method, path, signed_in).status == 404


def test_with_the_sandbox_on_every_page_still_needs_a_session(on):
    app, _, _, _ = on
    routes = page_routes(app)
    assert ("GET", "/sandbox") in routes and ("POST", "/sandbox/post") in routes
    for method, path in routes:
        send = getattr(app.test_client, method.lower())
        _, response = send(path, allow_redirects=False)
        if method == "GET":
            assert response.status == 303, path
            assert response.headers["location"].startswith("/login?next="), path
        else:
            assert response.status == 401, (method, path)


def test_the_page_needs_a_session_and_its_forms_a_csrf_token(on):
    app, _, _, signed_in = on
    _, response = app.test_client.get("/sandbox", allow_redirects=False)
    assert response.status == 303 and response.headers["location"].startswith("/login")
    form = {"persona": "margaret", "pane": "messenger", "text": "hello"}
    _, response = app.test_client.post(
        "/sandbox/post", cookies=signed_in["cookies"], data=form, allow_redirects=False
    )
    assert response.status == 403


def test_the_page_has_eight_labelled_panes_and_every_scenario(on):
    app, _, _, signed_in = on
    page = call(app, "GET", "/sandbox", signed_in).text
    assert re.findall(r'data-pane="([\w-]+)"', page) == [
        "facebook",
        "messenger",
        "x-timeline",
        "x-dms",
        "instagram",
        "instagram-dms",
        "youtube",
        "linkedin",
    ]
    ids = re.findall(r'<(?:textarea|select)[^>]* id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for field_id in ids:
        assert f'<label for="{field_id}">' in page, field_id
    assert "Bin collections change over Christmas" in page
    for _, text in INSTAGRAM_POSTS + YOUTUBE_VIDEOS + LINKEDIN_POSTS:
        assert text in page
    assert "reads new comments every 3 seconds" in page
    for scenario in SCENARIOS:
        assert f'action="/sandbox/scenarios/{scenario.name}"' in page
    assert '<a href="/sandbox"' in page  # the header links to it


def test_a_comment_goes_to_the_rasa_server_signed_and_shows_on_the_page(on, rasa):
    app, sandbox, _, signed_in = on
    form = {
        "persona": "margaret",
        "pane": "facebook",
        "post": "post-bins",
        "text": "ring me on 07700 900123",
    }
    response = call(app, "POST", "/sandbox/post", signed_in, data=form, allow_redirects=False)
    assert response.status == 303
    [(path, payload)] = rasa.received
    assert path == "/webhooks/facebook/webhook"
    [change] = payload["entry"][0]["changes"]
    margaret = sandbox.world.persona("margaret")
    assert change["value"]["message"] == "ring me on 07700 900123"
    assert change["value"]["from"]["id"] == margaret.facebook_id
    assert change["value"]["post_id"] == "post-bins"
    assert "ring me on 07700 900123" in call(app, "GET", "/sandbox/world", signed_in).text


@pytest.mark.parametrize(
    "pane, path, key",
    [
        ("messenger", "/webhooks/facebook/webhook", "entry"),
        ("x-timeline", "/webhooks/twitter/webhook", "tweet_create_events"),
        ("x-dms", "/webhooks/twitter/webhook", "direct_message_events"),
        ("instagram-dms", "/webhooks/instagram/webhook", "entry"),
        ("instagram", "/webhooks/instagram/webhook", "entry"),
    ],
)
def test_each_pane_posts_the_platforms_webhook(on, rasa, pane, path, key):
    app, _, _, signed_in = on
    form = {"persona": "priya", "pane": pane, "text": "my heating is off"}
    if pane == "instagram":
        form["post"] = INSTAGRAM_POSTS[0][0]
    assert (
        call(app, "POST", "/sandbox/post", signed_in, data=form, allow_redirects=False).status
        == 303
    )
    [(received_path, payload)] = rasa.received
    assert received_path == path and key in payload
    if pane.startswith("x-"):
        assert payload["for_user_id"] == ACCOUNT_ID
    if pane.startswith("instagram"):
        assert payload["object"] == "instagram"
        assert payload["entry"][0]["id"] == INSTAGRAM_ACCOUNT


@pytest.mark.parametrize(
    "pane, post", [("youtube", YOUTUBE_VIDEOS[0][0]), ("linkedin", LINKEDIN_POSTS[0][0])]
)
def test_a_comment_on_youtube_or_linkedin_waits_for_the_poller(on, rasa, pane, post):
    app, sandbox, _, signed_in = on
    form = {"persona": "grace", "pane": pane, "post": post, "text": "my heating is off"}
    response = call(app, "POST", "/sandbox/post", signed_in, data=form, allow_redirects=False)
    assert response.status == 303 and response.headers["location"].endswith(f"#pane-{pane}")
    assert rasa.received == []  # no webhook: the Rasa server's poller reads it
    assert "reads new comments here every 3 seconds" in call(app, "GET", "/sandbox", signed_in).text
    [(on_post, comment)] = sandbox.world.page_comments(Pane(pane))
    assert on_post == post and comment.text == "my heating is off"


def test_a_comment_on_a_post_of_another_pane_is_refused(on, rasa):
    app, _, _, signed_in = on
    form = {"persona": "grace", "pane": "youtube", "post": "post-bins", "text": "hello"}
    assert call(app, "POST", "/sandbox/post", signed_in, data=form).status == 404
    assert rasa.received == []


def test_the_youtube_stand_in_answers_as_google_does(on):
    app, sandbox, _, _ = on
    form = {
        "grant_type": "refresh_token",
        "client_id": "sandbox-youtube-client",
        "client_secret": "sandbox-youtube-secret",
        "refresh_token": "sandbox-youtube-refresh-token",
    }
    _, token = app.test_client.post("/sandbox-api/youtube/token", data=form)
    assert token.status == 200 and token.json["token_type"] == "Bearer"
    bearer = {"Authorization": f"Bearer {token.json['access_token']}"}
    video = YOUTUBE_VIDEOS[0][0]
    comment = sandbox.world.comment("daniel-o", video, "I live at 12 Ashdown Court")
    _, listed = app.test_client.get(
        "/sandbox-api/youtube/v3/commentThreads",
        params={"part": "snippet,replies", "allThreadsRelatedToChannelId": YOUTUBE_CHANNEL},
        headers=bearer,
    )
    assert [t["id"] for t in listed.json["items"]] == [comment.id]
    _, rejected = app.test_client.post(
        "/sandbox-api/youtube/v3/comments/setModerationStatus",
        params={"id": comment.id, "moderationStatus": "rejected"},
        headers=bearer,
    )
    assert rejected.status == 204 and rejected.body == b""
    _, refused = app.test_client.post(
        "/sandbox-api/youtube/token", data={**form, "client_secret": "x"}
    )
    assert refused.status == 400


def test_the_linkedin_stand_in_takes_urns_encoded_in_the_path(on):
    app, sandbox, _, _ = on
    post = LINKEDIN_POSTS[0][0]
    comment = sandbox.world.comment("grace", post, "Sarah in repairs never calls back")
    headers = {
        "Authorization": "Bearer sandbox-linkedin-token",
        "LinkedIn-Version": "202610",
        "X-Restli-Protocol-Version": "2.0.0",
    }
    _, listed = app.test_client.get(
        f"/sandbox-api/linkedin/rest/socialActions/{quote(post, safe='')}/comments",
        params={"start": "0", "count": "100"},
        headers=headers,
    )
    assert listed.status == 200 and [e["$URN"] for e in listed.json["elements"]] == [comment.id]
    comment_id = comment.id.rsplit(",", 1)[1].rstrip(")")
    _, deleted = app.test_client.delete(
        f"/sandbox-api/linkedin/rest/socialActions/{quote(post, safe='')}/comments/{comment_id}",
        params={"actor": LINKEDIN_ORGANIZATION},
        headers=headers,
    )
    assert deleted.status == 204 and deleted.body == b""
    [removed] = sandbox.world.view().removed()
    assert removed.id == comment.id and removed.deleted


def test_the_stand_ins_list_instagram_and_linkedin_comments_for_the_retention_sweep(on):
    app, sandbox, _, _ = on
    post = INSTAGRAM_POSTS[0][0]
    comment = sandbox.world.comment("priya", post, "lovely photo")
    reply = sandbox.world.public_reply(comment.id, "Thank you!", Author.STAFF)
    token = {"access_token": SANDBOX_PLATFORM["INSTAGRAM_ACCESS_TOKEN"]}
    instagram = "/sandbox-api/instagram/v19.0"
    _, media = app.test_client.get(f"{instagram}/{INSTAGRAM_ACCOUNT}/media", params=token)
    assert media.status == 200 and post in [m["id"] for m in media.json["data"]]
    _, listed = app.test_client.get(f"{instagram}/{post}/comments", params=token)
    [shown] = listed.json["data"]
    assert shown["id"] == comment.id and "timestamp" in shown
    assert [(r["id"], r["from"]["id"]) for r in shown["replies"]["data"]] == [
        (reply, INSTAGRAM_ACCOUNT)
    ]
    linkedin_post = LINKEDIN_POSTS[0][0]
    on_linkedin = sandbox.world.comment("grace", linkedin_post, "any news on the lifts?")
    answer = sandbox.world.public_reply(on_linkedin.id, "Fixed on Friday.", Author.STAFF)
    headers = {
        "Authorization": "Bearer sandbox-linkedin-token",
        "LinkedIn-Version": "202610",
        "X-Restli-Protocol-Version": "2.0.0",
    }
    _, replies = app.test_client.get(
        f"/sandbox-api/linkedin/rest/socialActions/{quote(on_linkedin.id, safe='')}/comments",
        params={"start": "0", "count": "100"},
        headers=headers,
    )
    [element] = replies.json["elements"]
    assert element["$URN"] == answer and element["parentComment"] == on_linkedin.id
    assert element["object"] == linkedin_post and element["actor"] == LINKEDIN_ORGANIZATION
    for start, expected in ((0, [linkedin_post]), (len(LINKEDIN_POSTS), [])):
        _, posts = app.test_client.get(
            "/sandbox-api/linkedin/rest/posts",
            params={"q": "author", "author": LINKEDIN_ORGANIZATION, "count": "1", "start": start},
            headers=headers,
        )
        assert [p["id"] for p in posts.json["elements"]] == expected


def test_the_new_stand_ins_answer_loopback_only(on):
    app, _, _, _ = on
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    for method, path in (
        ("post", "/sandbox-api/instagram/v19.0/me/messages"),
        ("post", "/sandbox-api/youtube/token"),
        ("get", "/sandbox-api/linkedin/rest/posts"),
    ):
        _, response = getattr(app.test_client, method)(path, headers=proxied)
        assert response.status == 404, path


def test_when_the_rasa_server_is_down_the_page_says_so(tmp_path):
    environ = {**sandbox_env(5080), "CONSOLE_PORT": "5080", "RASA_PORT": "9"}  # nothing there
    app, _, _, signed_in = console(tmp_path, environ)
    form = {"persona": "tom", "pane": "messenger", "text": "hello"}
    assert (
        call(app, "POST", "/sandbox/post", signed_in, data=form, allow_redirects=False).status
        == 303
    )
    page = call(app, "GET", "/sandbox?as=tom", signed_in).text
    assert "The assistant did not take the message" in page


def test_a_hide_through_the_stand_in_shows_the_comment_gone_with_the_logs_reason(on):
    app, sandbox, engine, signed_in = on
    comment = sandbox.world.comment("margaret", "post-bins", "ring me on 07700 900123")
    margaret = sandbox.world.persona("margaret")
    ModerationLog(engine, Outbox(engine)).record(
        NOW, Subject(Platform.FACEBOOK, margaret.facebook_id, None, comment.id), Action.HIDE, REASON
    )
    _, hidden = app.test_client.post(
        f"{GRAPH}/{comment.id}", params=TOKEN, json={"is_hidden": True}
    )
    assert (hidden.status, hidden.json) == (200, {"success": True})
    _, replied = app.test_client.post(
        f"{GRAPH}/{PAGE_ID}/messages",
        params=TOKEN,
        json={"recipient": {"comment_id": comment.id}, "message": {"text": "We hid it"}},
    )
    assert replied.status == 200 and replied.json["recipient_id"] == margaret.psid
    world = call(app, "GET", "/sandbox/world", signed_in).text
    assert "07700 900123" not in world
    assert f'data-id="{comment.id}" data-state="hidden"' in world
    assert f"Why: {REASON}." in world
    messenger = world.split('data-region="messenger"')[1].split('data-region="x-timeline"')[0]
    assert 'data-author="assistant"' in messenger and "We hid it" in messenger


def test_the_stand_in_refuses_a_call_without_the_sandboxs_credentials(on):
    app, sandbox, _, _ = on
    comment = sandbox.world.comment("tom", "post-rent", "hello")
    _, response = app.test_client.post(
        f"{GRAPH}/{comment.id}", params={"access_token": "EAAB-real"}, json={"is_hidden": True}
    )
    assert response.status == 400 and response.json["error"]["code"] == 190
    _, response = app.test_client.post("/sandbox-api/x/2/tweets", json={"text": "hi"})
    assert response.status == 401
    assert not sandbox.world.view().removed()


def test_a_scenario_starts_as_a_newcomer_and_sends_its_first_step(on, rasa):
    app, sandbox, _, signed_in = on
    sandbox.runner.wait = 0.5  # no assistant here to answer
    response = call(
        app, "POST", "/sandbox/scenarios/request-person", signed_in, allow_redirects=False
    )
    assert response.status == 303 and "#scenarios" in response.headers["location"]
    [run] = sandbox.runner.runs()
    assert (
        run.persona != "daniel-t" and sandbox.world.persona(run.persona).name == "Daniel Thompson"
    )
    deadline = datetime.now().timestamp() + 10
    while not rasa.received and datetime.now().timestamp() < deadline:
        threading.Event().wait(0.1)
    [(_, payload)] = rasa.received
    [event] = payload["entry"][0]["messaging"]
    assert event["message"]["text"] == "can i speak to a real person please"
    assert call(app, "POST", "/sandbox/scenarios/no-such", signed_in).status == 404


def test_a_staff_reply_the_outbox_sends_is_marked_staff(on):
    app, sandbox, engine, signed_in = on
    psid = sandbox.world.persona("daniel-t").psid
    sandbox.world.message("daniel-t", "can i speak to a real person please")
    box = Outbox(engine)
    for text, author in (("Hi, this is Sam", Author.STAFF), ("We aim to reply by 2pm", None)):
        if author is not None:
            box.enqueue(
                f"facebook-private-{psid}",
                "facebook",
                Operation.MESSENGER_SEND,
                psid,
                NOW,
                text,
                author,
            )
        body = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": text}}
        _, sent = app.test_client.post(f"{GRAPH}/{PAGE_ID}/messages", params=TOKEN, json=body)
        assert sent.status == 200
    messenger = call(app, "GET", "/sandbox/world", signed_in).text.split('data-region="messenger"')[
        1
    ]
    authors = re.findall(r'data-author="(\w+)"', messenger.split('data-region="x-timeline"')[0])
    assert authors == ["tenant", "staff", "assistant"]


@pytest.mark.parametrize(
    "address, answered", [("127.0.0.1", True), ("::1", True), ("10.0.0.5", False), ("", False)]
)
def test_the_stand_in_answers_this_machine_only(address, answered):
    from types import SimpleNamespace

    from sanic.exceptions import NotFound

    from bot.console.sandbox_pages import _loopback_only

    request = SimpleNamespace(ip=address, headers={})
    if answered:
        _loopback_only(request)
    else:
        with pytest.raises(NotFound):
            _loopback_only(request)


@pytest.mark.parametrize(
    "header, value",
    [
        ("X-Forwarded-For", "203.0.113.7"),
        ("Forwarded", "for=203.0.113.7;proto=https"),
        ("X-Real-IP", "203.0.113.7"),
    ],
)
def test_the_stand_in_refuses_a_call_a_proxy_on_this_machine_passed_on(on, header, value):
    # A reverse proxy on this machine connects from loopback: its headers give it away.
    app, sandbox, _, _ = on
    comment = sandbox.world.comment("tom", "post-rent", "hello")
    _, response = app.test_client.post(
        f"{GRAPH}/{comment.id}", params=TOKEN, json={"is_hidden": True}, headers={header: value}
    )
    assert response.status == 404
    _, response = app.test_client.post(
        "/sandbox-api/x/2/tweets", json={"text": "hi"}, headers={header: value}
    )
    assert response.status == 404
    assert not sandbox.world.view().removed()
    # Without them, the same call is answered.
    _, response = app.test_client.post(
        f"{GRAPH}/{comment.id}", params=TOKEN, json={"is_hidden": True}
    )
    assert response.status == 200


def test_a_click_while_two_scenarios_run_says_so(on):
    app, sandbox, _, signed_in = on
    sandbox.runner.wait = 5  # no assistant here to answer: both runs keep waiting
    for name in ("abuse", "emergency"):
        response = call(app, "POST", f"/sandbox/scenarios/{name}", signed_in, allow_redirects=False)
        assert response.status == 303
    response = call(
        app, "POST", "/sandbox/scenarios/rent-in-public", signed_in, allow_redirects=False
    )
    assert response.status == 303 and response.headers["location"].endswith("#scenarios")
    page = call(app, "GET", response.headers["location"], signed_in).text
    assert "A scenario is already running" in page
    assert "rent-in-public" not in {run.scenario.name for run in sandbox.runner.runs()}
