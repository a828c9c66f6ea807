"""One message, two teams: a repair and a complaint (report_repair+make_complaint).

The complaint goes to Customer Experience (P11) and the repair to Repairs, each as its
own handoff: neither swallows the other, an emergency does not move the complaint to
Repairs (P2), and a hand-back by one team leaves the tenant with people while the other
still owes them a reply (P3).
"""

import threading
from datetime import datetime, timedelta
from unittest.mock import patch

import pytest

from bot.events import InboundEvent, Platform, Surface
from bot.handoff.desk import StaffDesk
from bot.handoff.handoffs import Conversation, HandoffRepository, Priority, Reason, State
from bot.handoff.service import HandoffService
from bot.handoff.waiting import WaitingNotes
from bot.outbox import Outbox
from bot.store import connect
from tests.helpers import CALENDAR, TEAMS, UK

MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UK)
TENANT = Conversation("facebook-private-psid-1", "facebook", "private", "psid-1")


class FakeRasa:
    """Rasa's conversation endpoints as the desk calls them: paused or not."""

    def __init__(self):
        self.paused = {}

    def tracker(self, conversation_id):
        return {
            "sender_id": conversation_id,
            "events": [],
            "paused": self.paused.get(conversation_id),
        }

    def append(self, conversation_id, events):
        return self.tracker(conversation_id)

    def resume(self, conversation_id):
        self.paused[conversation_id] = False
        return self.tracker(conversation_id)


@pytest.fixture()
def world():
    engine = connect("sqlite://")
    rasa = FakeRasa()
    service = HandoffService(engine, CALENDAR, TEAMS)
    desk = StaffDesk(engine, Outbox(engine), rasa, TEAMS)
    return service, desk, rasa


def test_a_complaint_then_its_repair_request_go_to_two_teams(world):
    service, _, _ = world
    complaint = service.open(Reason.COMPLAINT, TENANT, MONDAY_NOON, words="nobody rang back")
    repair = service.open(Reason.REPAIR_REQUEST, TENANT, MONDAY_NOON, words="no heating")
    assert complaint.id != repair.id
    assert (complaint.team, repair.team) == ("Customer Experience", "Repairs")
    queued = {(h.reason, h.team) for h in service.repository.queue()}
    assert queued == {
        (Reason.COMPLAINT, "Customer Experience"),
        (Reason.REPAIR_REQUEST, "Repairs"),
    }


def test_an_emergency_after_a_complaint_is_its_own_and_the_complaint_stays(world):
    service, _, _ = world
    complaint = service.open(Reason.COMPLAINT, TENANT, MONDAY_NOON, words="you lazy lot")
    emergency = service.open(Reason.EMERGENCY, TENANT, MONDAY_NOON, words="water pouring in")
    assert emergency.id != complaint.id
    assert (emergency.team, emergency.priority) == ("Repairs", Priority.URGENT)
    kept = service.repository.get(complaint.id)
    assert (kept.reason, kept.team, kept.priority, kept.state) == (
        Reason.COMPLAINT,
        "Customer Experience",
        Priority.NORMAL,
        State.WAITING,
    )
    assert kept.summary.words == "you lazy lot"


def test_an_emergency_raises_the_repair_request_of_the_same_team(world):
    service, _, _ = world
    service.open(Reason.COMPLAINT, TENANT, MONDAY_NOON)
    repair = service.open(Reason.REPAIR_REQUEST, TENANT, MONDAY_NOON)
    raised = service.open(Reason.EMERGENCY, TENANT, MONDAY_NOON, words="now it's flooding")
    assert raised.id == repair.id
    assert (raised.team, raised.priority) == ("Repairs", Priority.URGENT)
    assert len(service.repository.queue()) == 2


def test_a_second_matter_for_the_same_team_joins_its_handoff(world):
    service, _, _ = world
    complaint = service.open(Reason.COMPLAINT, TENANT, MONDAY_NOON)
    again = service.open(Reason.COMPLAINT, TENANT, MONDAY_NOON)
    assert again.id == complaint.id


def test_a_request_for_a_person_joins_the_open_handoff_whatever_its_team(world):
    service, _, _ = world
    complaint = service.open(Reason.COMPLAINT, TENANT, MONDAY_NOON)
    person = service.open(Reason.REQUEST_HUMAN, TENANT, MONDAY_NOON)
    assert person.id == complaint.id
    assert service.repository.get(complaint.id).team == "Customer Experience"


def test_a_hand_back_by_one_team_leaves_the_tenant_with_the_other(world):
    service, desk, rasa = world
    complaint = service.open(Reason.COMPLAINT, TENANT, MONDAY_NOON)
    repair = service.open(Reason.REPAIR_REQUEST, TENANT, MONDAY_NOON)
    rasa.paused[TENANT.conversation_id] = True  # the repair's handoff paused it
    handed_back = desk.hand_back("Sam", complaint.id, MONDAY_NOON)
    assert handed_back.state is State.HANDED_BACK
    assert rasa.paused[TENANT.conversation_id] is True  # Repairs still owe a reply
    desk.close("Priya", repair.id, MONDAY_NOON)
    assert rasa.paused[TENANT.conversation_id] is False


def test_either_team_may_finish_first(world):
    service, desk, rasa = world
    complaint = service.open(Reason.COMPLAINT, TENANT, MONDAY_NOON)
    repair = service.open(Reason.REPAIR_REQUEST, TENANT, MONDAY_NOON)
    rasa.paused[TENANT.conversation_id] = True
    desk.hand_back("Priya", repair.id, MONDAY_NOON)
    assert rasa.paused[TENANT.conversation_id] is True  # Customer Experience still owe one
    desk.hand_back("Sam", complaint.id, MONDAY_NOON)
    assert rasa.paused[TENANT.conversation_id] is False


def test_a_compliment_passed_on_does_not_hold_the_tenant(world):
    service, desk, rasa = world
    service.open(Reason.COMPLIMENT, TENANT, MONDAY_NOON)
    person = service.open(Reason.REQUEST_HUMAN, TENANT, MONDAY_NOON)
    rasa.paused[TENANT.conversation_id] = True
    desk.hand_back("Sam", person.id, MONDAY_NOON)
    assert rasa.paused[TENANT.conversation_id] is False


def waiting_on(service):
    notes = WaitingNotes(service.repository._engine, Outbox(service.repository._engine), CALENDAR)
    return notes.handoff_for(TENANT.conversation_id)


def test_the_complaint_beside_a_repair_leaves_the_tenant_with_the_assistant_until_repairs_have_it(
    world,
):
    """The repair questions come after the complaint is passed on: the tenant's answers
    must reach the assistant, not wait for Customer Experience."""
    service, desk, rasa = world
    complaint = service.open(Reason.COMPLAINT, TENANT, MONDAY_NOON, holds_conversation=False)
    assert waiting_on(service) is None
    repair = service.open(Reason.REPAIR_REQUEST, TENANT, MONDAY_NOON + timedelta(minutes=4))
    assert waiting_on(service).id == repair.id
    rasa.paused[TENANT.conversation_id] = True
    # Now both teams have the tenant: Repairs finishing first leaves them with
    # Customer Experience, who still owe a reply.
    desk.hand_back("Priya", repair.id, MONDAY_NOON)
    assert rasa.paused[TENANT.conversation_id] is True
    assert waiting_on(service).id == complaint.id
    desk.hand_back("Sam", complaint.id, MONDAY_NOON)
    assert rasa.paused[TENANT.conversation_id] is False


def test_a_complaint_beside_a_repair_that_was_stopped_does_not_hold_a_hand_back(world):
    service, desk, rasa = world
    service.open(Reason.COMPLAINT, TENANT, MONDAY_NOON, holds_conversation=False)
    assert waiting_on(service) is None  # the repair questions were stopped: no pause
    person = service.open(Reason.REQUEST_HUMAN, TENANT, MONDAY_NOON)
    assert waiting_on(service) is not None
    rasa.paused[TENANT.conversation_id] = True
    desk.hand_back("Sam", person.id, MONDAY_NOON)
    # The request for a person joined the complaint's handoff: handed back, it is done.
    assert rasa.paused[TENANT.conversation_id] is False


def answer_in_full(service, handoff_id, at, staff="Cara"):
    """Staff's full reply to the handoff, sent: it is answered."""
    service.repository.move(handoff_id, State.TAKEN, at, staff=staff)
    service.repository.reply_sent(handoff_id, staff, at, holding=False)
    assert service.repository.get(handoff_id).state is State.ANSWERED


def test_a_new_complaint_after_the_full_answer_is_due_again_with_its_words(world):
    """A second complaint must not vanish into the answered handoff of the first."""
    service, _, _ = world
    first = service.open(
        Reason.COMPLAINT, TENANT, MONDAY_NOON, words="nobody rang back", holds_conversation=False
    )
    answer_in_full(service, first.id, MONDAY_NOON + timedelta(minutes=5))
    later = MONDAY_NOON + timedelta(days=2)
    second = service.open(Reason.COMPLAINT, TENANT, later, words="still nobody has rung")
    kept = service.repository.get(second.id)
    assert kept.state in (State.WAITING, State.TAKEN)
    assert kept.replied_at is None and kept.reply_by > later
    assert "still nobody has rung" in kept.summary.words
    assert "nobody rang back" in kept.summary.words
    assert second.reply_by == kept.reply_by  # what the tenant is told is what staff see
    assert second.id in {h.id for h in service.repository.queue() if h.due}


def test_the_tenants_reply_reaches_the_answered_complaint_beside_an_open_repair(world):
    """'That's not good enough' after Customer Experience's full reply makes the
    complaint due again, though Repairs' handoff is the newest."""
    service, _, _ = world
    complaint = service.open(Reason.COMPLAINT, TENANT, MONDAY_NOON, holds_conversation=False)
    repair = service.open(Reason.REPAIR_REQUEST, TENANT, MONDAY_NOON + timedelta(minutes=4))
    answer_in_full(service, complaint.id, MONDAY_NOON + timedelta(hours=1))
    engine = service.repository._engine
    notes = WaitingNotes(engine, Outbox(engine), CALENDAR)
    waiting = notes.handoff_for(TENANT.conversation_id)
    assert waiting is not None
    wrote = MONDAY_NOON + timedelta(hours=2)
    notes.note(tenant_message("that's not good enough", wrote), waiting, wrote)
    again = service.repository.get(complaint.id)
    assert again.replied_at is None and again.reply_by > wrote
    assert service.repository.get(repair.id).state is State.WAITING


def tenant_message(text, at):
    return InboundEvent(
        platform=Platform.FACEBOOK,
        kind="message",
        event_id=f"m-{at.timestamp()}",
        surface=Surface.PRIVATE,
        author_id="psid-1",
        text=text,
        sent_at=at,
    )


def test_two_hand_backs_at_the_same_moment_leave_the_tenant_with_the_assistant(tmp_path):
    """Both teams hand back at once, each seeing the other's handoff still open: the
    tenant must not stay paused with nothing open (run in two threads)."""
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    rasa = FakeRasa()
    service = HandoffService(engine, CALENDAR, TEAMS)
    desk = StaffDesk(engine, Outbox(engine), rasa, TEAMS)
    complaint = service.open(Reason.COMPLAINT, TENANT, MONDAY_NOON)
    repair = service.open(Reason.REPAIR_REQUEST, TENANT, MONDAY_NOON)
    rasa.paused[TENANT.conversation_id] = True
    # Both look at the tenant's open handoffs before either has moved its own.
    both_looked = threading.Barrier(2, timeout=1)
    looked = HandoffRepository.open_all_for

    def look_together(self, conversation_id):
        found = looked(self, conversation_id)
        try:
            both_looked.wait()
        except threading.BrokenBarrierError:
            pass
        return found

    errors = []

    def hand_back(staff, handoff_id):
        try:
            desk.hand_back(staff, handoff_id, MONDAY_NOON)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    with patch.object(HandoffRepository, "open_all_for", look_together):
        threads = [
            threading.Thread(target=hand_back, args=("Cara", complaint.id)),
            threading.Thread(target=hand_back, args=("Rob", repair.id)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    assert service.repository.open_all_for(TENANT.conversation_id) == []
    assert rasa.paused[TENANT.conversation_id] is False


def test_a_moderation_review_joins_the_open_handoff_as_before(world):
    """A block for staff to review is no matter the tenant waits on: as before two
    teams, it joins their open handoff, so once Repairs finish nothing holds them."""
    service, desk, rasa = world
    repair = service.open(Reason.REPAIR_REQUEST, TENANT, MONDAY_NOON)
    review = service.open(Reason.MODERATION_REVIEW, TENANT, MONDAY_NOON, words="abuse")
    assert review.id == repair.id
    assert len(service.repository.queue()) == 1
    rasa.paused[TENANT.conversation_id] = True
    desk.hand_back("Rob", repair.id, MONDAY_NOON)
    assert rasa.paused[TENANT.conversation_id] is False


def test_a_moderation_review_alone_is_its_own_handoff_as_before(world):
    service, _, _ = world
    review = service.open(Reason.MODERATION_REVIEW, TENANT, MONDAY_NOON)
    assert review.team == TEAMS.for_reason(Reason.MODERATION_REVIEW)
    assert [h.id for h in service.repository.queue()] == [review.id]


def test_single_intent_flows_join_the_open_handoff_as_before(world):
    """A request for a person, repeated fallbacks and a failed message join the open
    handoff; an emergency raises it (P2); a compliment is its own record (P11)."""
    service, _, _ = world
    repair = service.open(Reason.REPAIR_REQUEST, TENANT, MONDAY_NOON)
    for reason in (Reason.REQUEST_HUMAN, Reason.REPEATED_FALLBACK, Reason.PROCESSING_FAILED):
        assert service.open(reason, TENANT, MONDAY_NOON).id == repair.id
    raised = service.open(Reason.EMERGENCY, TENANT, MONDAY_NOON)
    assert (raised.id, raised.priority) == (repair.id, Priority.URGENT)
    compliment = service.open(Reason.COMPLIMENT, TENANT, MONDAY_NOON)
    assert compliment.id != repair.id
