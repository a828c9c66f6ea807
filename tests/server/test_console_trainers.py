"""The trainer pages through Sanic's test client: who may open them (every role tried),
the missed messages listed redacted, assigning one writes it into the intent's NLU file
of a copy of the project (same format, sorted) and audits it without the text,
refusals change nothing, dismissing hides one, and the NLU report is served with
nothing else beside it."""

import json
import shutil
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from bot.console.accounts import Role, StaffAccounts, teams_without_roles
from bot.console.app import create_app
from bot.console.audit import ConsoleAudit
from bot.console.tokens import load_tokens
from bot.handoff.desk import StaffDesk
from bot.handoff.handoffs import Conversation, Reason
from bot.handoff.service import HandoffService
from bot.outbox import Outbox
from bot.protection.conversations import engine_for, tracker_events
from bot.settings import Settings
from bot.store import connect, keys_of
from bot.trainer.nlu_files import read_blocks, render
from tests.helpers import CALENDAR, ROOT, TEAMS
from tests.server.test_console_access import Browser, Clock, csrf_in, visible

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
PASSWORD = "a long password 1"
TOKEN = "trainer-token-0123456789abcdef"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
TAP = "me tap is drippin can u ring me on 07700 900123 after 3"
REDACTED_TAP = "me tap is drippin can u ring me on [phone] after 3"


def project_copy(tmp_path):
    """The files the trainer pages read and write, copied: the checkout is not touched."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "data" / "nlu", root / "data" / "nlu")
    for name in ("domain.yml", "config.yml"):
        shutil.copy(ROOT / name, root / name)
    return root


def said(tracker, keys, text, intent, ranking, at=NOW):
    ranked = [{"name": n, "confidence": c} for n, c in ranking]
    parse = {"intent": {"name": intent, "confidence": ranking[0][1]}, "intent_ranking": ranked}
    data = {"event": "user", "timestamp": at.timestamp(), "text": text, "parse_data": parse}
    with tracker.begin() as connection:
        connection.execute(
            insert(tracker_events).values(
                sender_id="facebook-private-1",
                type_name="user",
                timestamp=at.timestamp(),
                data=keys.encrypt(json.dumps(data)),
            )
        )


@pytest.fixture()
def world(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    keys = keys_of(engine.dialect)
    tracker = engine_for(f"sqlite:///{tmp_path / 'tracker.db'}")
    tracker_events.metadata.create_all(tracker)
    fallback = [("nlu_fallback", 0.4), ("report_repair", 0.31), ("greet", 0.1)]
    for minutes in (5, 50):
        said(tracker, keys, TAP, "nlu_fallback", fallback, NOW - timedelta(minutes=minutes))
    said(tracker, keys, "zxqv plork wibble", "nlu_fallback", fallback)
    # Understood well: not listed.
    said(tracker, keys, "my sink is blocked", "report_repair", [("report_repair", 0.97)])
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: bot.channels.tracker_store.EncryptedSQLTrackerStore\n"
        f"  dialect: sqlite\n  db: {tmp_path / 'tracker.db'}\n"
    )
    root = project_copy(tmp_path)
    settings = Settings(
        association_file=ROOT / "association.yml",
        endpoints_file=endpoints,
        trainer_project_root=root,
    )
    accounts = StaffAccounts(engine, work_factor=2**4)
    for role in Role:
        accounts.create(role.value, PASSWORD, role, NOW)
    desk = StaffDesk(engine, Outbox(engine), None, TEAMS)
    app = create_app(
        desk,
        load_tokens(f"trainer:{TOKEN}", None),
        clock=Clock(NOW),
        name="trainers",
        accounts=accounts,
        settings=settings,
    )
    return {"app": app, "engine": engine, "root": root, "desk": desk}


async def signed_in(world, role):
    browser = Browser(world["app"])
    response = await browser.sign_in(role.value, PASSWORD)
    assert response.status == 303
    return browser


def repairs_file(world):
    return world["root"] / "data" / "nlu" / "repairs.yml"


def snapshot(world):
    return {p.name: p.read_text() for p in (world["root"] / "data" / "nlu").glob("*.yml")}


# Who may open them.


@pytest.mark.parametrize("role", list(Role))
async def test_only_trainers_and_admin_open_the_trainer_pages_and_see_their_links(world, role):
    browser = await signed_in(world, role)
    allowed = role in (Role.TRAINER, Role.ADMIN)
    for path in ("/trainers/misses", "/trainers/report"):
        response = await browser.get(path)
        assert response.status == (200 if allowed else 403), (role, path)
    home = await browser.get("/account")
    assert ('href="/trainers/misses"' in home.text) is allowed
    assert ('href="/trainers/report"' in home.text) is allowed
    token = csrf_in(home.text)
    before = snapshot(world)
    response = await browser.post(
        "/trainers/misses/assign",
        data={"csrf_token": token, "intent": "report_repair", "text": "my tap is dripping a lot"},
    )
    assert response.status == (303 if allowed else 403)
    assert (snapshot(world) != before) is allowed


async def test_a_trainer_sees_the_trainer_pages_only_and_no_queue(world):
    service = HandoffService(world["engine"], CALENDAR, TEAMS)
    service.open(
        Reason.REQUEST_HUMAN, Conversation("facebook-private-a", "facebook", "private", "a"), NOW
    )
    browser = await signed_in(world, Role.TRAINER)
    home = await browser.get("/")
    assert home.status == 303 and home.headers["location"] == "/trainers/misses"
    for path in (
        "/queue",
        "/queue/rows",
        "/dashboard",
        "/moderation",
        "/outbox",
        "/accounts",
        "/audit",
    ):
        assert (await browser.get(path)).status == 403, path
    page = await browser.get("/trainers/misses")
    nav = page.text.split("</nav>")[0]
    assert 'href="/queue"' not in nav and 'href="/dashboard"' not in nav
    assert "Signed in as trainer (Trainer)" in visible(page.text)
    # Nor through the staff API with a token in a trainer's name.
    api = await browser.get("/api/handoffs", headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.status == 403 and "trainer" in api.json["error"]
    # A trainer's role works for no team: every configured team still has a role.
    assert teams_without_roles(TEAMS.names) == []
    assert Role.parse("Trainer") is Role.TRAINER and Role.TRAINER.team is None


# The misses page.


async def test_the_misses_are_listed_redacted_most_frequent_first_with_the_guess(world):
    browser = await signed_in(world, Role.TRAINER)
    page = await browser.get("/trainers/misses")
    text = visible(page.text)
    assert "07700" not in page.text
    assert text.index(REDACTED_TAP) < text.index("zxqv plork wibble")
    assert "Sent 2 times" in text and "report_repair (0.31)" in text
    assert "my sink is blocked" not in text
    assert f'value="{REDACTED_TAP}"' in page.text  # the form's text, prefilled
    assert '<option value="ask_rent_balance"' in page.text


async def test_assigning_writes_the_intents_file_sorted_audits_it_and_says_retrain(world):
    browser = await signed_in(world, Role.TRAINER)
    page = await browser.get("/trainers/misses")
    miss = page.text.split('name="miss" value="')[1].split('"')[0]
    response = await browser.post(
        "/trainers/misses/assign",
        data={
            "csrf_token": csrf_in(page.text),
            "miss": miss,
            "intent": "report_repair",
            "text": "  me tap is drippin   can u ring me after 3 ",
        },
    )
    assert response.status == 303 and response.headers["location"] == "/trainers/misses"
    path = repairs_file(world)
    blocks = dict(read_blocks(path))
    assert "me tap is drippin can u ring me after 3" in blocks["report_repair"]
    assert path.read_text() == render(read_blocks(path))  # the project's format, sorted
    after = await browser.get("/trainers/misses")
    said_ = visible(after.text)
    assert "Added to data/nlu/repairs.yml under report_repair" in said_
    assert "make train" in said_
    assert REDACTED_TAP not in said_.split("Added to")[0] + said_.split("make train.")[-1]
    [entry] = [
        e for e in ConsoleAudit(world["engine"]).entries() if e.action == "training_example_added"
    ]
    assert entry.staff == "trainer" and entry.subject == miss
    assert entry.details == {"intent": "report_repair", "file": "data/nlu/repairs.yml"}
    assert "drippin" not in json.dumps(entry.details)


@pytest.mark.parametrize(
    "intent, text, says",
    [
        ("report_repair", "me tap is drippin ring me on 07700 900123", "personal detail (phone)"),
        ("report_repair", "email me at jo@example.com", "personal detail (email)"),
        ("no_such_intent", "zxqv plork wibble", "no intent"),
        ("report_repair", "", "empty"),
        ("report_repair", "my boiler is broken again " * 40, "at most 1000 characters"),
        # Its length as sent, before spaces are joined.
        ("report_repair", "tap leaking" + " " * 1000 + "again", "at most 1000 characters"),
        ("report_repair", "hello\x7f there", "control character (U+007F"),
        ("report_repair", "boiler \x1b[2J broken", "control character (U+001B"),
        ("report_repair", "tap\u2028- smuggled line", "control character (U+2028"),
        ("report_repair", "hi [mate](person)", "as an entity"),
        ("report_repair", 'my [boiler]{"entity": "appliance"} broke', "as an entity"),
    ],
)
async def test_refusals_say_why_and_change_nothing(world, intent, text, says):
    browser = await signed_in(world, Role.TRAINER)
    token = await browser.csrf("/trainers/misses")
    before = snapshot(world)
    response = await browser.post(
        "/trainers/misses/assign", data={"csrf_token": token, "intent": intent, "text": text}
    )
    assert response.status == 422
    assert says in visible(response.text)
    assert "07700" not in response.text and "jo@example.com" not in response.text
    assert snapshot(world) == before
    assert not [
        e for e in ConsoleAudit(world["engine"]).entries() if e.action == "training_example_added"
    ]


async def test_a_duplicate_is_refused_and_names_where_it_already_is(world):
    existing = read_blocks(repairs_file(world))[0][1][0]
    browser = await signed_in(world, Role.TRAINER)
    token = await browser.csrf("/trainers/misses")
    before = snapshot(world)
    response = await browser.post(
        "/trainers/misses/assign",
        data={"csrf_token": token, "intent": "make_complaint", "text": existing.upper()},
    )
    assert response.status == 422 and "already an example of" in visible(response.text)
    assert snapshot(world) == before


async def test_without_the_csrf_token_nothing_is_written_or_dismissed(world):
    browser = await signed_in(world, Role.TRAINER)
    before = snapshot(world)
    response = await browser.post(
        "/trainers/misses/assign", data={"intent": "report_repair", "text": "a new example"}
    )
    assert response.status == 403 and snapshot(world) == before
    response = await browser.post("/trainers/misses/dismiss", data={"miss": "0" * 64})
    assert response.status == 403
    assert not ConsoleAudit(world["engine"]).subjects(("miss_dismissed",))


async def test_a_dismissed_miss_is_no_longer_listed_and_no_text_is_kept(world):
    browser = await signed_in(world, Role.TRAINER)
    page = await browser.get("/trainers/misses")
    assert "zxqv plork wibble" in page.text
    section = page.text.split("zxqv plork wibble")[0].rsplit('data-miss="', 1)[1]
    miss = section.split('"')[0]
    response = await browser.post(
        "/trainers/misses/dismiss", data={"csrf_token": csrf_in(page.text), "miss": miss}
    )
    assert response.status == 303
    after = await browser.get("/trainers/misses")
    assert "zxqv plork wibble" not in after.text.split("</h1>", 1)[1].split("Dismissed")[-1]
    assert REDACTED_TAP in visible(after.text)
    [entry] = [e for e in ConsoleAudit(world["engine"]).entries() if e.action == "miss_dismissed"]
    assert entry.subject == miss and "zxqv" not in json.dumps(entry.details)


async def test_an_example_already_in_the_training_data_is_not_listed(world):
    existing = read_blocks(repairs_file(world))[0][1][0]
    keys = keys_of(world["engine"].dialect)
    tracker = engine_for(f"sqlite:///{world['root'].parent / 'tracker.db'}")
    said(tracker, keys, existing.upper(), "nlu_fallback", [("nlu_fallback", 0.4), ("greet", 0.3)])
    browser = await signed_in(world, Role.TRAINER)
    page = await browser.get("/trainers/misses")
    assert existing.upper() not in page.text and "zxqv plork wibble" in page.text


# The report.


async def test_the_report_says_how_to_make_one_until_there_is_one(world):
    browser = await signed_in(world, Role.TRAINER)
    page = await browser.get("/trainers/report")
    assert page.status == 200 and "make nlu-report" in visible(page.text)
    assert (await browser.get("/trainers/report/confusion.png")).status == 404


async def test_the_report_and_its_picture_are_served_under_the_consoles_policy(world):
    folder = world["root"] / "results" / "nlu" / "report"
    folder.mkdir(parents=True)
    (folder / "index.html").write_text('<h1>NLU report</h1><img src="confusion.png" alt="m">')
    (folder / "confusion.png").write_bytes(PNG)
    (folder / "report.css").write_text("td { color: #1a1a1a; }")
    (folder / "report.json").write_text('{"secret": "not served"}')
    browser = await signed_in(world, Role.TRAINER)
    page = await browser.get("/trainers/report")
    assert page.status == 200 and "<h1>NLU report</h1>" in page.text
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy
    for path in ("/trainers/confusion.png", "/trainers/report/confusion.png"):
        picture = await browser.get(path)
        assert picture.status == 200 and picture.body == PNG
        assert picture.headers["content-type"] == "image/png"
    # Its style is a file beside it, since the policy refuses inline style.
    assert "style-src 'self'" in policy or "style-src" not in policy
    for path in ("/trainers/report.css", "/trainers/report/report.css"):
        css = await browser.get(path)
        assert css.status == 200 and css.text == "td { color: #1a1a1a; }"
        assert css.headers["content-type"].startswith("text/css")
    stranger = Browser(world["app"])
    assert (await stranger.get("/trainers/confusion.png")).status == 303
    assert (await stranger.get("/trainers/report.css")).status == 303


@pytest.mark.parametrize(
    "path",
    [
        "/trainers/report/report.json",
        "/trainers/report/../../config.yml",
        "/trainers/report/%2e%2e/%2e%2e/config.yml",
        "/trainers/report/..%2f..%2fdomain.yml",
        "/trainers/%2e%2e/domain.yml",
        "/trainers/report/index.html/../../../domain.yml",
    ],
)
async def test_no_other_file_is_served(world, path):
    folder = world["root"] / "results" / "nlu" / "report"
    folder.mkdir(parents=True)
    (folder / "index.html").write_text("<h1>NLU report</h1>")
    (folder / "report.json").write_text('{"secret": "not served"}')
    browser = await signed_in(world, Role.TRAINER)
    response = await browser.get(path)
    assert response.status in (403, 404)
    assert "not served" not in response.text and "intents:" not in response.text


async def test_a_report_that_is_a_link_out_of_its_folder_is_not_followed(world):
    folder = world["root"] / "results" / "nlu" / "report"
    folder.mkdir(parents=True)
    (folder / "confusion.png").symlink_to(world["root"] / "domain.yml")
    browser = await signed_in(world, Role.TRAINER)
    assert (await browser.get("/trainers/confusion.png")).status == 404
