"""End to end: a repair reported in private is triaged, not only linked (P2, P3, P4).

Through the real servers with Messenger faked: a leak, not an emergency, the four
questions, a photo, the security questions for a demo tenancy, then a repair request
on file and an open handoff for the Repairs team, and the tenant told when Repairs
aim to reply.
"""

import time
import uuid

import pytest

from bot.handoff.handoffs import HandoffRepository, Priority, Reason
from bot.repairs.requests import RepairRequests
from bot.store import connect
from bot.tenancy.answers import locator
from bot.tenancy.records import TenancyRepository, load_tenancies
from scripts.fake_platforms import facebook_webhook
from tests.e2e.platforms import PAGE, message, new_user, sent_to, to_facebook, wait_for
from tests.helpers import DEMO_TENANCIES, TEST_WORK_FACTOR


@pytest.fixture(scope="module")
def running(platforms_running):
    assistant, platforms, _ = platforms_running
    engine = connect(assistant.extra_env["DATABASE_URL"], assistant.keys())
    tenancies = TenancyRepository(engine)
    load_tenancies(DEMO_TENANCIES, tenancies, work_factor=TEST_WORK_FACTOR)
    return assistant, platforms, engine, tenancies


class Tenant:
    """A tenant writing to the page on Messenger, one message after the last reply."""

    def __init__(self, assistant, platforms):
        self.assistant, self.platforms = assistant, platforms
        self.user = new_user()
        self.conversation = f"facebook-private-{self.user}"

    def heard(self):
        return [
            ((call.body or {}).get("message") or {}).get("text") or ""
            for call in sent_to(self.platforms, self.user)
        ]

    def _send(self, item, expect):
        before = len(self.heard())
        to_facebook(self.assistant, facebook_webhook(PAGE, messaging=[item]))
        assert wait_for(lambda: expect in " ".join(self.heard()[before:]), 60), (
            expect,
            self.heard()[before:],
        )
        time.sleep(1)  # the rest of the replies to it
        return " ".join(self.heard()[before:])

    def says(self, text, expect):
        return self._send(message(self.user, text), expect)

    def sends_photo(self, expect):
        item = message(self.user, "")
        del item["message"]["text"]
        item["message"]["attachments"] = [
            {"type": "image", "payload": {"url": "https://example.invalid/leak.jpg"}}
        ]
        return self._send(item, expect)


def test_a_leak_reported_in_private_becomes_a_repair_request_for_repairs(running):
    assistant, platforms, engine, tenancies = running
    tenant = Tenant(assistant, platforms)

    tenant.says("my kitchen tap is leaking", "is it an emergency")
    tenant.says("no", "What's wrong?")
    tenant.says("the tap under the sink drips all the time", "Where in your home")
    tenant.sends_photo("you sent a photo")
    tenant.says("kitchen", "Since when")
    tenant.says("since Monday", "anyone in your home vulnerable")
    asked = tenant.says("yes", "tenancy reference")
    assert "Repairs team" in asked  # why the security questions come now
    tenant.says("TEN-204817", "full name")
    tenant.says("Margaret Thompson", "date of birth")
    told = tenant.says("12th April 1958", "aim to reply here by")

    # The tenant is told who takes it and when they aim to reply (P3).
    last = tenant.heard()[-2:]
    assert any("passed your repair to our Repairs team" in t for t in last), last
    assert any("someone in your home is vulnerable" in t for t in last), last
    handoffs = HandoffRepository(engine)
    handoff = handoffs.open_for(tenant.conversation)
    assert handoff is not None
    assert handoff.reason is Reason.REPAIR_REQUEST and handoff.team == "Repairs"
    assert handoff.priority is Priority.NORMAL
    details = handoff.summary.details
    assert details["what is wrong"] == "the tap under the sink drips all the time"
    assert details["where in the home"] == "kitchen" and details["since"] == "since Monday"
    assert details["vulnerable household"] == "yes"
    assert details["photos"] == "1 (photo)" and details["identity"] == "confirmed"

    tenancy = tenancies.find(locator("TEN-204817"))
    [request] = [
        r
        for r in RepairRequests(engine).for_tenancy(tenancy.id)
        if r.conversation_id == tenant.conversation
    ]
    assert request.handoff_id == handoff.id
    assert (request.what, request.where, request.since) == (
        "the tap under the sink drips all the time",
        "kitchen",
        "since Monday",
    )
    assert request.vulnerable and request.photos.count == 1
    assert details["repair request"] == request.id
    # Nothing of the security answers reaches what staff read first.
    assert "Margaret" not in str(handoff.summary) and "1958" not in str(handoff.summary)
    assert "aim to reply here by" in told


def test_stop_during_the_repair_questions_passes_nothing_on(running):
    assistant, platforms, engine, _ = running
    tenant = Tenant(assistant, platforms)
    tenant.says("the bathroom extractor fan doesnt work", "is it an emergency")
    tenant.says("no", "What's wrong?")
    tenant.says("fan is dead", "Where in your home")
    told = tenant.says("stop", "stopped the questions")
    assert "report a repair any time" in told
    assert HandoffRepository(engine).open_for(tenant.conversation) is None
    assert RepairRequests(engine).for_conversation(tenant.conversation) == []


def test_an_emergency_in_the_middle_of_the_questions_gets_the_contacts_at_once(running):
    assistant, platforms, engine, _ = running
    tenant = Tenant(assistant, platforms)
    tenant.says("theres a damp patch on my bathroom ceiling", "is it an emergency")
    tenant.says("no", "What's wrong?")
    told = tenant.says(
        f"water is pouring through the ceiling now {uuid.uuid4().hex[:4]}",
        "This sounds like an emergency",
    )
    assert "Where in your home" not in told
    handoff = HandoffRepository(engine).open_for(tenant.conversation)
    assert handoff.reason is Reason.EMERGENCY and handoff.priority is Priority.URGENT
    assert RepairRequests(engine).for_conversation(tenant.conversation) == []
