"""The console's Data protection page (P9), through Sanic's test client: admin exports
what is held about a tenant as a download and erases a conversation after confirming;
every other role gets 403; both actions are in the audit under the admin's name."""

import json

import pytest
from sqlalchemy import select

from bot.console.accounts import Role, StaffAccounts
from bot.console.app import create_app
from bot.console.tokens import load_tokens
from bot.handoff.desk import StaffDesk
from bot.outbox import Outbox
from bot.settings import Settings
from bot.store import console_audit, staff_sessions
from tests.helpers import ROOT, TEAMS
from tests.server.test_console_ops import PASSWORD, Browser, NoRasa
from tests.unit.test_subject_rights import (
    ADDRESS,
    DETAILS,
    NOW,
    PHONE,
    PRIVATE,
    PSID,
    a_conversation_everywhere,
    make_world,
)

STAFF = {
    "Ada": Role.ADMIN,
    "Cara": Role.COMMUNICATIONS,
    "Cyd": Role.CUSTOMER_EXPERIENCE,
    "Rhys": Role.REPAIRS,
    "Nia": Role.NEIGHBOURHOODS,
}


@pytest.fixture()
def world(tmp_path):
    world = make_world(tmp_path)
    engine = world["engine"]
    accounts = StaffAccounts(engine, work_factor=2**4)
    for name, role in STAFF.items():
        accounts.create(name, PASSWORD, role, NOW)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {world['files'][1]}\n"
    )
    settings = Settings(association_file=ROOT / "association.yml", endpoints_file=endpoints)
    world["app"] = create_app(
        StaffDesk(engine, Outbox(engine), NoRasa(), TEAMS),
        load_tokens("Sam:sam-token-0123456789abcdef", None),
        clock=lambda: NOW,
        name="console_data_protection_test",
        accounts=accounts,
        settings=settings,
    )
    a_conversation_everywhere(world)
    return world


async def signed_in(world, name="Ada"):
    browser = Browser(world["app"])
    await browser.sign_in(name)
    await browser.get("/data-protection")
    return browser


def audit(world):
    with world["engine"].connect() as connection:
        rows = connection.execute(select(console_audit).order_by(console_audit.c.id)).all()
    return [(row.staff, row.action) for row in rows if row.action not in ("login", "logout")]


async def test_admin_downloads_everything_held_about_an_account(world):
    browser = await signed_in(world)

    response = await browser.post("/data-protection/export", account=f"facebook:{PSID}")

    assert response.status == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["cache-control"] == "no-store"
    export = json.loads(response.body)
    [conversation] = export["conversations"]
    assert conversation["conversation_id"] == PRIVATE
    assert conversation["events"][0]["text"].startswith(f"my number is {PHONE}")
    assert conversation["outbox"][0]["text"] == f"We have {ADDRESS} on file"
    assert audit(world) == [("Ada", "subject_exported")]


async def test_an_unknown_tenancy_is_said_on_the_page(world):
    browser = await signed_in(world)

    response = await browser.post("/data-protection/export", tenancy="TEN-999999")

    assert response.status == 422
    assert "no tenancy has the reference TEN-999999" in response.text
    assert audit(world) == []


async def test_erasing_asks_to_confirm_first_then_erases_and_says_what_went(world):
    browser = await signed_in(world)

    asked = await browser.post("/data-protection/erase", conversation=PRIVATE)

    assert asked.status == 200 and f"Erase conversation {PRIVATE}?" in asked.text
    assert len(world["events"].events(PRIVATE)) == 2
    assert audit(world) == []

    done = await browser.post("/data-protection/erase", conversation=PRIVATE, confirm="yes")

    assert done.status == 303 and done.headers["location"] == "/data-protection"
    assert world["events"].events(PRIVATE) == []
    # The message waiting for the next page is stored: it must not name what was erased.
    with world["engine"].connect() as connection:
        flashes = connection.execute(select(staff_sessions.c.flash)).scalars().all()
    assert not any(PRIVATE in (flash or "") or PSID in (flash or "") for flash in flashes)
    page = await browser.get("/data-protection")
    assert "Conversation erased" in page.text and "tracker events 2" in page.text
    assert PSID not in page.text
    assert not any(detail in page.text for detail in DETAILS)
    assert audit(world) == [("Ada", "conversation_erased")]


async def test_a_form_without_its_csrf_token_is_refused(world):
    browser = await signed_in(world)

    refused = await browser.post(
        "/data-protection/erase", csrf=False, conversation=PRIVATE, confirm="yes"
    )

    assert refused.status == 403
    assert len(world["events"].events(PRIVATE)) == 2


@pytest.mark.parametrize("name", [n for n, role in STAFF.items() if role is not Role.ADMIN])
async def test_every_other_role_is_refused(world, name):
    browser = await signed_in(world, name)

    page = await browser.get("/data-protection")
    exported = await browser.post("/data-protection/export", account=f"facebook:{PSID}")
    erased = await browser.post("/data-protection/erase", conversation=PRIVATE, confirm="yes")

    assert (page.status, exported.status, erased.status) == (403, 403, 403)
    assert PHONE not in exported.text
    assert len(world["events"].events(PRIVATE)) == 2
    assert audit(world) == []
    assert "/data-protection" not in (await browser.get("/queue")).text


async def test_admin_sees_the_page_in_the_menu(world):
    browser = await signed_in(world)

    page = await browser.get("/queue")

    assert 'href="/data-protection"' in page.text
