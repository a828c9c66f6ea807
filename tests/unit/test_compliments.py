"""Who a compliment is about: a member of staff, a team, or nobody named (P11)."""

import pytest

from bot.feedback.compliments import NOT_NAMED, compliment_about
from bot.moderation import StaffMember

STAFF = (
    StaffMember("Karen Holt", ("Kaz Holt",)),
    StaffMember("Dave Price"),
    StaffMember("Amara Nwosu"),
)
TEAMS = ("Communications", "Customer Experience", "Repairs", "Neighbourhoods")


@pytest.mark.parametrize(
    ("text", "about"),
    [
        ("Karen Holt sorted my boiler out so quickly, please thank her", "Karen Holt"),
        ("kaz holt was lovely on the phone", "Karen Holt"),
        ("Dave the plumber was brilliant", "Dave Price"),
        ("KAREN HOLT and Amara Nwosu were both great", "Karen Holt, Amara Nwosu"),
        ("the repairs team were brilliant yesterday", "Repairs"),
        ("the repair man was so polite", "Repairs"),
        ("your neighbourhood officer really helped us", "Neighbourhoods"),
        ("Dave Price from repairs was fab", "Dave Price (Repairs)"),
        ("thank you so much, you are all stars", NOT_NAMED),
        ("great service as always", NOT_NAMED),
    ],
)
def test_the_person_or_team_a_compliment_is_about(text, about):
    assert compliment_about(text, STAFF, TEAMS) == about


def test_a_tenant_who_shares_a_first_name_is_not_staff():
    assert compliment_about("hi I'm Dave, just wanted to say thanks", STAFF, TEAMS) == NOT_NAMED


def test_with_no_staff_or_teams_configured_nobody_is_named():
    assert compliment_about("Karen Holt was great", (), ()) == NOT_NAMED
