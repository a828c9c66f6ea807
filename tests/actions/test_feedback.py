"""What the assistant says it passes on, it passes on: compliments and antisocial
behaviour (P6, P11); and a tenant who asks how to get involved is offered the survey
Communications invite tenants to, while it is open."""

from datetime import datetime, timedelta

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.feedback import ActionOfferSurveys, ActionRecordCompliment
from actions.handoff import ActionHandOffComplaint, ActionHandOffRequestHuman
from actions.neighbourhood import ActionHandOffAntisocialBehaviour
from bot.association import load_association
from bot.feedback.invitations import Invitation, Invitations
from bot.handoff.handoffs import Priority, Reason, State
from bot.handoff.service import HandoffService
from bot.store import connect
from tests.helpers import CALENDAR, ROOT, TEAMS, UK, domain, make_tracker

MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UK)
ASSOCIATION = load_association(ROOT / "association.yml")
PRIVATE = {"platform": "facebook", "surface": "private", "author_id": "psid-7"}


@pytest.fixture()
def service():
    return HandoffService(connect("sqlite://"), CALENDAR, TEAMS)


def compliment(service):
    return ActionRecordCompliment(
        service=service, association=ASSOCIATION, clock=lambda: MONDAY_NOON
    )


async def run(action, **tracker_args):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, make_tracker(**tracker_args), domain())
    return events, dispatcher


@pytest.mark.parametrize(
    ("text", "about"),
    [
        ("Karen Holt sorted my boiler so quickly, please thank her", "Karen Holt"),
        ("the repairs team were brilliant", "Repairs"),
        ("thank you all so much", "not named"),
    ],
)
async def test_a_compliment_goes_to_customer_experience_with_who_it_is_about(service, text, about):
    events, _ = await run(
        compliment(service),
        text=text,
        intent="give_compliment",
        metadata=PRIVATE,
        sender_id="facebook-private-psid-7",
    )
    [handoff] = service.repository.queue()
    assert handoff.reason is Reason.COMPLIMENT
    assert handoff.team == "Customer Experience"
    assert (handoff.priority, handoff.needs_reply) == (Priority.LOW, False)
    assert handoff.summary.details["about"] == about
    assert handoff.summary.words == text
    assert handoff.conversation.conversation_id == "facebook-private-psid-7"
    # P11: no reply is needed, so the assistant carries on: nothing pauses it.
    assert not [e for e in events if e["event"] == "pause"]


async def test_a_compliment_with_personal_details_is_passed_on_redacted(service):
    await run(
        compliment(service),
        text="Dave the plumber was great, call me on 07700 900123 to say thanks",
        intent="give_compliment",
    )
    [handoff] = service.repository.queue()
    assert "07700" not in handoff.summary.words
    assert handoff.summary.details["about"] == "Dave Price"


async def test_a_compliment_in_public_is_recorded_too(service):
    public = {"platform": "facebook", "surface": "public", "author_id": "u-9", "comment_id": "c1"}
    await run(
        compliment(service),
        text="Amara Nwosu was so kind",
        intent="give_compliment",
        metadata=public,
        sender_id="facebook-public-u-9",
    )
    [handoff] = service.repository.queue()
    assert handoff.conversation.surface.value == "public"
    assert handoff.summary.details["about"] == "Amara Nwosu"


async def test_a_tenant_waiting_for_a_person_still_has_their_compliment_recorded(service):
    clock = lambda: MONDAY_NOON  # noqa: E731
    await run(ActionHandOffRequestHuman(service=service, clock=clock), intent="request_human")
    await run(compliment(service), text="Karen Holt was lovely", intent="give_compliment")
    reasons = sorted(h.reason.value for h in service.repository.queue())
    assert reasons == ["compliment", "request_human"]


async def test_a_complaint_after_a_compliment_gets_a_reply_by_time_of_its_own(service):
    """A compliment needs no reply: a complaint after it is not folded into it."""
    clock = lambda: MONDAY_NOON  # noqa: E731
    await run(compliment(service), text="Karen Holt was lovely", intent="give_compliment")
    events, _ = await run(
        ActionHandOffComplaint(service=service, clock=clock), intent="make_complaint"
    )
    complaint = service.repository.open_for("tenant-1")
    assert complaint.reason is Reason.COMPLAINT
    assert (complaint.priority, complaint.needs_reply) == (Priority.NORMAL, True)
    assert complaint.state is State.WAITING


async def test_the_tenants_account_of_antisocial_behaviour_goes_to_neighbourhoods(service):
    account = (
        "the man at 14 Elm Road has been shouting at my kids every night since "
        "Monday, call me on 07700 900123"
    )
    action = ActionHandOffAntisocialBehaviour(service=service, clock=lambda: MONDAY_NOON)
    events, _ = await run(
        action,
        text=account,
        intent="report_antisocial_behaviour",
        slots={"antisocial_behaviour_account": account},
        metadata=PRIVATE,
        sender_id="facebook-private-psid-7",
    )
    [handoff] = service.repository.queue()
    assert (handoff.reason, handoff.team) == (Reason.ANTISOCIAL_BEHAVIOUR, "Neighbourhoods")
    assert "shouting at my kids every night since" in handoff.summary.words
    assert "07700" not in handoff.summary.words and "14 Elm Road" not in handoff.summary.words
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    # P3: the tenant is told when Neighbourhoods aim to reply.
    assert slots["handoff_team"] == "Neighbourhoods"
    assert slots["handoff_reply_by"] == "4pm"
    assert slots["handoff_case"] == "in_hours"


def invitation(closes, published=MONDAY_NOON - timedelta(days=3)):
    return Invitation(
        id=f"inv-{closes:%d%H}",
        title="our repairs service",
        url="https://forms.example/repairs-2026",
        closes_at=closes,
        created_by="comms@example.org",
        created_at=published,
    )


def offer(invitations, now=MONDAY_NOON):
    return ActionOfferSurveys(invitations=invitations, calendar=CALENDAR, clock=lambda: now)


async def test_a_tenant_asking_how_to_get_involved_is_offered_the_open_survey():
    invitations = Invitations(connect("sqlite://"))
    invitations.add(invitation(MONDAY_NOON + timedelta(days=10)))
    _, dispatcher = await run(
        offer(invitations), text="how do i join the residents panel", metadata=PRIVATE
    )
    [said] = dispatcher.messages
    assert said["text"] == (
        "We're also asking tenants about our repairs service, until 3 December: "
        "https://forms.example/repairs-2026"
    )


@pytest.mark.parametrize(
    ("closes", "metadata"),
    [
        (MONDAY_NOON - timedelta(hours=1), PRIVATE),  # closed already
        (MONDAY_NOON + timedelta(days=10), {**PRIVATE, "surface": "public"}),  # in public
    ],
)
async def test_no_survey_is_offered_once_closed_nor_in_public(closes, metadata):
    invitations = Invitations(connect("sqlite://"))
    invitations.add(invitation(closes))
    _, dispatcher = await run(offer(invitations), text="how can i have my say", metadata=metadata)
    assert dispatcher.messages == []


async def test_with_no_survey_open_the_answer_stands_alone():
    _, dispatcher = await run(
        offer(Invitations(connect("sqlite://"))), text="how can i have my say", metadata=PRIVATE
    )
    assert dispatcher.messages == []
