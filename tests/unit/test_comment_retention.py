"""P10 on every platform that allows deleting comments: Facebook, Instagram and LinkedIn
keep their public comments for the months association.yml sets (one period for all,
or a platform's own), then ask for each one's deletion once; YouTube, where another's
comment cannot be deleted, keeps none."""

from datetime import datetime, timedelta

import pytest

from bot.association import load_association
from bot.events import InboundEvent, Operation, Platform, Surface
from bot.handoff.working_hours import WorkingCalendar
from bot.moderation.log import Action
from bot.moderation.settings import ModerationConfigError, parse_moderation
from bot.outbox import Author, Outbox
from bot.screening.coordinator import Intent, ModerationListener, Screening
from bot.store import connect
from tests.helpers import ROOT, UK

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UK)
OLD = NOW - timedelta(days=95)
ASSOCIATION = load_association(ROOT / "association.yml")
CALENDAR = WorkingCalendar.from_config(ASSOCIATION.monitoring)
POST = "urn:li:share:1"


@pytest.fixture
def store(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    box = Outbox(engine)
    return Screening(engine, box, ASSOCIATION, CALENDAR), box


def comment(platform, n, text="what are your opening hours", at=OLD):
    # Each platform's own shape of id.
    comment_id = {
        Platform.LINKEDIN: f"urn:li:comment:({POST},{n})",
        Platform.FACEBOOK: f"100_{n}",
        Platform.INSTAGRAM: f"1789{n}",
        Platform.YOUTUBE: f"Ugy{n}",
    }[platform]
    return InboundEvent(
        platform,
        "comment",
        comment_id,
        Surface.PUBLIC,
        f"a{n}",
        text,
        at,
        post_id=POST,
        comment_id=comment_id,
    )


def deletions(box):
    return sorted(
        (m.platform, m.target) for m in box.messages() if m.operation is Operation.DELETE_COMMENT
    )


def test_old_comments_are_removed_on_each_platform_that_allows_it(store):
    screening, box = store
    for platform in (Platform.FACEBOOK, Platform.INSTAGRAM, Platform.LINKEDIN, Platform.YOUTUBE):
        screening.screen(comment(platform, 1), Intent("ask_opening_hours", 0.9), OLD)
    assert screening.comments.remove_old(NOW) == 3
    assert deletions(box) == [
        (Platform.FACEBOOK, "100_1"),
        (Platform.INSTAGRAM, "17891"),
        (Platform.LINKEDIN, f"urn:li:comment:({POST},1)"),
    ]
    entries = [e for e in screening.log.entries() if e.action is Action.DELETE]
    assert {e.platform for e in entries} == {"facebook", "instagram", "linkedin"}
    assert screening.comments.remove_old(NOW) == 0


def test_a_platform_keeps_its_own_period(store):
    screening, box = store
    for platform in (Platform.FACEBOOK, Platform.INSTAGRAM):
        screening.screen(comment(platform, 2), Intent("ask_opening_hours", 0.9), OLD)
    assert screening.comments.remove_old(NOW, 3, on={"instagram": 6}) == 1
    assert deletions(box) == [(Platform.FACEBOOK, "100_2")]
    assert screening.comments.remove_old(NOW + timedelta(days=100), 3, on={"instagram": 6}) == 1
    assert deletions(box)[-1] == (Platform.INSTAGRAM, "17892")


def test_a_linkedin_comment_deleted_when_screened_is_not_removed_again(store):
    screening, box = store
    text = "ring me on 07700 900456 about my repair"
    screening.screen(comment(Platform.LINKEDIN, 3, text), Intent("report_repair", 0.9), OLD)
    assert len(deletions(box)) == 1
    assert screening.comments.remove_old(NOW) == 0


def test_the_accounts_own_replies_and_comments_are_kept_and_removed_too(store):
    screening, box = store
    listener = ModerationListener(screening.comments, screening.log)
    for platform, operation, made in (
        (Platform.INSTAGRAM, Operation.PUBLIC_REPLY, "ig-own-1"),
        (Platform.LINKEDIN, Operation.PUBLIC_POST, f"urn:li:comment:({POST},own9)"),
        (Platform.YOUTUBE, Operation.PUBLIC_POST, "Ugown1"),
    ):
        box.enqueue(
            f"{platform}-public-x",
            platform,
            operation,
            "t",
            OLD,
            text="hi",
            author=Author.ASSISTANT,
            dedupe_key=made,
        )
        [sent] = [m for m in box.messages() if m.target == "t" and m.platform == platform]
        listener.sent(sent, made, OLD)
    assert screening.comments.remove_old(NOW) == 2
    assert [t for _, t in deletions(box)] == ["ig-own-1", f"urn:li:comment:({POST},own9)"]


def test_the_periods_by_platform_are_checked_when_read():
    settings = parse_moderation(
        {"remove_public_comments_after_months_by_platform": {"instagram": 6}}, "https://x.example"
    )
    assert settings.months_to_keep("instagram") == 6 and settings.months_to_keep("facebook") == 3
    with pytest.raises(ModerationConfigError, match="youtube"):
        parse_moderation(
            {"remove_public_comments_after_months_by_platform": {"youtube": 6}}, "https://x"
        )
    with pytest.raises(ModerationConfigError):
        parse_moderation(
            {"remove_public_comments_after_months_by_platform": {"linkedin": 0}}, "https://x"
        )
    assert ASSOCIATION.moderation.comment_retention_by_platform == {}
