"""End to end in a real browser: the staff console and the sandbox, as people use them.

The servers run as `make run` starts them in sandbox mode (no platform credentials):
the staff app plays Facebook and X, what a tenant types in the sandbox goes to the Rasa
server's real webhooks, signed, and the assistant's platform calls come back through
the real outbox to the sandbox's stand-in. Headless Debian Chromium drives both sides:

- a member of staff signs in;
- a tenant in the sandbox asks for a person; the handoff appears in the queue without
  a reload; staff take it and reply, and the reply shows in the tenant's Messenger;
  staff hand back, and the assistant answers the tenant's next message (P3);
- every guided scenario runs from its one button;
- the login form and the queue's filters work from the keyboard alone;
- no page loads anything from the internet, or breaks its own security policy;
- every page pictured passes WCAG AA contrast as the browser renders it.

Screenshots of the queue (also at phone width), a conversation, the dashboard and the
sandbox are saved under results/console/ for the README.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import List
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from bot.console.accounts import Role, StaffAccounts
from bot.sandbox.mode import sandbox_env
from bot.sandbox.scenarios import SCENARIOS
from bot.sandbox.world import PERSONAS
from bot.store import connect
from scripts.processes import free_port
from tests.e2e.browser import DESKTOP, PHONE, TIMEOUT_MS, low_contrast
from tests.helpers import ROOT, assistant_in, demo_tenancies, store_keys

SHOTS = ROOT / "results" / "console"
STAFF_NAME, STAFF_PASSWORD = "Alex Morgan", "correct horse battery " + secrets.token_hex(4)
# The assistant's answer takes a few seconds on a busy machine; a scenario several.
ANSWER_MS = 60_000
SCENARIO_MS = 180_000
WAITING_NOTE = "Thanks, I've added your message for our team."
ASK_FOR_A_PERSON = "can i speak to a real person please"


@dataclass
class Running:
    console: str
    state: dict | None = None  # the signed-in browser state, once signed in


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """The assistant in sandbox mode with the demo tenancies, and one member of staff
    (Communications: the team a request for a person goes to)."""
    tmp = tmp_path_factory.mktemp("console-browser")
    database_url = f"sqlite:///{tmp / 'assistant.db'}"
    demo_tenancies(database_url)
    StaffAccounts(connect(database_url, store_keys())).create(
        STAFF_NAME, STAFF_PASSWORD, Role.COMMUNICATIONS, datetime.now(timezone.utc)
    )
    console_port = free_port()
    assistant = assistant_in(
        tmp,
        {**sandbox_env(console_port), "DATABASE_URL": database_url},
        console_port=console_port,
        api_token=secrets.token_hex(16),
        staff_tokens=f"e2e:{secrets.token_hex(16)}",
    )
    with assistant:
        yield Running(assistant.console_url)


@pytest.fixture(scope="module", autouse=True)
def nothing_from_the_internet(outside):
    """After every test here: no page asked for anything off this machine."""
    before = len(outside.calls)
    yield
    assert outside.calls[before:] == []


class Watched:
    """A page whose script errors and security-policy refusals are kept (an answer with
    an error status, such as a refused sign-in's 401, is not one)."""

    def __init__(self, page: Page):
        self.page = page
        self.errors: List[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _console(self, message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)


def sign_in(page: Page, console: str, name: str = STAFF_NAME, password: str = STAFF_PASSWORD):
    page.goto(f"{console}/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def staff_page(browser, running):
    """Makes pages signed in as the member of staff, each in a fresh context closed
    after the test. The module signs in once (the sign-in form is rate-limited per
    address); later contexts start from that signed-in state."""
    contexts = []

    def new(viewport=DESKTOP) -> Page:
        context = browser.new_context(
            viewport=viewport,
            locale="en-GB",
            timezone_id="Europe/London",
            storage_state=running.state,
        )
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        if running.state is None:
            sign_in(page, running.console)
            expect(page.get_by_role("heading", name="Queue", level=1)).to_be_visible()
            running.state = context.storage_state()
        return page

    yield new
    for context in contexts:
        context.close()


def shot(page: Page, name: str) -> None:
    """Save a picture of the whole page under results/console/; every text in it must
    pass WCAG AA contrast as rendered."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert low_contrast(page) == [], name


def persona(key: str):
    [found] = [p for p in PERSONAS if p.key == key]
    return found


class Sandbox:
    """The sandbox page, as one tenant uses it: write in a pane, read what comes back."""

    def __init__(self, page: Page, console: str, tenant: str):
        self.page, self.console = page, console
        self.tenant = persona(tenant)
        page.goto(f"{console}/sandbox?as={tenant}")
        expect(page.get_by_label("Write as")).to_have_value(tenant)

    def pane(self, name: str):
        return self.page.locator(f'[data-pane="{name}"]')

    def thread(self, pane: str):
        """The tenant's own conversation in a pane (Messenger, X DMs)."""
        return self.pane(pane).locator(
            f'section[aria-label="Conversation with {self.tenant.name}"]'
        )

    def messenger(self, text: str) -> None:
        """Send `text` to the page on Messenger; it shows as the tenant's."""
        self.page.get_by_label(f"Message the page as {self.tenant.name}").fill(text)
        self.pane("messenger").get_by_role("button", name="Send", exact=True).click()
        mine = self.thread("messenger").locator('[data-author="tenant"]')
        expect(mine.filter(has_text=text)).to_have_count(1)

    def said(self, pane: str, author: str):
        return self.thread(pane).locator(f'[data-author="{author}"]')


def test_staff_sign_in_and_a_wrong_password_is_refused(page, running):
    watched = Watched(page)
    sign_in(page, running.console, password="not the password at all")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login"))

    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Queue", level=1)).to_be_visible()
    expect(page.get_by_text(f"Signed in as {STAFF_NAME}")).to_be_visible()
    cookie = {c["name"]: c for c in page.context.cookies()}["console_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] in ("Lax", "Strict")
    assert watched.errors == []


def test_a_tenant_asks_for_a_person_staff_reply_and_hand_back(staff_page, running):
    queue = Watched(staff_page())
    queue.page.goto(f"{running.console}/queue")
    before = set(
        queue.page.locator("tr[data-handoff-id]").evaluate_all(
            "rows => rows.map(r => r.dataset.handoffId)"
        )
    )

    # The tenant, in the sandbox (its own tab, the same member of staff signed in).
    tenant = persona("grace")
    tenant_side = Watched(staff_page())
    sandbox = Sandbox(tenant_side.page, running.console, "grace")
    sandbox.messenger(ASK_FOR_A_PERSON)
    # (The privacy notice follows the answer in a first conversation, P9.)
    passed = sandbox.said("messenger", "assistant").filter(has_text="passed")
    expect(passed.last).to_be_visible(timeout=ANSWER_MS)

    # The handoff appears in the open queue without a reload.
    new_rows = queue.page.locator("tr[data-handoff-id]")
    expect(new_rows).not_to_have_count(len(before), timeout=ANSWER_MS)
    ids = new_rows.evaluate_all("rows => rows.map(r => r.dataset.handoffId)")
    [handoff] = [i for i in ids if i not in before]
    row = queue.page.locator(f'tr[data-handoff-id="{handoff}"]')
    expect(row).to_contain_text("Communications")
    shot(queue.page, "queue")

    # The conversation: the tenant's words, marked as the tenant's, then take and reply.
    row.get_by_role("link").click()
    conversation = queue.page
    expect(conversation).to_have_url(re.compile(f"/conversations/{handoff}$"))
    thread = conversation.locator("#thread")
    expect(thread.locator('[data-author="tenant"]').first).to_contain_text(ASK_FOR_A_PERSON)
    conversation.get_by_role("button", name="Take").click()
    expect(conversation.locator("[data-state]")).to_contain_text(STAFF_NAME)
    # A mark of this run in letters only: a hex one can read as a postcode ("dd18fa" is
    # DD1 8FA) and be masked before the tenant sees it.
    mark = "".join(secrets.choice("ghjkmnpqrstvwxyz") for _ in range(6))
    reply = f"Hello {tenant.name.split()[0]}, Alex here from Communications ({mark})."
    conversation.get_by_label("Reply", exact=True).fill(reply)
    conversation.get_by_role("button", name="Send reply").click()
    expect(conversation.get_by_role("status")).to_be_visible()
    expect(thread.locator('[data-author="staff"]').last).to_contain_text(reply, timeout=ANSWER_MS)
    shot(conversation, "conversation")

    # The reply reaches the tenant's Messenger inbox, through the outbox and the stand-in.
    expect(sandbox.pane("messenger").get_by_text(reply)).to_be_visible(timeout=ANSWER_MS)
    expect(sandbox.said("messenger", "staff").last).to_contain_text(reply)
    for elsewhere in ("facebook", "x-timeline", "x-dms"):
        expect(sandbox.pane(elsewhere)).not_to_contain_text(reply)

    # While people have the conversation, the assistant only notes the message for them.
    answered = sandbox.said("messenger", "assistant").count()
    sandbox.messenger("thank you, are you still there?")
    expect(sandbox.said("messenger", "assistant")).to_have_count(answered + 1, timeout=ANSWER_MS)
    expect(sandbox.said("messenger", "assistant").last).to_contain_text(WAITING_NOTE)
    # ...and the conversation open in the console shows it without a reload.
    expect(thread.locator('[data-author="tenant"]').last).to_contain_text(
        "are you still there?", timeout=ANSWER_MS
    )

    # Handed back, the assistant answers the tenant's next message itself.
    conversation.get_by_role("button", name="Hand back to the assistant").click()
    expect(conversation.locator(".flash")).to_contain_text("Handed back")
    answered = sandbox.said("messenger", "assistant").count()
    sandbox.messenger("what are your opening hours?")
    expect(sandbox.said("messenger", "assistant")).to_have_count(answered + 1, timeout=ANSWER_MS)
    last = sandbox.said("messenger", "assistant").last.inner_text()
    assert WAITING_NOTE not in last
    queue.page.goto(f"{running.console}/queue")
    expect(queue.page.locator(f'tr[data-handoff-id="{handoff}"]')).to_have_count(0)
    shot(sandbox.page, "sandbox")
    assert queue.errors == [] and tenant_side.errors == []


def writing_as(page: Page, pane: str):
    """The conversation, in `pane`, of the tenant the page writes as (a scenario's)."""
    return page.locator(f'[data-pane="{pane}"] section.sb-thread').filter(
        has=page.locator(".badge", has_text="writing as")
    )


def open_handoffs(page: Page, console: str) -> int:
    page.goto(f"{console}/queue")
    return page.locator("tr[data-handoff-id]").count()


# What someone watching each scenario should see happen, beyond its steps being answered.
def personal_details_hidden(page: Page, console: str) -> None:
    facebook = page.locator('[data-pane="facebook"]')
    removed = facebook.locator('[data-state="hidden"], [data-state="deleted"]')
    expect(removed).to_have_count(1, timeout=ANSWER_MS)
    expect(removed).to_contain_text("Why:")
    expect(removed).not_to_contain_text("see the moderation log")
    expect(facebook).not_to_contain_text("900123")
    expect(writing_as(page, "messenger").locator('[data-author="assistant"]')).not_to_have_count(0)


def rent_answered_without_the_tenancy(page: Page, console: str) -> None:
    replies = page.locator('[data-post="post-rent"] [data-author="assistant"]')
    expect(replies).not_to_have_count(0, timeout=ANSWER_MS)
    expect(replies.first).not_to_contain_text("£")


def check_passed(page: Page, console: str) -> None:
    expect(writing_as(page, "messenger")).to_contain_text("£123.45", timeout=ANSWER_MS)


def check_failed(page: Page, console: str) -> None:
    answers = writing_as(page, "messenger").locator('[data-author="assistant"]')
    expect(answers).not_to_have_count(0)
    for answer in answers.all_inner_texts():
        assert "£" not in answer and "450091" not in answer, answer


def emergency_contacts_at_once(page: Page, console: str) -> None:
    first = writing_as(page, "messenger").locator('[data-author="assistant"]').first
    expect(first).to_contain_text("emergency", ignore_case=True)


def abuse_struck_out(page: Page, console: str) -> None:
    garden = page.locator('[data-post="post-garden"]')
    expect(garden.locator('[data-state="hidden"], [data-state="deleted"]')).to_have_count(3)
    notices = page.locator('[data-region="facebook-notices"]')
    expect(notices).to_contain_text("block", ignore_case=True, timeout=ANSWER_MS)


def person_asked_for(page: Page, console: str) -> None:
    answers = writing_as(page, "messenger").locator('[data-author="assistant"]')
    expect(answers.first).to_contain_text("passed")


NOTICED = {
    "personal-details": personal_details_hidden,
    "rent-in-public": rent_answered_without_the_tenancy,
    "check-passed": check_passed,
    "check-failed": check_failed,
    "emergency": emergency_contacts_at_once,
    "abuse": abuse_struck_out,
    "request-person": person_asked_for,
}


def test_every_guided_scenario_has_its_check():
    assert sorted(NOTICED) == sorted(s.name for s in SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_each_guided_scenario_runs_from_one_click(staff_page, running, scenario):
    sandbox = Watched(staff_page())
    page = sandbox.page
    queued = open_handoffs(page, running.console)
    page.goto(f"{running.console}/sandbox")
    page.get_by_role("button", name=scenario.title).click()
    expect(page).to_have_url(re.compile(r"/sandbox\?as="))
    expect(page.get_by_role("status")).to_contain_text(f"Started: {scenario.title}")
    # Progress refreshes by itself until the tenant's last message is answered.
    progress = page.locator(f'li[data-scenario="{scenario.name}"]').first
    expect(progress).to_have_attribute("data-state", "done", timeout=SCENARIO_MS)
    expect(progress).to_contain_text("What to notice: " + scenario.notice)
    NOTICED[scenario.name](page, running.console)
    if scenario.name == "personal-details":
        shot(page, "sandbox-hidden-comment")
    assert sandbox.errors == []
    if scenario.name == "request-person":
        # A member of Communications sees the new handoff in their queue.
        assert open_handoffs(page, running.console) == queued + 1


def test_the_moderation_log_shows_the_scenarios_and_a_block_is_undone(staff_page, running):
    watched = Watched(staff_page())
    page = watched.page
    page.goto(f"{running.console}/moderation")
    rows = page.locator("tr[data-entry-id]")
    # What the scenarios did: a comment removed for its phone number, three strikes and a
    # block for the abuse. Never the words that caused it.
    for action in ("strike", "block"):
        expect(rows.and_(page.locator(f'[data-action="{action}"]')).first).to_be_visible()
    removed = page.locator('tr[data-action="hide"], tr[data-action="delete"]')
    expect(removed.first).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("900123")
    expect(page.locator("main")).not_to_contain_text("idiots")
    shot(page, "moderation")

    # Undo the block: the call goes out through the outbox to the platform (the sandbox).
    block = rows.and_(page.locator('[data-action="block"]')).first
    entry = block.get_attribute("data-entry-id")
    assert block.get_attribute("data-state") == "done"
    block.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text(f"Entry {entry} undone")
    expect(page.locator(f'tr[data-entry-id="{entry}"]')).to_have_attribute("data-state", "undone")
    page.goto(f"{running.console}/sandbox")
    notices = page.locator('[data-region="facebook-notices"]')
    expect(notices).to_contain_text("unblocked", timeout=ANSWER_MS)
    assert watched.errors == []


def test_the_dashboard_draws_its_pictures_from_this_machine(staff_page, running):
    watched = Watched(staff_page())
    page = watched.page
    page.goto(f"{running.console}/dashboard")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    pictures = page.locator("main svg, main img")
    expect(pictures.first).to_be_visible()
    for picture in pictures.all():
        box = picture.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50
    shot(page, "dashboard")
    assert watched.errors == []


def test_the_queue_fits_a_phone(staff_page, running):
    page = staff_page(viewport=PHONE)
    page.goto(f"{running.console}/queue")
    expect(page.get_by_role("heading", name="Queue", level=1)).to_be_visible()
    # Nothing wider than the screen but the table, which scrolls in its own box.
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= PHONE["width"], overflow
    shot(page, "queue-phone")


def focused(page: Page) -> str:
    """What has the keyboard focus: its label, or its text."""
    return page.evaluate(
        """() => {
          const e = document.activeElement;
          if (!e) return "";
          const label = e.labels && e.labels.length ? e.labels[0].innerText : "";
          return (label || e.innerText || e.value || e.id || e.tagName).trim();
        }"""
    )


def focus_is_visible(page: Page) -> bool:
    return page.evaluate(
        """() => {
          const s = getComputedStyle(document.activeElement);
          return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0
            || s.boxShadow !== "none";
        }"""
    )


def tab_to(page: Page, name: str, most: int = 40) -> None:
    for _ in range(most):
        page.keyboard.press("Tab")
        if focused(page) == name:
            assert focus_is_visible(page), f"{name} has the focus but shows no outline"
            return
    pytest.fail(f"Tab never reached {name!r}; it stopped at {focused(page)!r}")


def test_keyboard_alone_signs_in_and_filters_the_queue(page, running):
    page.goto(f"{running.console}/login")
    # The name field has the focus on arrival (`autofocus`, which Chromium applies at its
    # next rendering step, possibly after the load); behind it, the skip link comes first.
    page.wait_for_function("() => document.activeElement !== document.body", timeout=5000)
    assert focused(page) == "Name"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "Skip to content"
    assert focus_is_visible(page) and page.get_by_text("Skip to content").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    tab_to(page, "Name", most=1)
    page.keyboard.type(STAFF_NAME)
    tab_to(page, "Password", most=1)
    page.keyboard.type(STAFF_PASSWORD)
    tab_to(page, "Sign in", most=1)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Queue", level=1)).to_be_visible()

    # On the queue: the skip link first, then straight to the filters, each labelled.
    tab_to(page, "Skip to content", most=1)
    page.keyboard.press("Enter")
    tab_to(page, "Team", most=1)
    page.keyboard.press("ArrowDown")  # the first team after "Any"
    chosen = page.get_by_label("Team").input_value()
    assert chosen
    for label in ("Platform", "Surface", "Reason", "Filter"):
        tab_to(page, label, most=1)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(urlencode({"team": chosen}))))
    expect(page.get_by_label("Team")).to_have_value(chosen)
