"""End to end: a handed-off conversation stays silent, keeps what the tenant writes,
and carries on with the assistant once staff hand it back (ConversationResumed)."""

import secrets
import uuid
from datetime import datetime, timezone

import pytest

from bot.association import load_association
from bot.channels.rest import rest_conversation_id
from bot.handoff.conversations import RasaConversations, RasaError
from bot.handoff.desk import StaffDesk
from bot.handoff.handoffs import HandoffRepository, Reason, State
from bot.outbox import Outbox
from bot.store import connect
from scripts.processes import send
from tests.helpers import ROOT, TEAMS, assistant_in, store_keys

ASSOCIATION = load_association(ROOT / "association.yml")


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("handoff")
    database_url = f"sqlite:///{tmp / 'assistant.db'}"
    token = secrets.token_urlsafe(16)
    assistant = assistant_in(tmp, api_token=token)
    with assistant:
        yield assistant, HandoffRepository(connect(database_url, store_keys())), token


def texts(replies):
    return "\n".join(r.get("text", "") for r in replies)


def test_a_paused_conversation_stays_silent_and_resumes(running):
    assistant, repository, token = running
    rasa = RasaConversations(assistant.rasa_url, token)
    tenant = f"tenant-{uuid.uuid4().hex[:8]}"

    told = texts(send(assistant.rasa_url, tenant, "can i speak to a real person please"))
    assert "passed your conversation" in told
    assert "reply here by" in told
    assert "{" not in told

    handoff = repository.open_for(rest_conversation_id(tenant))
    assert (handoff.reason, handoff.state) == (Reason.REQUEST_HUMAN, State.WAITING)

    # Paused: the assistant sends nothing, and what the tenant writes is kept for staff.
    assert send(assistant.rasa_url, tenant, "hello?? is anyone reading this") == []
    assert send(assistant.rasa_url, tenant, "my boiler is broken") == []
    tracker = rasa.tracker(rest_conversation_id(tenant))
    assert tracker["paused"] is True
    written = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert written[-2:] == ["hello?? is anyone reading this", "my boiler is broken"]

    engine = repository._engine
    desk = StaffDesk(engine, Outbox(engine), rasa, TEAMS)
    handed_back = desk.hand_back("Sam", handoff.id, datetime.now(timezone.utc))
    assert handed_back.state is State.HANDED_BACK
    assert rasa.tracker(rest_conversation_id(tenant))["paused"] is False

    assert ASSOCIATION.name in texts(send(assistant.rasa_url, tenant, "hello"))


def test_an_emergency_gives_the_contacts_first_then_an_urgent_handoff(running):
    assistant, repository, _ = running
    tenant = f"tenant-{uuid.uuid4().hex[:8]}"
    replies = send(assistant.rasa_url, tenant, "i can smell gas really strongly in my kitchen")
    assert all(c.number in replies[0]["text"] for c in ASSOCIATION.emergency_contacts)
    assert "urgent" in texts(replies[1:])
    assert repository.open_for(rest_conversation_id(tenant)).reason is Reason.EMERGENCY


def test_the_api_refuses_a_wrong_token(running):
    assistant, _, _ = running
    with pytest.raises(RasaError, match="401"):
        RasaConversations(assistant.rasa_url, "wrong-token").tracker("anyone")
