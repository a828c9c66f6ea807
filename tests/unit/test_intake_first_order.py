"""The intake's claim reads each conversation's first waiting event in the order they
were accepted and stops at a few, however long the backlog (P12): it used to group every
waiting event by conversation at each claim, so that after an outage, with thousands
waiting, every claim read them all."""

from datetime import datetime, timezone

from bot.intake import IntakeStore
from bot.store import connect
from tests.helpers import query_plan

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)


def test_a_claim_walks_the_waiting_events_in_order_rather_than_grouping_the_backlog(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    plan = query_plan(engine, lambda: IntakeStore(engine).claim(NOW))
    walks = ("USING INDEX inbound_events_waiting", "USING INDEX inbound_events_accepted")
    assert any(walk in plan for walk in walks), plan
    assert "USING INDEX inbound_events_queue" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
