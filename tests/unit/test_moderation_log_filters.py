"""The moderation log as staff filter it (P7): by platform and by what was done."""

from datetime import datetime, timedelta, timezone

from bot.moderation.log import Action, ModerationLog, Subject
from bot.outbox import Outbox
from bot.store import connect

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def test_entries_filtered_by_platform_and_action_reach_past_the_latest_others(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    log = ModerationLog(engine, Outbox(engine))
    hidden = log.record(NOW, Subject("facebook", "u1", target="c1"), Action.HIDE, "abuse")
    log.record(NOW, Subject("twitter", "u2", target="u2"), Action.BLOCK, "three strikes")
    for n in range(5):  # newer entries that are not hides on Facebook
        at = NOW + timedelta(minutes=n)
        log.record(at, Subject("facebook", f"u{n}", target=f"u{n}"), Action.STRIKE, "abuse")

    assert [e.id for e in log.entries(limit=3, platform="facebook", action=Action.HIDE)] == [hidden]
    assert [e.action for e in log.entries(platform="twitter")] == [Action.BLOCK]
    assert len(log.entries(action=Action.STRIKE)) == 5
    assert len(log.entries()) == 7
