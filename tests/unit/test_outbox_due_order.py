"""An outbox claim reads the pending calls in the order they are due and stops at a few,
however long the backlog (P12): it used to sort every pending call at each claim, and
under load each claim grew slower as the backlog it was meant to clear grew."""

from datetime import datetime, timezone

from sqlalchemy import event, inspect

from bot.events import Operation
from bot.keys import DataKeys
from bot.outbox import Outbox
from bot.store import connect

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)


def claim_plan(engine):
    """SQLite's plan for the query a claim reads its candidates with."""
    statements = []

    def seen(connection, cursor, statement, parameters, context, many):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    Outbox(engine).claim(NOW, platforms=["facebook"])
    event.remove(engine, "before_cursor_execute", seen)
    statement, parameters = statements[0]
    assert statement.lstrip().upper().startswith("SELECT")
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return " | ".join(row[-1] for row in rows)


def test_a_claim_walks_the_due_calls_in_order_rather_than_sorting_the_backlog(tmp_path):
    plan = claim_plan(connect(f"sqlite:///{tmp_path / 'store.db'}"))
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
