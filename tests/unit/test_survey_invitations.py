"""Survey invitations (P11): what may be published, when one is open, and the sentence
that invites a tenant."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.feedback.invitations import (
    InvalidInvitation,
    Invitation,
    Invitations,
    invited,
)
from bot.store import connect
from tests.helpers import CALENDAR, store_keys

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def invitation(**changes):
    values = {
        "id": "i-1",
        "title": "our new repairs service",
        "url": "https://www.brookfieldhomes.example/have-your-say",
        "closes_at": datetime(2026, 12, 18, 23, 59, tzinfo=timezone.utc),
        "created_by": "Cara",
        "created_at": NOW,
    }
    return Invitation(**{**values, **changes})


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"title": ""}, "title"),
        ({"url": "http://www.example.com/survey"}, "https://"),
        ({"url": "javascript:alert(1)"}, "https://"),
        ({"closes_at": NOW - timedelta(days=1)}, "close after"),
    ],
)
def test_an_invitation_that_cannot_be_offered_is_refused(changes, problem):
    with pytest.raises(InvalidInvitation, match=problem):
        invitation(**changes)


def test_open_until_it_closes_or_is_closed_and_the_sentence_that_invites(tmp_path):
    store = Invitations(connect(f"sqlite:///{tmp_path / 's.db'}", store_keys()))
    store.add(invitation())
    store.add(invitation(id="i-2", title="older", created_at=NOW - timedelta(days=2)))
    assert [i.id for i in store.open(NOW)] == ["i-1", "i-2"]
    assert store.open(datetime(2026, 12, 19, tzinfo=timezone.utc)) == []
    assert store.close("i-2", NOW + timedelta(hours=1))
    assert not store.close("i-2", NOW + timedelta(hours=2))  # closed once
    assert [i.id for i in store.open(NOW + timedelta(hours=1))] == ["i-1"]
    said = invited(store.open(NOW)[0], CALENDAR.zone)
    assert said == (
        "We're also asking tenants about our new repairs service, until 18 December: "
        "https://www.brookfieldhomes.example/have-your-say"
    )
