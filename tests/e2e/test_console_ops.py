"""End to end: the console's moderation log and dashboard with the real servers, Facebook
played by the fake Graph API (tests/e2e/platforms.py).

An abusive comment is hidden by the assistant (P7); a member of staff signs in, finds
it in the moderation log and undoes the hide, and the platform is asked to show it
again, through the outbox the Rasa server sends (P12). A tenant's request for a person
shows in the dashboard's intents, read from the tracker store the Rasa server wrote.
"""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timezone

import pytest

from bot.console.accounts import Role, StaffAccounts
from bot.store import connect
from scripts.fake_platforms import facebook_webhook, page_comment
from tests.e2e.platforms import PAGE, message, new_user, sent_to, to_facebook, wait_for

PASSWORD = "e2e moderator password"


@pytest.fixture
def running(platforms_running):
    return platforms_running


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A member of staff's browser: cookies kept, redirects answered as they come."""

    def __init__(self, address):
        self.address = address
        self.opener = urllib.request.build_opener(
            NoRedirect, urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.csrf = ""

    def open(self, path, form=None):
        """(status, location, page) of a GET, or of a POST of `form` with the CSRF token."""
        data = None
        if form is not None:
            data = urllib.parse.urlencode({"csrf_token": self.csrf, **form}).encode()
        try:
            with self.opener.open(self.address + path, data=data, timeout=30) as response:
                page = response.read().decode()
                status, location = response.status, None
        except urllib.error.HTTPError as answer:
            page, status = answer.read().decode(), answer.code
            location = answer.headers.get("Location")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if found:
            self.csrf = found.group(1)
        return status, location, page

    def sign_in(self, name):
        self.open("/login")
        status, location, _ = self.open("/login", {"name": name, "password": PASSWORD, "next": "/"})
        assert status == 303 and location == "/", "the sign-in was refused"
        return self


def moderator(assistant):
    name = f"mod-{uuid.uuid4().hex[:8]}"
    accounts = StaffAccounts(connect(assistant.extra_env["DATABASE_URL"], assistant.keys()))
    accounts.create(name, PASSWORD, Role.COMMUNICATIONS, datetime.now(timezone.utc))
    return Browser(assistant.console_url).sign_in(name)


def comment_calls(platforms, comment_id):
    """What the page was asked to do to one comment: "hide" or "unhide", in order."""
    return [
        "hide" if (call.body or {}).get("is_hidden") else "unhide"
        for call in platforms.received("facebook")
        if call.path == comment_id and call.method == "POST"
    ]


def test_staff_undo_a_hide_in_the_console_and_the_platform_shows_the_comment_again(running):
    assistant, platforms, _ = running
    author, comment_id = new_user(), f"{PAGE}_{uuid.uuid4().int % 10**12}"
    payload = page_comment(author, "stupid bot piss off", comment_id, "post1")
    assert to_facebook(assistant, facebook_webhook(PAGE, changes=[payload]))[0] == 200
    assert wait_for(lambda: comment_calls(platforms, comment_id) == ["hide"], 60)

    browser = moderator(assistant)
    status, _, log = browser.open("/moderation?platform=facebook&action=hide")
    assert status == 200
    row = re.search(rf'data-entry-id="(\d+)"[^>]*>(?:(?!</tr>).)*{comment_id}', log, re.S)
    assert row, "the hidden comment is not in the moderation log"
    assert "stupid" not in log and "piss" not in log  # the reason, never the words

    status, location, _ = browser.open(f"/moderation/{row.group(1)}/undo", {})
    assert status == 303 and location.startswith("/moderation")
    assert wait_for(lambda: comment_calls(platforms, comment_id) == ["hide", "unhide"], 60)
    _, _, log = browser.open("/moderation?platform=facebook&action=hide")
    assert re.search(rf'data-entry-id="{row.group(1)}"[^>]*data-state="undone"', log)


def test_a_tenants_request_for_a_person_shows_in_the_dashboards_intents(running):
    assistant, platforms, _ = running
    psid = new_user()
    to_facebook(
        assistant, facebook_webhook(PAGE, messaging=[message(psid, "can i speak to a real person")])
    )
    assert wait_for(lambda: sent_to(platforms, psid), 60)

    browser = moderator(assistant)

    def request_human_counted():
        _, _, page = browser.open("/dashboard")
        return '<th scope="row">request_human</th>' in page

    assert wait_for(request_human_counted, 30)
    status, _, page = browser.open("/dashboard")
    assert status == 200
    for chart in ("messages", "handoffs", "deadlines", "intents", "understanding"):
        assert f'<img src="/dashboard/{chart}.svg" alt="' in page
        picture_status, _, picture = browser.open(f"/dashboard/{chart}.svg")
        assert picture_status == 200 and "<svg" in picture
