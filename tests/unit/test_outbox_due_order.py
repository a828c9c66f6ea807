"""An outbox claim reads the pending calls in the order they are due and stops at a few,
however long the backlog (P12): it used to sort every pending call at each claim, and
under load each claim grew slower as the backlog it was meant to clear grew."""

from datetime import datetime, timezone

from sqlalchemy import inspect

from bot.events import Operation
from bot.keys import DataKeys
from bot.outbox import Outbox
from bot.store import connect
from tests.helpers import query_plan

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)


def test_a_claim_walks_the_due_calls_in_order_rather_than_sorting_the_backlog(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    plan = query_plan(engine, lambda: Outbox(engine).claim(NOW, platforms=["facebook"]))
    assert "USING INDEX outbox_due" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_an_older_store_gains_the_index_and_keeps_its_calls(tmp_path):
    url, keys = f"sqlite:///{tmp_path / 'store.db'}", DataKeys.ephemeral()
    engine = connect(url, keys)
    Outbox(engine).enqueue("c1", "facebook", Operation.MESSENGER_SEND, "psid1", NOW, text="Hi")
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX outbox_due")
    engine.dispose()

    engine = connect(url, keys)
    assert "outbox_due" in {index["name"] for index in inspect(engine).get_indexes("outbox")}
    [message] = Outbox(engine).messages()
    assert message.text == "Hi"
