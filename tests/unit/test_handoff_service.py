"""Opening handoffs: teams from configuration, a summary for staff, listeners told."""

from datetime import datetime

import pytest
from sqlalchemy import create_engine

from bot.association import TeamConfig, load_association
from bot.handoff.handoffs import Conversation, Priority, Reason, Teams, TeamsError
from bot.handoff.service import HandoffListener, HandoffService
from bot.store import connect
from tests.helpers import CALENDAR, ROOT, TEAMS, UK

MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UK)
TENANT = Conversation("facebook-private-psid-1", "facebook", "private", "psid-1")


class Recorder(HandoffListener):
    def __init__(self):
        self.told = []

    def opened(self, handoff, now):
        self.told.append(("opened", handoff.id, handoff.priority))

    def raised(self, handoff, now):
        self.told.append(("raised", handoff.id, handoff.priority))


@pytest.fixture()
def listener():
    return Recorder()


@pytest.fixture()
def service(listener):
    return HandoffService(connect("sqlite://"), CALENDAR, TEAMS, listeners=[listener])


@pytest.mark.parametrize(
    ("reason", "team", "priority", "needs_reply"),
    [
        (Reason.EMERGENCY, "Repairs", Priority.URGENT, True),
        (Reason.REPAIR_REQUEST, "Repairs", Priority.NORMAL, True),
        (Reason.COMPLIMENT, "Customer Experience", Priority.LOW, False),
        (Reason.STAFF_NAMED, "Customer Experience", Priority.NORMAL, True),
        (Reason.ANTISOCIAL_BEHAVIOUR, "Neighbourhoods", Priority.NORMAL, True),
        (Reason.REQUEST_HUMAN, "Communications", Priority.NORMAL, True),
        (Reason.COMPLAINT, "Customer Experience", Priority.NORMAL, True),
    ],
)
def test_each_reason_goes_to_its_configured_team(service, reason, team, priority, needs_reply):
    handoff = service.open(reason, TENANT, MONDAY_NOON)
    assert (handoff.team, handoff.priority, handoff.needs_reply) == (team, priority, needs_reply)
    assert service.repository.get(handoff.id) == handoff


def test_staff_read_a_summary_with_personal_details_redacted(service):
    handoff = service.open(
        Reason.REQUEST_HUMAN,
        TENANT,
        MONDAY_NOON,
        intent="request_human",
        words="call me on 07700 900123 about TEN-204817 please",
        details={"room": "kitchen"},
    )
    summary = service.repository.get(handoff.id).summary
    assert (summary.reason, summary.intent) == ("request_human", "request_human")
    assert "07700" not in summary.words and "204817" not in summary.words
    assert summary.words == "call me on [phone] about [tenancy_reference] please"
    assert summary.details == {"room": "kitchen"}


def test_listeners_are_told_of_a_new_handoff_once(service, listener):
    first = service.open(Reason.REQUEST_HUMAN, TENANT, MONDAY_NOON)
    again = service.open(Reason.REPEATED_FALLBACK, TENANT, MONDAY_NOON)
    assert again.id == first.id
    assert listener.told == [("opened", first.id, Priority.NORMAL)]


def test_a_complaint_while_waiting_for_a_person_reaches_customer_experience(service, listener):
    """P11: a complaint joins no other team's handoff, where Customer Experience
    would never see it."""
    first = service.open(Reason.REQUEST_HUMAN, TENANT, MONDAY_NOON)
    complaint = service.open(Reason.COMPLAINT, TENANT, MONDAY_NOON)
    assert complaint.id != first.id and complaint.team == "Customer Experience"
    assert listener.told[-1] == ("opened", complaint.id, Priority.NORMAL)


def test_an_emergency_raises_the_open_handoff_and_says_so(service, listener):
    first = service.open(Reason.REQUEST_HUMAN, TENANT, MONDAY_NOON, words="hello")
    raised = service.open(Reason.EMERGENCY, TENANT, MONDAY_NOON, words="water pouring in")
    assert raised.id == first.id
    assert (raised.team, raised.priority) == ("Repairs", Priority.URGENT)
    assert raised.summary.words == "water pouring in"
    assert listener.told[-1] == ("raised", first.id, Priority.URGENT)


def test_the_project_configuration_gives_every_reason_a_team():
    teams = Teams.from_config(load_association(ROOT / "association.yml").teams)
    assert set(teams.names) == {
        "Communications",
        "Customer Experience",
        "Repairs",
        "Neighbourhoods",
    }
    assert set(teams.by_reason) == set(Reason)


@pytest.mark.parametrize(
    ("teams", "message"),
    [
        ((TeamConfig("Repairs", ("emergency",)),), "no team takes"),
        ((TeamConfig("Repairs", ("flood",)),), "unknown reason 'flood'"),
        (
            (
                TeamConfig("Repairs", tuple(r.value for r in Reason)),
                TeamConfig("Neighbourhoods", ("antisocial_behaviour",)),
            ),
            "taken by both",
        ),
    ],
)
def test_a_teams_configuration_that_loses_a_reason_is_refused(teams, message):
    with pytest.raises(TeamsError, match=message):
        Teams.from_config(teams)


def test_an_older_store_gains_the_new_columns_and_keeps_its_handoffs(tmp_path):
    """A store made before summaries keeps its rows; they read as needing a reply."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    with old.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE handoffs (id VARCHAR(36) PRIMARY KEY, conversation_id VARCHAR(255),"
            " platform VARCHAR(32), platform_user_id VARCHAR(255), surface VARCHAR(16),"
            " reason VARCHAR(64), team VARCHAR(64), priority VARCHAR(16), state VARCHAR(16),"
            " created_at DATETIME, acknowledge_by DATETIME, reply_by DATETIME,"
            " updated_at DATETIME)"
        )
        connection.exec_driver_sql(
            "INSERT INTO handoffs VALUES ('h1', 'c1', 'facebook', 'p1', 'private',"
            " 'complaint', 'Customer Experience', 'normal', 'waiting', '2026-11-23 10:00:00',"
            " '2026-11-23 12:00:00', '2026-11-23 14:00:00', '2026-11-23 10:00:00')"
        )
    service = HandoffService(connect(url), CALENDAR, TEAMS)
    [handoff] = service.repository.queue()
    assert (handoff.id, handoff.needs_reply, handoff.summary) == ("h1", True, None)
    assert handoff.acknowledged_at is None
