"""Reading the answers to the repair questions, and what staff read of a request."""

from datetime import datetime, timezone

import pytest

from bot.repairs import triage
from bot.repairs.requests import new_request
from bot.repairs.triage import Photos


@pytest.mark.parametrize(
    "text, said",
    [
        ("no", False),
        ("Nope", False),
        ("nobody", False),
        ("no one here", False),
        ("just me", False),
        ("I don't think so", False),
        ("yes", True),
        ("yeah my son", True),
        ("my daughter is disabled", True),
        ("we have a newborn baby", True),
        ("my dad, he's 82", True),
        ("a 3 year old", True),
        ("my partner is pregnant", True),
        ("hmm", None),
        ("", None),
        ("what do you mean", None),
    ],
)
def test_the_vulnerability_answer_is_read_as_yes_or_no_or_asked_again(text, said):
    assert triage.vulnerable(text) is said


def test_an_unclear_reply_is_settled_by_its_intent():
    assert triage.vulnerable("sort of", "affirm") is True
    assert triage.vulnerable("not at the moment", "deny") is False


@pytest.mark.parametrize(
    "text, stop",
    [
        ("stop", True),
        ("STOP please", True),
        ("never mind", True),
        ("forget it", True),
        ("cancel it", True),
        ("the tap won't stop dripping", False),
        ("it never stops", False),
        ("kitchen", False),
    ],
)
def test_only_a_reply_that_is_a_stop_ends_the_questions(text, stop):
    assert triage.is_stop(text) is stop


def test_photos_are_counted_by_kind_and_nothing_else_is_kept():
    photos = Photos().add("photo").add("photo").add(None)
    assert photos.as_dict() == {"count": 3, "kinds": ["photo", "attachment"]}
    assert Photos.from_dict(photos.as_dict()) == photos
    assert Photos.from_dict("3 photos") == Photos()
    assert photos.describe() == "3 (photo, attachment)" and Photos().describe() == "none"


def test_what_staff_read_is_redacted_and_says_nothing_of_who_is_vulnerable():
    request = new_request(
        "facebook-private-1",
        None,
        what="leak, ring me on 07700 900123",
        where="flat 4, 12 High Street",
        since="since 01/11/2026",
        vulnerable=True,
        photos=Photos(1, ("photo",)),
        now=datetime(2026, 11, 23, 10, tzinfo=timezone.utc),
    )
    details = request.details()
    assert "07700" not in details["what is wrong"]
    assert "High Street" not in details["where in the home"]
    assert details["vulnerable household"] == "yes"
    assert details["identity"] == "not confirmed"
    assert details["repair request"] == request.id
