"""End to end: a repair and a complaint in one message (P2, P3, P11).

Through the real servers with Messenger faked. The message with two needs is given its
intent through Rasa's API (a tenant cannot: the connectors drop "/intent" commands), so
that this holds whatever the model makes of the words (tests/stories/test_understanding.yml
holds the model to them): the complaint goes to Customer Experience at once and the
tenant is told by when; the repair questions, on Messenger, then reach the assistant
(nothing is paused for the complaint), and the repair, once verified, is a handoff of
its own for Repairs.
"""

import pytest
import requests

from bot.handoff.handoffs import HandoffRepository, Reason
from bot.store import connect
from bot.tenancy.records import TenancyRepository, load_tenancies
from tests.e2e.test_repair_triage import Tenant
from tests.helpers import DEMO_TENANCIES, TEST_WORK_FACTOR


@pytest.fixture(scope="module")
def running(platforms_running):
    assistant, platforms, _ = platforms_running
    engine = connect(assistant.extra_env["DATABASE_URL"], assistant.keys())
    load_tenancies(DEMO_TENANCIES, TenancyRepository(engine), work_factor=TEST_WORK_FACTOR)
    return assistant, platforms, engine


def test_the_complaint_goes_to_customer_experience_and_the_repair_to_repairs(running):
    assistant, platforms, engine = running
    tenant = Tenant(assistant, platforms)

    tenant.says("hi", "assistant")
    response = requests.post(
        f"{assistant.rasa_url}/conversations/{tenant.conversation}/trigger_intent",
        params={"token": assistant.api_token},
        json={"name": "report_repair+make_complaint"},
        timeout=60,
    )
    response.raise_for_status()
    told = " ".join(m.get("text") or "" for m in response.json()["messages"])
    assert "passed your complaint to our Customer Experience team" in told
    assert "aim to reply here by" in told and "is it an emergency" in told
    handoffs = HandoffRepository(engine)
    [complaint] = handoffs.open_all_for(tenant.conversation)
    assert (complaint.reason, complaint.team) == (Reason.COMPLAINT, "Customer Experience")

    # Not paused for the complaint: the repair questions are the assistant's.
    tenant.says("no", "What's wrong?")
    tenant.says("the radiators stay cold", "Where in your home")
    tenant.says("every room", "Since when")
    tenant.says("about three weeks", "anyone in your home vulnerable")
    tenant.says("no", "tenancy reference")
    tenant.says("TEN-204817", "full name")
    tenant.says("Margaret Thompson", "date of birth")
    told = tenant.says("12th April 1958", "aim to reply here by")
    assert "passed your repair to our Repairs team" in told

    found = {h.reason: h for h in handoffs.open_all_for(tenant.conversation)}
    assert set(found) == {Reason.COMPLAINT, Reason.REPAIR_REQUEST}
    assert found[Reason.COMPLAINT].id == complaint.id
    assert found[Reason.COMPLAINT].team == "Customer Experience"
    assert found[Reason.REPAIR_REQUEST].team == "Repairs"
    assert all(h.holds_conversation for h in found.values())
