"""End to end: the running assistant in sandbox mode, as `make run` starts it without
platform credentials. What is typed in the sandbox goes through the real connectors;
the assistant's platform calls come back through the real outbox to the staff app's
stand-in, and the sandbox page shows them (P5, P6)."""

import os
import re
import secrets
from datetime import datetime, timezone
from html import unescape

import pytest
import requests

from bot.association import load_association
from bot.console.accounts import Role, StaffAccounts
from bot.console.sessions import COOKIE, Sessions
from bot.moderation.log import Action, ModerationLog
from bot.outbox import SENT, Outbox
from bot.sandbox.mode import sandbox_env
from bot.sandbox.scenarios import SCENARIOS
from bot.sandbox.world import INSTAGRAM_POSTS, LINKEDIN_POSTS, YOUTUBE_VIDEOS
from scripts.processes import free_port
from tests.e2e.platforms import wait_for
from tests.helpers import ROOT, assistant_in, demo_tenancies

PHONE = "07700 900123"
ASSOCIATION = load_association(ROOT / "association.yml")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sandbox")
    console_port = free_port()
    assistant = assistant_in(
        tmp,
        sandbox_env(console_port),
        api_token=secrets.token_hex(16),
        console_port=console_port,
        staff_tokens=f"Sam:{secrets.token_hex(16)}",
    )
    # As `make run` does: the demo tenancies the identity-check scenarios answer for.
    engine, _ = demo_tenancies(assistant.extra_env["DATABASE_URL"])
    with assistant:
        now = datetime.now(timezone.utc)
        StaffAccounts(engine).create("Sam", "a-long-password-1", Role.COMMUNICATIONS, now)
        secret = os.environ["CONSOLE_SESSION_SECRET"]  # the staff app's (tests/e2e/conftest.py)
        cookie, session = Sessions(engine, secret).start("Sam", now)
        browser = requests.Session()
        browser.cookies.set(COOKIE, cookie)
        browser.headers["X-CSRF-Token"] = session.csrf_token
        yield assistant, engine, browser


def world(assistant, browser):
    answer = browser.get(f"{assistant.console_url}/sandbox/world", timeout=10)
    assert answer.status_code == 200
    return answer.text


def region(html, name):
    """One region of the world fragment."""
    return html.split(f'data-region="{name}"', 1)[1].split("data-region=", 1)[0]


def test_a_comment_with_a_phone_number_is_hidden_with_a_note_and_answered_in_messenger(sandbox):
    assistant, engine, browser = sandbox
    posted = browser.post(
        f"{assistant.console_url}/sandbox/post",
        data={
            "persona": "margaret",
            "pane": "facebook",
            "post": "post-bins",
            "text": f"my boiler's broken, ring me on {PHONE}",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert posted.status_code == 303, posted.text
    comment_id = re.search(r'data-id="(post-bins_\d+)"', world(assistant, browser)).group(1)

    def removed():
        return re.search(
            rf'data-id="{comment_id}" data-state="(hidden|deleted)"', world(assistant, browser)
        )

    assert wait_for(removed, 90), world(assistant, browser)
    # The note says why, in the moderation log's words (never the detail itself).
    [reason] = {
        e.reason
        for e in ModerationLog(engine, Outbox(engine)).entries()
        if e.target == comment_id and e.action in (Action.HIDE, Action.DELETE)
    }
    assert wait_for(lambda: f"Why: {reason}." in world(assistant, browser), 30)
    facebook = region(world(assistant, browser), "comments-post-bins")
    assert PHONE not in facebook

    # The private reply reached Margaret's Messenger inbox, by the assistant.
    def answered_privately():
        return 'data-author="assistant"' in region(world(assistant, browser), "messenger")

    assert wait_for(answered_privately, 60)
    messenger = region(world(assistant, browser), "messenger")
    assert "Margaret Thompson" in messenger and PHONE not in messenger
    # The outbox sent every call to the sandbox's stand-in: none waits, none failed.
    assert wait_for(
        lambda: all(m.state == SENT for m in Outbox(engine).messages() if m.platform == "facebook"),
        30,
    )


def test_a_message_in_messenger_is_answered_there(sandbox):
    assistant, _, browser = sandbox
    browser.post(
        f"{assistant.console_url}/sandbox/post",
        data={"persona": "tom", "pane": "messenger", "text": "what are your opening hours"},
        allow_redirects=False,
        timeout=30,
    )

    def answered():
        threads = region(world(assistant, browser), "messenger")
        tom = threads.split("Tom Walsh", 1)[-1].split("sb-thread", 1)[0]
        return "Tom Walsh" in threads and 'data-author="assistant"' in tom

    assert wait_for(answered, 90)


def test_the_sandbox_page_is_served_only_to_staff_who_signed_in(sandbox):
    assistant, _, _ = sandbox
    answer = requests.get(f"{assistant.console_url}/sandbox", allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_the_stand_in_refuses_calls_without_the_sandboxs_token(sandbox):
    assistant, _, _ = sandbox
    answer = requests.post(
        f"{assistant.console_url}/sandbox-api/graph/v19.0/post-bins_1",
        params={"access_token": "EAAB-a-real-token"},
        json={"is_hidden": True},
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == 190


def said_about(html, persona):
    """Every message by or to `persona` in the world fragment, as text."""
    found = re.findall(rf'<li [^>]*data-persona="{persona}"[^>]*>(.*?)</li>', html, re.DOTALL)
    return " ".join(unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m))) for m in found)


def test_every_guided_scenario_runs_to_its_end_with_what_it_shows(sandbox):
    assistant, _, browser = sandbox
    personas = {}
    waiting = list(SCENARIOS)
    refused = 0

    def running():
        return region(world(assistant, browser), "runs").count('data-state="running"')

    while waiting:
        scenario = waiting[0]
        started = browser.post(
            f"{assistant.console_url}/sandbox/scenarios/{scenario.name}",
            allow_redirects=False,
            timeout=30,
        )
        assert started.status_code == 303
        location = started.headers["location"]
        if "as=" in location:
            personas[scenario.name] = re.search(r"as=([\w-]+)", location).group(1)
            waiting.pop(0)
            continue
        # Two run at most: the click is refused with a message, not an error page.
        refused += 1
        page = browser.get(f"{assistant.console_url}{location}", timeout=30)
        assert page.status_code == 200 and "A scenario is already running" in page.text
        assert wait_for(lambda: running() < 2, 200)
    assert refused  # seven clicks in a row met the limit

    def finished():
        runs = region(world(assistant, browser), "runs")
        states = dict(re.findall(r'data-scenario="([\w-]+)" data-state="([\w ]+)"', runs))
        return set(states) == set(personas) and "running" not in states.values() and states

    assert wait_for(lambda: bool(finished()), 400)
    states = finished()
    assert set(states.values()) == {"done"}, states
    html = world(assistant, browser)

    def told(name):
        return said_about(html, personas[name])

    assert re.search(
        rf'data-persona="{personas["personal-details"]}" data-id="[^"]+" '
        r'data-state="(hidden|deleted)"',
        html,
    )
    assert "07700 900123" not in region(html, "comments-post-bins")
    assert "private message" in told("rent-in-public") and "£" not in told("rent-in-public")
    assert "£123.45 in arrears" in told("check-passed")
    assert "couldn't confirm" in told("check-failed") and "£" not in told("check-failed")
    assert ASSOCIATION.emergency_contacts[0].number in told("emergency")
    assert "passed your conversation" in told("request-person")
    # Abuse: each comment hidden, its author warned; the third strike blocks them.
    abuse = personas["abuse"]
    assert len(re.findall(rf'data-persona="{abuse}" data-id="[^"]+" data-state=', html)) == 3
    assert "broke our social media rules" in told("abuse")
    assert "blocked Sam Rivers" in region(html, "facebook-notices")


# Instagram, YouTube and LinkedIn in the sandbox (issue: every platform the policy names)

STAFF = ASSOCIATION.moderation.rules.staff[0].name
[(MEDIA, _)] = INSTAGRAM_POSTS
[(VIDEO, _)] = YOUTUBE_VIDEOS
[(LINKEDIN_POST, _)] = LINKEDIN_POSTS


def comment_on(assistant, browser, persona, pane, post, text):
    """`persona` comments on `post` in the sandbox; returns the comment's id."""
    posted = browser.post(
        f"{assistant.console_url}/sandbox/post",
        data={"persona": persona, "pane": pane, "post": post, "text": text},
        allow_redirects=False,
        timeout=30,
    )
    assert posted.status_code == 303, posted.text
    found = [i for i in items(region_of(assistant, browser, post)) if i.get("persona") == persona]
    assert found, region_of(assistant, browser, post)
    return found[-1]["id"]


def items(html):
    """The data- attributes of every message and comment in `html`."""
    return [
        {name: unescape(value) for name, value in re.findall(r'data-([\w-]+)="([^"]*)"', tag)}
        for tag in re.findall(r"<li ([^>]*)>", html)
    ]


def region_of(assistant, browser, post):
    return region(world(assistant, browser), f"comments-{post}")


def state_of(assistant, browser, post, comment_id):
    found = [i for i in items(region_of(assistant, browser, post)) if i.get("id") == comment_id]
    return found[0].get("state", "shown") if found else None


def assistant_wrote(html):
    """What the assistant wrote in a region of the world fragment, as text."""
    found = re.findall(r'<li [^>]*data-author="assistant"[^>]*>(.*?)</li>', html, re.DOTALL)
    return [unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m))).strip() for m in found]


def test_an_instagram_comment_with_a_phone_number_is_hidden_deleted_and_answered_in_dms(sandbox):
    assistant, engine, browser = sandbox
    comment_id = comment_on(
        assistant, browser, "priya", "instagram", MEDIA, f"boiler's broken, ring me on {PHONE}"
    )
    assert wait_for(lambda: state_of(assistant, browser, MEDIA, comment_id) == "deleted", 90)
    assert PHONE not in region_of(assistant, browser, MEDIA)

    def answered_privately():
        return assistant_wrote(region(world(assistant, browser), "instagram-dms"))

    assert wait_for(answered_privately, 60)
    dms = region(world(assistant, browser), "instagram-dms")
    assert 'data-persona="priya"' in dms and PHONE not in dms
    actions = [
        e.action for e in ModerationLog(engine, Outbox(engine)).entries() if e.target == comment_id
    ]
    assert Action.HIDE in actions and Action.DELETE in actions


def test_an_instagram_dm_is_answered_there(sandbox):
    assistant, _, browser = sandbox
    browser.post(
        f"{assistant.console_url}/sandbox/post",
        data={
            "persona": "daniel-o",
            "pane": "instagram-dms",
            "text": "what are your opening hours",
        },
        allow_redirects=False,
        timeout=30,
    )

    def answered():
        dms = region(world(assistant, browser), "instagram-dms")
        daniel = dms.split('data-persona="daniel-o"', 1)[-1].split("sb-thread", 1)[0]
        return 'data-persona="daniel-o"' in dms and 'data-author="assistant"' in daniel

    assert wait_for(answered, 90)


def test_a_youtube_comment_with_an_address_is_rejected_and_answered_in_public(sandbox):
    assistant, _, browser = sandbox
    comment_id = comment_on(
        assistant,
        browser,
        "public",
        "youtube",
        VIDEO,
        "ceiling came down at 14 Acacia Avenue LS6 2AB, sort it out",
    )
    # YouTube sends no webhook: the Rasa server's poller reads the stand-in.
    assert wait_for(lambda: state_of(assistant, browser, VIDEO, comment_id) == "deleted", 90)

    def noticed():
        return [
            t for t in assistant_wrote(region_of(assistant, browser, VIDEO)) if "@samrivers" in t
        ]

    assert wait_for(noticed, 60)
    [notice] = noticed()
    assert "private message" in notice
    assert "Acacia" not in notice and "LS6" not in notice
    assert "Acacia" not in region_of(assistant, browser, VIDEO)


def test_a_linkedin_comment_naming_staff_is_deleted_and_answered(sandbox):
    assistant, _, browser = sandbox
    comment_id = comment_on(
        assistant, browser, "grace", "linkedin", LINKEDIN_POST, f"{STAFF} never rang me back"
    )
    assert wait_for(
        lambda: state_of(assistant, browser, LINKEDIN_POST, comment_id) == "deleted", 90
    )

    def answered():
        return [
            t
            for t in assistant_wrote(region_of(assistant, browser, LINKEDIN_POST))
            if "names of our staff" in t
        ]

    assert wait_for(answered, 60)
    [notice] = answered()
    assert STAFF not in notice
