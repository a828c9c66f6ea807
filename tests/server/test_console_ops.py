"""The console's moderation log, dead letters and dashboard through Sanic's test client,
signed in as staff: undoing a hide queues the platform call (P7, P12), a dead letter is
sent again or dismissed (P12), and the dashboard shows each chart with its words."""

import json
import re
import xml.etree.ElementTree as ElementTree
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import insert

from bot.console.accounts import Role, StaffAccounts
from bot.console.app import create_app
from bot.console.audit import ConsoleAudit
from bot.console.dashboard_data import tracker_engine, tracker_events
from bot.console.tokens import load_tokens
from bot.events import InboundEvent, Operation
from bot.feedback.surveys import Answer, Occasion, Surveys
from bot.handoff.desk import StaffDesk
from bot.handoff.handoffs import Conversation, Reason
from bot.handoff.service import HandoffService
from bot.intake import IntakeStore
from bot.moderation.log import Action, ModerationLog, Subject
from bot.outbox import DEAD, DISMISSED, PENDING, Author, Outbox, PlatformError
from bot.outbox_worker import OutboxWorker
from bot.settings import Settings
from bot.store import connect, keys_of
from tests.helpers import CALENDAR, ROOT, TEAMS

NOW = datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc)  # a Wednesday, in hours
KEY = "1lhd2hM6T-1Fwz6I3wGcpTMqyKMqGZrMvdZo7EDF8mY="
PASSWORD = "a long enough password"
CHARTS = ("messages", "handoffs", "deadlines", "intents", "understanding", "feedback")


class NoRasa:
    """The desk's Rasa: these pages never call it."""

    def __getattr__(self, name):
        raise AssertionError(f"the page called Rasa's {name}")


@pytest.fixture()
def world(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    outbox = Outbox(engine, key=KEY)
    desk = StaffDesk(engine, outbox, NoRasa(), TEAMS)
    accounts = StaffAccounts(engine)
    accounts.create("Cara", PASSWORD, Role.COMMUNICATIONS, NOW)
    accounts.create("Rhys", PASSWORD, Role.REPAIRS, NOW)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f"tracker_store:\n  type: bot.channels.tracker_store.EncryptedSQLTrackerStore\n"
        f"  dialect: sqlite\n  db: {tmp_path / 'tracker.db'}\n"
    )
    settings = Settings(
        association_file=ROOT / "association.yml", outbox_key=KEY, endpoints_file=endpoints
    )
    app = create_app(
        desk,
        load_tokens("Sam:sam-token-0123456789abcdef", None),
        clock=lambda: NOW,
        name="console_ops_test",
        accounts=accounts,
        settings=settings,
    )
    return {
        "app": app,
        "engine": engine,
        "outbox": outbox,
        "log": ModerationLog(engine, outbox),
        "tracker": tmp_path / "tracker.db",
    }


class Browser:
    """One member of staff's browser: their session cookie and the page's CSRF token."""

    def __init__(self, app):
        self.client = app.asgi_client
        # Only the cookies given with each request count: the client's own jar is shared.
        self.client.cookies.clear()
        self.cookies = {}
        self.csrf = ""

    async def sign_in(self, name):
        _, page = await self.client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        form = {"csrf_token": token, "name": name, "password": PASSWORD, "next": "/"}
        _, signed = await self.client.post(
            "/login", data=form, cookies=dict(page.cookies), follow_redirects=False
        )
        assert signed.status == 303, signed.text
        self.cookies = {"console_session": signed.cookies["console_session"]}
        return self

    async def get(self, path):
        _, response = await self.client.get(path, cookies=self.cookies, follow_redirects=False)
        found = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def post(self, path, csrf=True, **form):
        data = {**form, **({"csrf_token": self.csrf} if csrf else {})}
        _, response = await self.client.post(
            path, data=data, cookies=self.cookies, follow_redirects=False
        )
        return response


async def signed_in(world, name="Cara"):
    return await Browser(world["app"]).sign_in(name)


def audited(world, action):
    return [e for e in ConsoleAudit(world["engine"]).entries(100, None) if e.action == action]


# The moderation log.


def a_hidden_comment(world, detail_kinds=("phone",)):
    subject = Subject("facebook", "fb-user-7", "facebook-public-fb-user-7", target="comment-42")
    return world["log"].record(
        NOW - timedelta(hours=1),
        subject,
        Action.HIDE,
        "personal details in a public comment",
        detail_kinds=detail_kinds,
    )


async def test_the_log_shows_reasons_and_detail_kinds_never_the_details(world):
    entry_id = a_hidden_comment(world)
    world["log"].record(
        NOW, Subject("twitter", "x-9", target="x-9"), Action.BLOCK, "three strikes in 90 days"
    )
    browser = await signed_in(world)

    page = await browser.get("/moderation")

    assert page.status == 200
    assert f'data-entry-id="{entry_id}"' in page.text
    assert "personal details in a public comment" in page.text
    assert "held: phone number" in page.text
    assert "three strikes in 90 days" in page.text
    assert ">Show again<" in page.text and ">Unblock<" in page.text
    filtered = await browser.get("/moderation?platform=twitter&action=block")
    assert "three strikes" in filtered.text and "personal details in a public" not in filtered.text


async def test_undoing_a_hide_queues_the_unhide_call_marks_the_entry_and_is_audited(world):
    entry_id = a_hidden_comment(world)
    browser = await signed_in(world)
    await browser.get("/moderation")

    done = await browser.post(f"/moderation/{entry_id}/undo")

    assert done.status == 303 and done.headers["location"].startswith("/moderation")
    [call] = world["outbox"].messages(PENDING)
    assert (call.platform, call.operation, call.target) == (
        "facebook",
        Operation.UNHIDE_COMMENT,
        "comment-42",
    )
    assert call.author is Author.STAFF
    entry = world["log"].get(entry_id)
    assert (entry.state, entry.undone_by) == ("undone", "Cara")
    [audit] = audited(world, "moderation_undone")
    assert (audit.staff, audit.subject) == ("Cara", str(entry_id))
    page = await browser.get("/moderation")
    assert "will be shown again on Facebook" in page.text  # the flash
    assert "undone by Cara" in page.text and ">Show again<" not in page.text

    again = await browser.post(f"/moderation/{entry_id}/undo")
    assert again.status == 303
    assert len(world["outbox"].messages(PENDING)) == 1  # nothing queued twice
    assert "was not undone" in (await browser.get("/moderation")).text


async def test_an_undo_without_the_csrf_token_is_refused_and_changes_nothing(world):
    entry_id = a_hidden_comment(world)
    browser = await signed_in(world)
    await browser.get("/moderation")

    refused = await browser.post(f"/moderation/{entry_id}/undo", csrf=False)

    assert refused.status == 403
    assert world["outbox"].messages() == []
    assert world["log"].get(entry_id).state == "done"


async def test_moderation_and_dead_letters_are_not_for_the_repairs_team(world):
    entry_id = a_hidden_comment(world)
    browser = await signed_in(world, "Rhys")

    assert (await browser.get("/moderation")).status == 403
    assert (await browser.get("/outbox")).status == 403
    assert (await browser.post(f"/moderation/{entry_id}/undo")).status == 403
    assert world["outbox"].messages() == []
    dashboard = await browser.get("/dashboard")
    assert dashboard.status == 200  # every role sees the dashboard
    # ...and the header offers no link to a page that would refuse them.
    assert 'href="/moderation"' not in dashboard.text
    assert 'href="/outbox"' not in dashboard.text


# Dead letters.


def refuse(message, now):
    raise PlatformError("HTTP 403: (#551) This person isn't available right now", False)


def a_dead_letter(world, text="your repair is booked for Tuesday, flat 4"):
    box = world["outbox"]
    message_id = box.enqueue(
        "facebook-private-psid-1", "facebook", Operation.MESSENGER_SEND, "psid-1", NOW, text=text
    )
    OutboxWorker(box, {"facebook": refuse}, lambda: NOW).run_once()
    assert [m.id for m in box.messages(DEAD)] == [message_id]
    return message_id


async def test_dead_letters_show_what_failed_and_why_never_what_they_said(world):
    message_id = a_dead_letter(world)
    browser = await signed_in(world)

    page = await browser.get("/outbox")

    assert page.status == 200
    assert f'data-message-id="{message_id}"' in page.text
    assert "Messenger message" in page.text and "psid-1" in page.text
    assert "This person isn&#39;t available right now" in page.text
    assert "repair is booked" not in page.text


async def test_a_dead_letter_sent_again_goes_back_in_the_queue_with_its_words(world):
    message_id = a_dead_letter(world)
    browser = await signed_in(world)
    await browser.get("/outbox")

    done = await browser.post(f"/outbox/{message_id}/send-again")

    assert done.status == 303 and done.headers["location"] == "/outbox"
    [queued] = world["outbox"].messages(PENDING)
    assert queued.id == message_id
    assert queued.text == "your repair is booked for Tuesday, flat 4"  # unsealed to go out
    [audit] = audited(world, "dead_letter_sent_again")
    assert (audit.staff, audit.subject) == ("Cara", str(message_id))
    page = await browser.get("/outbox")
    assert "back in the queue" in page.text
    assert f'data-message-id="{message_id}"' not in page.text


async def test_a_dismissed_dead_letter_is_kept_on_record_and_never_sent(world):
    message_id = a_dead_letter(world)
    browser = await signed_in(world)
    await browser.get("/outbox")

    done = await browser.post(f"/outbox/{message_id}/dismiss")

    assert done.status == 303
    assert world["outbox"].messages(DEAD) == []
    assert [m.id for m in world["outbox"].messages(DISMISSED)] == [message_id]
    assert world["outbox"].claim(NOW + timedelta(days=1)) is None
    [audit] = audited(world, "dead_letter_dismissed")
    assert (audit.staff, audit.subject) == ("Cara", str(message_id))
    page = await browser.get("/outbox")
    assert "dismissed: it will not be sent" in page.text
    assert "No dead letters" in page.text
    assert "<h2>Dismissed</h2>" in page.text and f'data-message-id="{message_id}"' in page.text

    again = await browser.post(f"/outbox/{message_id}/send-again")
    assert again.status == 303
    assert world["outbox"].messages(PENDING) == []
    assert "is not a dead letter" in (await browser.get("/outbox")).text


async def test_send_again_and_dismiss_without_the_csrf_token_are_refused(world):
    message_id = a_dead_letter(world)
    browser = await signed_in(world)
    await browser.get("/outbox")

    for action in ("send-again", "dismiss"):
        assert (await browser.post(f"/outbox/{message_id}/{action}", csrf=False)).status == 403
    assert [m.id for m in world["outbox"].messages(DEAD)] == [message_id]


async def test_a_letter_sealed_under_another_key_says_so_and_stays(world):
    outbox = world["outbox"]
    message_id = outbox.enqueue("c", "twitter", Operation.X_DM, "x-1", NOW, text="hello")
    OutboxWorker(outbox, {"twitter": refuse}, lambda: NOW).run_once()
    # As an older release left it: sealed under an OUTBOX_KEY this console does not hold.
    sealed = Fernet(Fernet.generate_key()).encrypt(b'{"text": "hello", "fallback": null}')
    with world["engine"].begin() as connection:
        connection.exec_driver_sql(
            "UPDATE outbox SET text = ? WHERE id = ?", (sealed.decode(), message_id)
        )
    browser = await signed_in(world)
    await browser.get("/outbox")

    await browser.post(f"/outbox/{message_id}/send-again")

    assert [m.id for m in world["outbox"].messages(DEAD)] == [message_id]
    assert "sealed under another" in (await browser.get("/outbox")).text


# The dashboard.


def busy_week(world):
    intake = IntakeStore(world["engine"])
    for n, hours_ago in enumerate((1, 1, 2, 26, 30)):
        at = NOW - timedelta(hours=hours_ago)
        event = InboundEvent("facebook", "message", f"m{n}", "private", f"t{n}", "hi", sent_at=at)
        intake.accept([event], at)
    surveys = Surveys(world["engine"])
    for n, (team, rating) in enumerate((("Repairs", 2), ("Repairs", 4), ("Assistant", 5))):
        asked = Occasion(f"o{n}", f"facebook-private-t{n}", "facebook", f"t{n}", team, None)
        surveys.answer(surveys.record_asked(asked, NOW), Answer(rating, ""), NOW)
    service = HandoffService(world["engine"], CALENDAR, TEAMS)
    for n, reason in enumerate((Reason.REQUEST_HUMAN, Reason.REQUEST_HUMAN, Reason.EMERGENCY)):
        conversation = Conversation(f"facebook-private-t{n}", "facebook", "private", f"t{n}")
        service.open(reason, conversation, NOW - timedelta(days=2, hours=n))
    service.repository.record_missed(NOW)
    writer = tracker_engine(f"sqlite:///{world['tracker']}")
    tracker_events.metadata.create_all(writer)
    for n, (intent, confidence) in enumerate(
        [("ask_rent_balance", 0.93), ("ask_rent_balance", 0.88), ("nlu_fallback", 0.4)]
    ):
        at = (NOW - timedelta(hours=n + 1)).timestamp()
        ranking = [{"name": intent, "confidence": confidence}]
        if intent == "nlu_fallback":
            ranking.append({"name": "greet", "confidence": 0.2})
        data = {"event": "user", "parse_data": {"intent": ranking[0], "intent_ranking": ranking}}
        with writer.begin() as connection:
            connection.execute(
                insert(tracker_events).values(
                    sender_id=f"t{n}",
                    type_name="user",
                    timestamp=at,
                    intent_name=intent,
                    # As the Rasa server writes it: encrypted under the keys it shares
                    # with the console.
                    data=keys_of(world["engine"].dialect).encrypt(json.dumps(data)),
                )
            )


async def test_the_dashboard_shows_each_chart_with_its_text_alternative(world):
    busy_week(world)
    browser = await signed_in(world, "Rhys")

    page = await browser.get("/dashboard")

    assert page.status == 200
    for name in CHARTS:
        image = re.search(rf'<img src="/dashboard/{name}\.svg" alt="([^"]+)"', page.text)
        assert image, f"no picture of {name}"
        assert len(image.group(1)) > 40  # a sentence that says what it shows
        assert f'data-chart="{name}"' in page.text
    text = page.text
    # Tuesday 05:00 UTC is out of hours.
    assert "5 messages, 4 in monitoring hours and 1 outside them" in text
    assert "against the monitoring window (Monday to Friday, 9am to 5pm" in text
    assert '<th scope="row">request human</th>' in text  # the handoffs' table
    assert "ask_rent_balance (2)" in text  # the intents' alternative names the top ones
    assert "33% fell back and 33% were unsure" in text
    assert re.search(r"<td>0% \(0 of \d\)</td>", text)  # deadlines missed this week
    # Ratings after conversations, by team and week (P11).
    assert "3 ratings in all" in text and "Repairs 3.0 of 5 (2)" in text
    assert "<td>3.0 (2)</td>" in text and "<td>5.0 (1)</td>" in text


@pytest.mark.parametrize("name", CHARTS)
async def test_each_chart_is_an_svg_picture_drawn_on_the_server(world, name):
    busy_week(world)
    browser = await signed_in(world)

    response = await browser.get(f"/dashboard/{name}.svg")

    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    root = ElementTree.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


async def test_an_unknown_chart_is_not_found_and_a_stranger_gets_no_chart(world):
    browser = await signed_in(world)
    assert (await browser.get("/dashboard/passwords.svg")).status == 404
    world["app"].asgi_client.cookies.clear()  # a browser that never signed in
    _, stranger = await world["app"].asgi_client.get(
        "/dashboard/messages.svg", follow_redirects=False
    )
    assert stranger.status == 303 and stranger.headers["location"].startswith("/login")
