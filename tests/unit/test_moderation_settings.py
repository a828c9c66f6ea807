"""The moderation part of association.yml: staff, own domains, strikes, P5/P8/P10 choices."""

from datetime import timedelta

import pytest
import yaml

from bot.association import ConfigError, load_association, parse_association
from bot.moderation import StaffMember
from bot.moderation.settings import parse_moderation
from tests.helpers import ROOT

RAW = yaml.safe_load((ROOT / "association.yml").read_text())


def test_the_shipped_settings():
    settings = load_association(ROOT / "association.yml").moderation
    assert StaffMember("Karen Holt", ("Kaz Holt",)) in settings.rules.staff
    assert "brookfieldhomes.example" in settings.rules.own_domains
    assert (settings.strikes.block_after, settings.strikes.within) == (3, timedelta(days=90))
    assert settings.delete_personal_details and settings.follow_to_receive_dms
    assert settings.comment_retention_months == 3


def test_without_a_moderation_part_the_website_is_still_the_associations_own():
    raw = {k: v for k, v in RAW.items() if k != "moderation"}
    settings = parse_association(raw).moderation
    assert settings.rules.own_domains == ("brookfieldhomes.example",)
    assert settings.rules.staff == () and settings.strikes.block_after == 3


def test_choices_can_be_turned_off():
    raw = {
        **RAW,
        "moderation": {
            "delete_personal_details": False,
            "follow_to_receive_dms": False,
            "strikes": {"block_after": 5, "within_days": 30},
        },
    }
    settings = parse_association(raw).moderation
    assert not settings.delete_personal_details and not settings.follow_to_receive_dms
    assert (settings.strikes.block_after, settings.strikes.within) == (5, timedelta(days=30))


@pytest.mark.parametrize(
    "moderation",
    [
        {"staff": [{"name": "Karen"}]},
        {"strikes": {"block_after": 0}},
        {"strikes": {"within_days": "soon"}},
        {"remove_public_comments_after_months": -1},
        ["not", "a", "mapping"],
    ],
)
def test_malformed_settings_are_refused_with_a_clear_message(moderation):
    with pytest.raises(ConfigError, match="moderation"):
        parse_association({**RAW, "moderation": moderation})


def test_known_bad_websites_are_read_from_the_file():
    settings = parse_moderation({"bad_domains": ["www.Malware.example"]}, "https://a.example")
    assert settings.rules.bad_domains == ("malware.example",)
