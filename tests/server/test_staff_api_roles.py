"""The staff API acts with the role of the console account a token's name belongs to:
its team's handoffs only (admin every team), and nothing once the account is disabled.
A token whose name has no console account is a service token and sees every team."""

import pytest

from bot.console.accounts import Role, StaffAccounts
from bot.console.app import create_app
from bot.console.tokens import load_tokens
from bot.handoff.desk import StaffDesk
from bot.handoff.service import HandoffService
from bot.outbox import Outbox
from bot.store import connect
from tests.helpers import CALENDAR, TEAMS
from tests.server.test_staff_api import NOW, Clock, FakeRasa, messenger_tenant

PASSWORD = "a long password"
TOKENS = {
    "ann": "ann-token-0123456789abcdef",  # admin
    "ola": "ola-token-0123456789abcdef",  # the handoff's team
    "rex": "rex-token-0123456789abcdef",  # another team
    "svc": "svc-token-0123456789abcdef",  # no console account: a service token
}


def role_of_team(team):
    return next(role for role in Role if role.team == team)


def other_role(team):
    return next(role for role in Role if role.team not in (None, team))


@pytest.fixture()
def world(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    rasa, outbox = FakeRasa(), Outbox(engine)
    desk = StaffDesk(engine, outbox, rasa, TEAMS)
    accounts = StaffAccounts(engine, work_factor=2**4)
    tokens = load_tokens(
        f"Ann:{TOKENS['ann']},Ola:{TOKENS['ola']},Rex:{TOKENS['rex']},Deploy bot:{TOKENS['svc']}",
        None,
    )
    app = create_app(desk, tokens, clock=Clock(NOW), name="api_roles", accounts=accounts)
    world = {
        "app": app,
        "rasa": rasa,
        "outbox": outbox,
        "service": HandoffService(engine, CALENDAR, TEAMS),
        "accounts": accounts,
    }
    handoff = messenger_tenant(world)
    accounts.create("Ann", PASSWORD, Role.ADMIN, NOW)
    accounts.create("Ola", PASSWORD, role_of_team(handoff.team), NOW)
    accounts.create("Rex", PASSWORD, other_role(handoff.team), NOW)
    world["handoff"] = handoff
    return world


async def call(world, method, path, who, **kwargs):
    headers = {"Authorization": f"Bearer {TOKENS[who]}"}
    _, response = await getattr(world["app"].asgi_client, method)(path, headers=headers, **kwargs)
    return response


def actions(handoff_id):
    return [
        ("get", f"/api/handoffs/{handoff_id}", None),
        ("get", f"/api/handoffs/{handoff_id}/thread?unmask=1", None),
        ("post", f"/api/handoffs/{handoff_id}/take", None),
        ("post", f"/api/handoffs/{handoff_id}/reply", {"text": "hello from another team"}),
        ("post", f"/api/handoffs/{handoff_id}/transfer", {"team": "Repairs"}),
        ("post", f"/api/handoffs/{handoff_id}/hand-back", None),
        ("post", f"/api/handoffs/{handoff_id}/close", None),
    ]


async def test_another_teams_token_neither_sees_nor_acts_on_a_handoff(world):
    handoff = world["handoff"]
    for method, path, body in actions(handoff.id):
        extra = {"json": body} if body is not None else {}
        response = await call(world, method, path, "rex", **extra)
        assert response.status == 403, path
        assert "team" in response.json["error"]
    listed = await call(world, "get", "/api/handoffs", "rex")
    assert listed.status == 200 and listed.json["handoffs"] == []
    assert world["outbox"].messages() == []
    unchanged = await call(world, "get", f"/api/handoffs/{handoff.id}", "ola")
    assert unchanged.json["state"] == handoff.state.value
    assert unchanged.json["team"] == handoff.team


async def test_the_handoffs_team_admin_and_a_service_token_see_it(world):
    handoff = world["handoff"]
    for who in ("ola", "ann", "svc"):
        listed = await call(world, "get", "/api/handoffs", who)
        assert [h["id"] for h in listed.json["handoffs"]] == [handoff.id], who
        thread = await call(world, "get", f"/api/handoffs/{handoff.id}/thread", who)
        assert thread.status == 200, who
    taken = await call(world, "post", f"/api/handoffs/{handoff.id}/take", "ola")
    assert taken.status == 200 and taken.json["taken_by"] == "Ola"
    closed = await call(world, "post", f"/api/handoffs/{handoff.id}/close", "ann")
    assert closed.status == 200 and closed.json["state"] == "closed"


async def test_a_disabled_accounts_token_is_refused(world):
    world["accounts"].disable("Ola")
    for method, path, body in [("get", "/api/handoffs", None), *actions(world["handoff"].id)]:
        extra = {"json": body} if body is not None else {}
        response = await call(world, method, path, "ola", **extra)
        assert response.status == 401, path
    world["accounts"].enable("Ola")
    assert (await call(world, "get", "/api/handoffs", "ola")).status == 200
