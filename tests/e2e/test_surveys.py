"""End to end: the question after a conversation (P11). Staff close a tenant's handoff
through the staff API; the tenant is asked one question in Messenger; their rating of 1
with words raises a low-priority handoff for Customer Experience. A tenant who asks how
to get involved is told where, and offered the survey Communications have open."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.association import load_association
from bot.feedback.invitations import Invitation, Invitations, invited
from bot.feedback.surveys import QUESTION, THANKS_PASSED_ON
from bot.store import connect
from scripts.fake_platforms import facebook_webhook
from tests.e2e.platforms import PAGE, message, new_user, sent_to, to_facebook, wait_for
from tests.e2e.test_staff_api import api, handoff_of, texts_to
from tests.helpers import ROOT, UK

ASSOCIATION = load_association(ROOT / "association.yml")


@pytest.fixture
def running(platforms_running):
    return platforms_running


def handoffs_of(assistant, conversation_id):
    _, listed = api(assistant, "GET", "/api/handoffs")
    return [h for h in listed["handoffs"] if h["conversation_id"] == conversation_id]


def test_a_closed_handoff_leads_to_one_question_and_a_low_rating_to_customer_experience(
    running,
):
    assistant, platforms, _ = running
    psid = new_user()
    conversation_id = f"facebook-private-{psid}"
    to_facebook(
        assistant, facebook_webhook(PAGE, messaging=[message(psid, "can i speak to a real person")])
    )
    assert wait_for(lambda: handoff_of(assistant, conversation_id) is not None, 60)
    handoff = handoff_of(assistant, conversation_id)
    path = f"/api/handoffs/{handoff['id']}"
    assert api(assistant, "POST", f"{path}/take")[0] == 200
    assert api(assistant, "POST", f"{path}/reply", {"text": "Sorted, all done."})[0] == 200
    status, closed = api(assistant, "POST", f"{path}/close")
    assert (status, closed["state"]) == (200, "closed")

    # The Rasa server looks for closed handoffs every minute, and at once on start-up.
    assert wait_for(lambda: QUESTION in texts_to(platforms, psid), 90), texts_to(platforms, psid)
    asked = len(sent_to(platforms, psid))

    to_facebook(
        assistant,
        facebook_webhook(PAGE, messaging=[message(psid, "1 nobody ever rang me back")]),
    )
    assert wait_for(lambda: THANKS_PASSED_ON in texts_to(platforms, psid), 60)
    [low] = [h for h in handoffs_of(assistant, conversation_id) if h["reason"] == "low_rating"]
    assert (low["team"], low["priority"]) == ("Customer Experience", "low")
    assert low["summary"]["words"] == "nobody ever rang me back"
    # One question, one thanks: nothing else was said.
    assert texts_to(platforms, psid).count(QUESTION) == 1
    assert len(sent_to(platforms, psid)) == asked + 1


def test_a_tenant_asking_how_to_get_involved_hears_where_and_is_offered_the_open_survey(
    running,
):
    assistant, platforms, _ = running
    now = datetime.now(timezone.utc)
    invitations = Invitations(connect(assistant.extra_env["DATABASE_URL"], assistant.keys()))
    survey = invitations.add(
        Invitation(
            id=f"e2e-{new_user()}",
            title="our new repairs service",
            url="https://forms.example/repairs-survey",
            closes_at=now + timedelta(days=7),
            created_by="comms@example.org",
            created_at=now - timedelta(minutes=1),
        )
    )
    try:
        psid = new_user()
        to_facebook(
            assistant,
            facebook_webhook(
                PAGE,
                messaging=[
                    message(psid, "interested in being a tenant volunteer, how do i sign up")
                ],
            ),
        )
        offered = invited(survey, UK)
        assert wait_for(lambda: offered in texts_to(platforms, psid), 60), texts_to(platforms, psid)
        page = ASSOCIATION.pages["get_involved"]
        assert any(page in text for text in texts_to(platforms, psid))
    finally:
        invitations.close(survey.id, datetime.now(timezone.utc))
