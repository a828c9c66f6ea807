"""The real servers with Facebook and X played by local fakes, for the end-to-end tests.

The servers run as `make run` starts them, with the platform APIs played by
scripts/fake_platforms.py and a proxy in front of the action server that can be told
to make every action slow. One assistant serves every test file that needs one.
"""

import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bot.association import load_association
from bot.platforms.signatures import facebook_signature, twitter_signature
from bot.protection.notice import notice_text
from scripts.fake_platforms import (
    FakePlatforms,
    messenger_message,
)
from scripts.processes import free_port
from tests.helpers import ROOT, assistant_in

PAGE, ME = "104857600", "987654321"
# The Instagram professional account's id.
# What opens an account's first private conversation (P9).
NOTICE = notice_text(load_association(ROOT / "association.yml").pages["privacy_notice"])
INSTAGRAM = "17841400000000042"
# The association's YouTube channel.
YOUTUBE = "UCe2eAssociation00000000"
# The association's LinkedIn organization, and its app's client secret.
LINKEDIN_ORG, LINKEDIN_SECRET = "5515715", "e2e-linkedin-secret"
APP_SECRET, X_SECRET = "e2e-app-secret", "e2e-x-secret"
# The staff API's one member of staff in these tests, and their bearer token.
STAFF, STAFF_TOKEN = "Sam", "e2e-staff-token-" + secrets.token_hex(8)


class SlowProxy:
    """Forwards Rasa's action calls to the action server, after `delay` seconds;
    while `down`, answers 503 as an action server that is not there."""

    def __init__(self, target):
        self.delay = 0.0
        self.down = False
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy.down:
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                time.sleep(proxy.delay)
                request = urllib.request.Request(
                    target + self.path, data=body, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=60) as answer:
                    data, status = answer.read(), answer.status
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhook"


@contextmanager
def assistant_with_platforms(tmp, extra_env=None, mail=None, tracker_store=None):
    """The servers and the staff API, with the platforms faked and a slow proxy before
    the actions.

    `mail`: a tests.alert_receivers.SmtpInbox the servers send staff alerts to.
    `tracker_store`: settings for another tracker store than a SQLite file under `tmp`.
    """
    mail_env = (
        {}
        if mail is None
        else {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(mail.port),
            "SMTP_FROM": "alerts@e2e.example",
            "SMTP_STARTTLS": "off",
        }
    )
    with FakePlatforms() as platforms:
        platforms.youtube_channel = YOUTUBE
        platforms.linkedin_organization = f"urn:li:organization:{LINKEDIN_ORG}"
        action_port = free_port()
        proxy = SlowProxy(f"http://127.0.0.1:{action_port}")
        assistant = assistant_in(
            tmp,
            {
                "FACEBOOK_APP_SECRET": APP_SECRET,
                "FACEBOOK_VERIFY_TOKEN": "e2e-verify",
                "FACEBOOK_PAGE_ACCESS_TOKEN": "e2e-page-token",
                "FACEBOOK_PAGE_ID": PAGE,
                "FACEBOOK_GRAPH_URL": platforms.graph_url,
                "TWITTER_CONSUMER_KEY": "e2e-ck",
                "TWITTER_CONSUMER_SECRET": X_SECRET,
                "TWITTER_ACCESS_TOKEN": "e2e-at",
                "TWITTER_ACCESS_TOKEN_SECRET": "e2e-ats",
                "TWITTER_USER_ID": ME,
                "TWITTER_API_URL": platforms.x_url,
                "INSTAGRAM_APP_SECRET": APP_SECRET,
                "INSTAGRAM_VERIFY_TOKEN": "e2e-instagram-verify",
                "INSTAGRAM_ACCESS_TOKEN": "e2e-instagram-token",
                "INSTAGRAM_ACCOUNT_ID": INSTAGRAM,
                "INSTAGRAM_GRAPH_URL": platforms.instagram_url,
                "YOUTUBE_CLIENT_ID": "e2e-youtube-client",
                "YOUTUBE_CLIENT_SECRET": "e2e-youtube-secret",
                "YOUTUBE_REFRESH_TOKEN": "e2e-youtube-refresh",
                "YOUTUBE_CHANNEL_ID": YOUTUBE,
                "YOUTUBE_API_URL": platforms.youtube_url,
                "YOUTUBE_TOKEN_URL": platforms.youtube_token_url,
                "YOUTUBE_POLL_SECONDS": "1",
                "LINKEDIN_ACCESS_TOKEN": "e2e-linkedin-token",
                "LINKEDIN_ORGANIZATION_ID": LINKEDIN_ORG,
                "LINKEDIN_CLIENT_SECRET": LINKEDIN_SECRET,
                "LINKEDIN_API_URL": platforms.linkedin_url,
                "LINKEDIN_POLL_SECONDS": "1",
                **mail_env,
                **(extra_env or {}),
            },
            action_port=action_port,
            api_token=secrets.token_hex(16),  # a leading "-" would read as an option
            action_endpoint=proxy.url,
            console_port=free_port(),
            staff_tokens=f"{STAFF}:{STAFF_TOKEN}",
            tracker_store=tracker_store,
        )
        with assistant:
            yield assistant, platforms, proxy


def post(url, payload, header, signature):
    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", header: signature(body)}
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read()), time.monotonic() - started


def to_facebook(assistant, payload):
    url = f"{assistant.rasa_url}/webhooks/facebook/webhook"
    return post(url, payload, "X-Hub-Signature-256", lambda b: facebook_signature(b, APP_SECRET))


def to_instagram(assistant, payload):
    url = f"{assistant.rasa_url}/webhooks/instagram/webhook"
    return post(url, payload, "X-Hub-Signature-256", lambda b: facebook_signature(b, APP_SECRET))


def to_x(assistant, payload):
    url = f"{assistant.rasa_url}/webhooks/twitter/webhook"
    return post(
        url, payload, "x-twitter-webhooks-signature", lambda b: twitter_signature(b, X_SECRET)
    )


def message(psid, text):
    millis = int(time.time() * 1000)
    return messenger_message(PAGE, psid, text, f"mid.{uuid.uuid4().hex}", millis)


def sent_to(platforms, target):
    """Messenger messages sent to a PSID (or X DMs to a user), but for the privacy
    notice that opens an account's first private conversation (privacy_notices_to)."""
    return [c for c in private_to(platforms, target) if not _is_notice(c)]


def privacy_notices_to(platforms, target):
    """The privacy notices (P9) sent to a PSID or X user."""
    return [c for c in private_to(platforms, target) if _is_notice(c)]


def text_of(call):
    """The words of a Messenger message or an X DM."""
    body = call.body or {}
    return (body.get("message") or {}).get("text") or body.get("text") or ""


def private_to(platforms, target):
    """Every Messenger message to a PSID (or X DM to a user), in the order sent."""
    calls = []
    for call in platforms.received():
        body = call.body or {}
        if (body.get("recipient") or {}).get("id") == target or f"/with/{target}/" in call.path:
            calls.append(call)
    return calls


def _is_notice(call):
    return text_of(call) == NOTICE


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


def new_user():
    return f"u{uuid.uuid4().int % 10**12}"


def run_command(assistant, *args):
    """Run `python -m <args>` as the running assistant's servers are configured (its
    settings, and its endpoints: the same tracker store); its output."""
    env = {
        **os.environ,
        **assistant.extra_env,
        "ENDPOINTS_FILE": str(assistant.endpoints_file()),
    }
    result = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
