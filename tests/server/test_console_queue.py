"""The console's queue and conversation pages through Sanic's test client, signed in
through the sign-in form as each role: the queue's order, countdowns, filters and live
rows (P3); a conversation's thread, masking, verification and tenancy (P4, P9); taking,
replying (canned and holding), transferring, handing back and closing, each a form with
its CSRF token; the desk's refusals shown on the page. Rasa is the staff API tests' fake;
the store and the outbox are real."""

import asyncio
import re
import threading
from datetime import date, timedelta

import pytest

import bot.console.queue_pages as queue_pages
from bot.console.accounts import Role, StaffAccounts
from bot.console.app import create_app
from bot.console.sessions import COOKIE
from bot.console.web import LOGIN_CSRF_COOKIE
from bot.events import Operation
from bot.handoff.audit import HandoffAudit
from bot.handoff.conversations import RasaError
from bot.handoff.desk import StaffDesk, StaffReplyListener
from bot.handoff.handoffs import Conversation, HandoffRepository, Reason, State
from bot.handoff.service import HandoffService
from bot.outbox import Author, Outbox
from bot.settings import Settings
from bot.store import connect
from bot.tenancy.answers import locator
from bot.tenancy.identity import Account, Answers, IdentityChecks, TenancyLockNotice
from bot.tenancy.records import TenancyRepository, load_tenancies
from bot.tenancy.security_question import HashScheme
from tests.helpers import CALENDAR, DEMO_TENANCIES, ROOT, TEAMS, TEST_WORK_FACTOR
from tests.server.test_staff_api import NOW, Clock, FakeRasa

PASSWORD = "correct horse battery"
CANNED_HOLDING = "Holding message"


@pytest.fixture()
def world(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    rasa, outbox, clock = FakeRasa(), Outbox(engine), Clock(NOW)
    desk = StaffDesk(engine, outbox, rasa, TEAMS)
    accounts = StaffAccounts(engine, work_factor=TEST_WORK_FACTOR)
    for name, role in [
        ("Ada", Role.ADMIN),
        ("Sam", Role.COMMUNICATIONS),
        ("Cara", Role.CUSTOMER_EXPERIENCE),
        ("Rob", Role.REPAIRS),
    ]:
        accounts.create(name, PASSWORD, role, NOW)
    app = create_app(desk, {}, clock=clock, name="console_queue_test", accounts=accounts)
    return {
        "app": app,
        "engine": engine,
        "rasa": rasa,
        "outbox": outbox,
        "clock": clock,
        "service": HandoffService(engine, CALENDAR, TEAMS),
        "audit": HandoffAudit(engine),
        "handoffs": HandoffRepository(engine),
    }


class Browser:
    """One member of staff's browser: their session cookie and the page's CSRF token."""

    def __init__(self, app, cookie, csrf):
        self.app, self.cookie, self.csrf = app, cookie, csrf

    async def get(self, path, **kwargs):
        _, response = await self.app.asgi_client.get(path, cookies={COOKIE: self.cookie}, **kwargs)
        return response

    async def post(self, path, data=None, csrf=True):
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.csrf
        _, response = await self.app.asgi_client.post(
            path, data=form, cookies={COOKIE: self.cookie}
        )
        return response


async def sign_in(world, name):
    """Sign in through the sign-in form, as a browser does."""
    client = world["app"].asgi_client
    # One test client serves every browser of a test: each keeps its own cookie.
    client.cookies.clear()
    _, form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    _, signed = await client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "csrf_token": token, "next": "/queue"},
        cookies={LOGIN_CSRF_COOKIE: form.cookies[LOGIN_CSRF_COOKIE]},
    )
    assert signed.status == 303, signed.text
    client.cookies.clear()
    browser = Browser(world["app"], signed.cookies[COOKIE], None)
    page = await browser.get("/queue")
    browser.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return browser


def messenger_tenant(world, psid="psid-1", reason=Reason.REQUEST_HUMAN, at=NOW, text=None):
    conversation_id = f"facebook-private-{psid}"
    world["rasa"].tenant_wrote(conversation_id, text or "can I talk to a person", at)
    conversation = Conversation(conversation_id, "facebook", "private", psid)
    return world["service"].open(reason, conversation, at)


def ids_in(html):
    return re.findall(r'data-handoff-id="([^"]+)"', html)


def delivered(world):
    """The platform takes every queued staff reply now, as the outbox worker reports it."""
    listener = StaffReplyListener(world["engine"])
    for message in world["outbox"].messages("pending"):
        listener.sent(message, f"m-{message.id}", world["clock"].now)


# Signing in.


async def test_every_page_of_the_queue_needs_a_signed_in_member_of_staff(world):
    handoff = messenger_tenant(world)
    client = world["app"].asgi_client
    for path in ["/", "/queue", "/queue/rows", f"/conversations/{handoff.id}"]:
        _, response = await client.get(path)
        assert response.status == 303 and response.headers["location"].startswith("/login")
    for action in ["take", "reply", "transfer", "hand-back", "close", "unmask"]:
        _, response = await client.post(f"/conversations/{handoff.id}/{action}", data={})
        assert response.status == 401
    assert world["handoffs"].get(handoff.id).state is State.WAITING
    assert world["audit"].entries() == []


async def test_a_form_without_its_csrf_token_changes_nothing(world):
    handoff = messenger_tenant(world)
    sam = await sign_in(world, "Sam")
    for action, data in [
        ("take", {}),
        ("reply", {"text": "Hello"}),
        ("close", {}),
        ("unmask", {}),
    ]:
        response = await sam.post(f"/conversations/{handoff.id}/{action}", data, csrf=False)
        assert response.status == 403
    assert world["handoffs"].get(handoff.id).state is State.WAITING
    assert world["outbox"].messages() == []
    assert not [e for e in world["audit"].entries(handoff.id) if e.action == "unmask_thread"]


# The queue.


async def test_the_queue_puts_emergencies_on_top_then_what_is_due_first(world):
    later = messenger_tenant(world, "a", Reason.REQUEST_HUMAN, NOW)
    earlier = messenger_tenant(world, "b", Reason.COMPLAINT, NOW - timedelta(hours=1))
    urgent = messenger_tenant(world, "c", Reason.EMERGENCY, NOW + timedelta(minutes=5))
    ada = await sign_in(world, "Ada")
    for path in ["/", "/queue"]:
        page = await ada.get(path)
        assert page.status == 200
        assert ids_in(page.text) == [urgent.id, earlier.id, later.id]
    assert "Emergency" in page.text


async def test_each_team_sees_its_own_queue_and_admin_every_team(world):
    communications = messenger_tenant(world, "a", Reason.REQUEST_HUMAN)
    complaint = messenger_tenant(world, "b", Reason.COMPLAINT)
    emergency = messenger_tenant(world, "c", Reason.EMERGENCY)
    seen = {}
    for name in ["Sam", "Cara", "Rob", "Ada"]:
        seen[name] = ids_in((await (await sign_in(world, name)).get("/queue")).text)
    assert seen["Sam"] == [communications.id]
    assert seen["Cara"] == [complaint.id]
    assert seen["Rob"] == [emergency.id]
    assert set(seen["Ada"]) == {communications.id, complaint.id, emergency.id}


async def test_countdowns_are_in_working_time_and_a_breach_says_so(world):
    handoff = messenger_tenant(world)  # Monday 10:00: acknowledge by 12:00, reply by 14:00
    sam = await sign_in(world, "Sam")
    world["clock"].now = NOW + timedelta(minutes=40)
    page = await sam.get("/queue")
    assert "1 h 20 min working time left" in page.text
    assert "3 h 20 min working time left" in page.text
    assert "Overdue" not in page.text
    world["clock"].now = NOW + timedelta(hours=2, minutes=35)
    rows = (await sam.get("/queue/rows")).text
    assert "overdue by 35 min working time" in rows and "Overdue" in rows
    assert ids_in(rows) == [handoff.id]


async def test_the_filters_are_labelled_and_narrow_the_queue(world):
    messenger = messenger_tenant(world, "a")
    world["rasa"].tenant_wrote("twitter-public-42", "@us can I talk to someone", NOW)
    mention = world["service"].open(
        Reason.REQUEST_HUMAN, Conversation("twitter-public-42", "twitter", "public", "42"), NOW
    )
    sam = await sign_in(world, "Sam")
    page = await sam.get("/queue")
    for name, label in [("team", "Team"), ("platform", "Platform"), ("surface", "Surface")]:
        assert f'<label for="filter-{name}">{label}</label>' in page.text
        assert f'<select id="filter-{name}" name="{name}">' in page.text
    assert ids_in((await sam.get("/queue?platform=twitter")).text) == [mention.id]
    assert ids_in((await sam.get("/queue?surface=private")).text) == [messenger.id]
    assert ids_in((await sam.get("/queue/rows?platform=facebook")).text) == [messenger.id]
    narrowed = await sam.get("/queue?reason=complaint")
    assert ids_in(narrowed.text) == [] and "No open handoffs match these filters" in narrowed.text
    # The live rows keep the filters the page was opened with.
    assert (
        'data-poll="/queue/rows?platform=twitter"'
        in (await sam.get("/queue?platform=twitter")).text
    )


async def test_new_handoffs_appear_in_the_rows_the_page_polls(world):
    sam = await sign_in(world, "Sam")
    page = await sam.get("/queue")
    assert 'data-poll="/queue/rows"' in page.text and "No open handoffs" in page.text
    handoff = messenger_tenant(world)
    rows = await sam.get("/queue/rows", headers={"X-Console-Poll": "1"})
    assert rows.status == 200 and ids_in(rows.text) == [handoff.id]
    assert "<html" not in rows.text
    assert f'href="/conversations/{handoff.id}"' in rows.text
    # Listing the queue is audited when the page opens, not at every refresh.
    listed = [e.action for e in world["audit"].entries()].count("list")
    for _ in range(3):
        await sam.get("/queue/rows")
    assert [e.action for e in world["audit"].entries()].count("list") == listed
    await sam.get("/queue")
    assert [e.action for e in world["audit"].entries()].count("list") == listed + 1


# A conversation.


async def test_the_thread_marks_tenant_assistant_and_staff_with_times_and_surfaces(world):
    handoff = messenger_tenant(world, text="my number is 07700 900123")
    world["rasa"].append(
        "facebook-private-psid-1",
        [
            {
                "event": "bot",
                "text": "I'll pass you to a person.",
                "timestamp": NOW.timestamp() + 1,
            },
            {
                "event": "bot",
                "text": "Hi, it's Sam.",
                "timestamp": NOW.timestamp() + 60,
                "metadata": {"author": "staff", "staff": "Sam", "surface": "private"},
            },
        ],
    )
    sam = await sign_in(world, "Sam")
    page = await sam.get(f"/conversations/{handoff.id}")
    assert page.status == 200
    authors = re.findall(r'data-author="(\w+)"', page.text)
    assert authors == ["tenant", "assistant", "staff"]
    for label in [">Tenant<", ">Assistant<", ">Staff: Sam<"]:
        assert label in page.text
    assert "Mon 23 Nov, 10:00" in page.text and "Messenger" in page.text
    # Personal details masked until asked for.
    assert "07700 900123" not in page.text and "[phone]" in page.text
    assert "Show personal details" in page.text
    actions = [e.action for e in world["audit"].entries(handoff.id)]
    assert actions == ["view", "read_thread"]


async def test_showing_personal_details_is_a_logged_click(world):
    handoff = messenger_tenant(world, text="my number is 07700 900123")
    sam = await sign_in(world, "Sam")
    shown = await sam.post(f"/conversations/{handoff.id}/unmask")
    assert shown.status == 200 and "07700 900123" in shown.text
    [entry] = [e for e in world["audit"].entries(handoff.id) if e.action == "unmask_thread"]
    assert entry.staff == "Sam"
    # Reloading masks them again.
    assert "07700 900123" not in (await sam.get(f"/conversations/{handoff.id}")).text


async def test_new_tenant_messages_appear_in_the_thread_the_page_polls(world):
    handoff = messenger_tenant(world)
    sam = await sign_in(world, "Sam")
    page = await sam.get(f"/conversations/{handoff.id}")
    assert f'data-poll="/conversations/{handoff.id}/thread"' in page.text
    world["rasa"].tenant_wrote(
        "facebook-private-psid-1", "are you there? call 07700 900123", NOW + timedelta(minutes=3)
    )
    fragment = await sam.get(f"/conversations/{handoff.id}/thread")
    assert fragment.status == 200 and "<html" not in fragment.text
    assert "are you there? call [phone]" in fragment.text
    assert re.findall(r'data-author="(\w+)"', fragment.text) == ["tenant", "tenant"]
    # A refresh is not a second opening in the audit.
    assert [e.action for e in world["audit"].entries(handoff.id)] == ["view", "read_thread"]


async def test_another_teams_conversation_is_refused_unless_admin(world):
    complaint = messenger_tenant(world, reason=Reason.COMPLAINT)
    sam = await sign_in(world, "Sam")
    for path in [f"/conversations/{complaint.id}", f"/conversations/{complaint.id}/thread"]:
        assert (await sam.get(path)).status == 403
    for action in ["take", "close", "unmask"]:
        assert (await sam.post(f"/conversations/{complaint.id}/{action}")).status == 403
    assert world["handoffs"].get(complaint.id).state is State.WAITING
    assert world["audit"].entries(complaint.id) == []
    ada = await sign_in(world, "Ada")
    assert (await ada.get(f"/conversations/{complaint.id}")).status == 200


async def test_an_unknown_conversation_is_a_404_page(world):
    sam = await sign_in(world, "Sam")
    response = await sam.get("/conversations/no-such-handoff")
    assert response.status == 404 and "no such handoff" in response.text


async def test_verification_state_and_the_tenancy_once_verified_never_an_answer(world):
    engine = world["engine"]
    tenancies = TenancyRepository(engine)
    load_tenancies(DEMO_TENANCIES, tenancies, work_factor=TEST_WORK_FACTOR)
    handoff = messenger_tenant(world)
    sam = await sign_in(world, "Sam")
    assert (
        "Not verified: no identity check yet"
        in (await sam.get(f"/conversations/{handoff.id}")).text
    )
    checks = IdentityChecks(engine, tenancies, HashScheme.fresh(n=TEST_WORK_FACTOR))
    answers = Answers(locator("TEN-204817"), "margaret thompson", date(1958, 4, 12))
    checks.attempt(Account("facebook", "psid-1"), "facebook-private-psid-1", answers, NOW)
    page = await sam.get(f"/conversations/{handoff.id}")
    assert "Verified by security questions Mon 23 Nov, 10:00, as tenant" in page.text
    assert "£123.45 in arrears" in page.text and "R-30117" in page.text
    for answer in ["Margaret", "margaret", "1958", "12 April"]:
        assert answer not in page.text
    assert "TEN-204817" not in page.text and "Elm Road" not in page.text
    shown = await sam.post(f"/conversations/{handoff.id}/unmask")
    assert "TEN-204817" in shown.text and "14 Elm Road, Leeds LS6 2AB" in shown.text


# Acting.


async def test_take(world):
    handoff = messenger_tenant(world)
    sam = await sign_in(world, "Sam")
    response = await sam.post(f"/conversations/{handoff.id}/take")
    assert response.status == 303
    assert response.headers["location"] == f"/conversations/{handoff.id}"
    page = await sam.get(response.headers["location"])
    assert "You took this conversation." in page.text and "Taken, by Sam" in page.text
    assert ids_in((await sam.get("/queue")).text) == [handoff.id]
    assert '<td data-label="Taken by">Sam</td>' in (await sam.get("/queue")).text
    # Someone else of the team is told who has it.
    ada = await sign_in(world, "Ada")
    again = await ada.post(f"/conversations/{handoff.id}/take")
    assert again.status == 409 and "already taken by Sam" in again.text


async def test_the_first_reply_goes_to_messenger_and_acknowledges_the_handoff(world):
    handoff = messenger_tenant(world)
    sam = await sign_in(world, "Sam")
    world["clock"].now = NOW + timedelta(minutes=20)
    response = await sam.post(f"/conversations/{handoff.id}/reply", {"text": "Hi, it's Sam."})
    assert response.status == 303
    assert "Your reply is on its way" in (await sam.get(response.headers["location"])).text
    [sent] = world["outbox"].messages()
    assert (sent.operation, sent.target, sent.text, sent.author) == (
        Operation.MESSENGER_SEND,
        "psid-1",
        "Hi, it's Sam.",
        Author.STAFF,
    )
    delivered(world)
    page = await sam.get(f"/conversations/{handoff.id}")
    assert "acknowledged Mon 23 Nov, 10:20, in time" in page.text
    assert "replied Mon 23 Nov, 10:20, in time" in page.text
    assert ">Staff: Sam<" in page.text


async def test_the_holding_message_is_a_canned_reply_that_acknowledges_without_answering(world):
    handoff = messenger_tenant(world)
    sam = await sign_in(world, "Sam")
    page = await sam.get(f"/conversations/{handoff.id}")
    assert '<label for="canned">Canned reply</label>' in page.text
    assert '<label for="reply-text">Reply</label>' in page.text
    assert f'value="{CANNED_HOLDING}"' in page.text
    world["clock"].now = NOW + timedelta(minutes=10)
    response = await sam.post(
        f"/conversations/{handoff.id}/reply", {"text": "", "canned": CANNED_HOLDING}
    )
    assert response.status == 303
    [sent] = world["outbox"].messages()
    assert sent.text.startswith("Thank you for your patience.")
    delivered(world)
    held = world["handoffs"].get(handoff.id)
    assert held.acknowledged_at is not None and held.replied_at is None
    page = await sam.get(f"/conversations/{handoff.id}")
    assert "acknowledged Mon 23 Nov, 10:10, in time" in page.text
    assert "3 h 50 min working time left" in page.text


async def test_transfer_to_another_team_leaves_this_teams_queue(world):
    handoff = messenger_tenant(world)
    sam = await sign_in(world, "Sam")
    page = await sam.get(f"/conversations/{handoff.id}")
    assert '<label for="transfer-team">Transfer to team</label>' in page.text
    response = await sam.post(f"/conversations/{handoff.id}/transfer", {"team": "Repairs"})
    assert (response.status, response.headers["location"]) == (303, "/queue")
    queue = await sam.get("/queue")
    assert "Transferred to Repairs." in queue.text and ids_in(queue.text) == []
    rob = await sign_in(world, "Rob")
    assert ids_in((await rob.get("/queue")).text) == [handoff.id]


async def test_hand_back_resumes_the_assistant(world):
    handoff = messenger_tenant(world)
    assert world["rasa"].trackers["facebook-private-psid-1"]["paused"]
    sam = await sign_in(world, "Sam")
    response = await sam.post(f"/conversations/{handoff.id}/hand-back")
    assert (response.status, response.headers["location"]) == (303, "/queue")
    assert "Handed back" in (await sam.get("/queue")).text
    assert not world["rasa"].trackers["facebook-private-psid-1"]["paused"]
    assert world["handoffs"].get(handoff.id).state is State.HANDED_BACK
    page = await sam.get(f"/conversations/{handoff.id}")
    assert "nothing more to do here" in page.text and "Send reply" not in page.text


async def test_close(world):
    handoff = messenger_tenant(world)
    sam = await sign_in(world, "Sam")
    response = await sam.post(f"/conversations/{handoff.id}/close")
    assert (response.status, response.headers["location"]) == (303, "/queue")
    assert world["handoffs"].get(handoff.id).state is State.CLOSED
    assert [e.action for e in world["audit"].entries(handoff.id)][-1] == "close"


async def test_what_the_desk_refuses_is_shown_on_the_page_never_a_500(world):
    handoff = messenger_tenant(world)
    sam = await sign_in(world, "Sam")
    empty = await sam.post(f"/conversations/{handoff.id}/reply", {"text": "  "})
    assert empty.status == 422 and "Not done: the reply has no text" in empty.text
    same = await sam.post(f"/conversations/{handoff.id}/transfer", {"team": "Communications"})
    assert same.status == 422 and "with Communications already" in same.text

    def rasa_down(*_args, **_kwargs):
        raise RasaError("connection refused")

    world["rasa"].append = rasa_down
    typed = "Sorry for the wait, Sam here."
    down = await sam.post(f"/conversations/{handoff.id}/reply", {"text": typed})
    assert down.status == 502 and "connection refused" in down.text
    assert typed in down.text  # what was typed is kept, to send again
    assert world["outbox"].messages() == []
    del world["rasa"].append  # Rasa is back
    await sam.post(f"/conversations/{handoff.id}/close")
    closed = await sam.post(f"/conversations/{handoff.id}/reply", {"text": "Hello"})
    assert closed.status == 409 and "cannot be replied to" in closed.text


async def test_a_second_sign_in_page_does_not_expire_the_form_already_open(world):
    # A browser asks for /favicon.ico after the sign-in page: sent to /login as well,
    # it must not make the form on screen stale (nor must a second tab).
    client = world["app"].asgi_client
    client.cookies.clear()
    _, form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    _, icon = await client.get("/favicon.ico")
    assert icon.status == 303
    _, again = await client.get(icon.headers["location"])
    cookie = again.cookies.get(LOGIN_CSRF_COOKIE) or form.cookies[LOGIN_CSRF_COOKIE]
    client.cookies.clear()
    _, signed = await client.post(
        "/login",
        data={"name": "Sam", "password": PASSWORD, "csrf_token": token, "next": "/queue"},
        cookies={LOGIN_CSRF_COOKIE: cookie},
    )
    assert signed.status == 303 and signed.cookies.get(COOKIE)


async def test_the_queues_countdowns_are_worked_out_off_the_event_loop(world, monkeypatch):
    # Working hours and holidays make each countdown a computation; while it runs on the
    # event loop, every other member of staff's request waits.
    messenger_tenant(world)
    asyncio.get_running_loop()  # the app's handlers run on this thread's loop
    loop_thread = threading.current_thread()
    threads = []
    real = queue_pages.queue_rows

    def watched(*args, **kwargs):
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(queue_pages, "queue_rows", watched)
    sam = await sign_in(world, "Sam")
    for path in ("/queue", "/queue/rows"):
        response = await sam.get(path)
        assert response.status == 200
    assert len(threads) >= 2
    assert loop_thread not in threads


# What the handoff's summary says is masked as the thread is (P4, P9).


async def test_the_summary_of_a_locked_tenancy_is_masked_until_shown_and_that_is_logged(world):
    tenancies = TenancyRepository(world["engine"])
    load_tenancies(DEMO_TENANCIES, tenancies, work_factor=TEST_WORK_FACTOR)
    TenancyLockNotice(world["service"])(tenancies.find(locator("TEN-204817")), NOW)
    [locked] = world["handoffs"].queue()
    cara = await sign_in(world, "Cara")
    page = await cara.get(f"/conversations/{locked.id}")
    assert page.status == 200 and "[tenancy_reference]" in page.text
    assert "TEN-" not in page.text and "204817" not in page.text
    shown = await cara.post(f"/conversations/{locked.id}/unmask")
    assert "TEN-204817" in shown.text
    assert [e.staff for e in world["audit"].entries(locked.id) if e.action == "unmask_thread"] == [
        "Cara"
    ]
    assert "TEN-" not in (await cara.get(f"/conversations/{locked.id}")).text


async def test_the_summary_of_a_handoff_shows_no_detail_from_the_tenants_words_until_shown(world):
    words = "please call me on 07700 900123, my ref is TEN-204817"
    world["rasa"].tenant_wrote("facebook-private-psid-1", words, NOW)
    conversation = Conversation("facebook-private-psid-1", "facebook", "private", "psid-1")
    # Details are stored as the action gathered them: the page masks them.
    handoff = world["service"].open(
        Reason.REQUEST_HUMAN, conversation, NOW, words=words, details={"about": words}
    )
    sam = await sign_in(world, "Sam")
    page = await sam.get(f"/conversations/{handoff.id}")
    assert "In their words" in page.text
    for detail in ["07700 900123", "TEN-204817"]:
        assert detail not in page.text
    shown = await sam.post(f"/conversations/{handoff.id}/unmask")
    for detail in ["07700 900123", "TEN-204817"]:
        assert detail in shown.text


async def test_the_queue_states_the_configured_monitoring_hours(world, tmp_path):
    """The working time the countdowns count is the configured calendar's (P1), and the
    queue says which it is: not a fixed Monday to Friday, 9 to 5."""
    configured = (ROOT / "association.yml").read_text()
    for old, new in [
        ("days: [Monday, Tuesday, Wednesday, Thursday, Friday]", "days: [Monday, Tuesday]"),
        ('opens: "09:00"', 'opens: "08:00"'),
        ('closes: "17:00"', 'closes: "16:30"'),
        ("bank_holidays: england_and_wales", "bank_holidays: scotland"),
    ]:
        assert old in configured
        configured = configured.replace(old, new)
    association = tmp_path / "association.yml"
    association.write_text(configured)
    world["app"] = create_app(
        StaffDesk(world["engine"], world["outbox"], world["rasa"], TEAMS),
        {},
        clock=world["clock"],
        name="console_queue_hours_test",
        accounts=StaffAccounts(world["engine"], work_factor=TEST_WORK_FACTOR),
        settings=Settings(association_file=association),
    )
    sam = await sign_in(world, "Sam")
    page = (await sam.get("/queue")).text
    assert "Monday and Tuesday, 8am to 4:30pm UK time, not Scottish bank holidays" in page
    assert "9am to 5pm" not in page and "Friday" not in page


async def test_showing_personal_details_is_logged_even_when_the_thread_cannot_be_read(world):
    """The tenancy and the summary are shown too: the click is logged whatever Rasa does."""
    conversation = Conversation("facebook-private-psid-1", "facebook", "private", "psid-1")
    locked = world["service"].open(
        Reason.COMPLAINT, conversation, NOW, details={"tenancy": "TEN-204817"}
    )

    def rasa_down(*_args, **_kwargs):
        raise RasaError("connection refused")

    world["rasa"].tracker = rasa_down
    cara = await sign_in(world, "Cara")
    shown = await cara.post(f"/conversations/{locked.id}/unmask")
    assert "could not be read" in shown.text
    assert "TEN-204817" in shown.text
    unmasked = [e for e in world["audit"].entries(locked.id) if e.action == "unmask_thread"]
    assert [e.staff for e in unmasked] == ["Cara"]


async def test_a_locked_tenancy_is_a_handoff_without_a_conversation_and_says_so(world):
    """What staff read of a tenancy whose checks locked (P4): that the checks locked,
    not "no identity check yet"; no thread or reply box for a conversation there is
    not; and no conversation named by the reference is started in the assistant."""
    tenancies = TenancyRepository(world["engine"])
    load_tenancies(DEMO_TENANCIES, tenancies, work_factor=TEST_WORK_FACTOR)
    TenancyLockNotice(world["service"])(tenancies.find(locator("TEN-204817")), NOW)
    [locked] = world["handoffs"].queue()
    read, tracker = [], world["rasa"].tracker

    def reading(conversation_id):
        read.append(conversation_id)
        return tracker(conversation_id)

    world["rasa"].tracker = reading
    cara = await sign_in(world, "Cara")
    page = (await cara.get(f"/conversations/{locked.id}")).text
    assert "no identity check yet" not in page
    assert "identity checks were locked after repeated failures" in page
    assert "contact the tenant by the means on file" in page
    assert "No conversation, private" not in page and "No conversation" in page
    assert 'name="text"' not in page and "Hand back to the assistant" not in page
    assert "Close" in page and "Transfer" in page
    (await cara.get(f"/conversations/{locked.id}/thread"))
    assert read == []
    assert [e.action for e in world["audit"].entries(locked.id)] == ["view", "read_thread"]


async def test_a_hand_back_says_when_another_team_still_has_the_tenant(world):
    """Customer Experience hand back while Repairs still owe a reply: the console
    must not say the assistant answers the tenant again."""
    complaint = messenger_tenant(world, reason=Reason.COMPLAINT, text="nobody rang back")
    messenger_tenant(world, reason=Reason.REPAIR_REQUEST, text="no heating")
    cara = await sign_in(world, "Cara")
    await cara.post(f"/conversations/{complaint.id}/hand-back")
    page = (await cara.get("/queue")).text
    assert "Handed back: Repairs still has the tenant" in page
    assert "answers the tenant again" not in page
    assert world["rasa"].trackers["facebook-private-psid-1"]["paused"]
