"""The claim benchmark (bench/claims.py) runs, and each of its claims takes one from the
backlog it filled."""

from sqlalchemy import select

from bench.claims import (
    fill,
    fill_intake,
    intake_claim,
    main,
    outbox_claim,
    per_claim,
    sqlite_store,
)
from bot.outbox import Outbox
from bot.store import inbound_events


def test_each_outbox_claim_takes_one_of_the_pending_calls():
    with sqlite_store() as engine:
        fill(engine, 30)
        per_claim(outbox_claim(engine), 20)
        claimed = [m for m in Outbox(engine).messages() if m.state == "pending" and m.attempts]
        assert len(claimed) == 20


def test_each_intake_claim_takes_one_of_the_waiting_events():
    with sqlite_store() as engine:
        fill_intake(engine, 30)
        per_claim(intake_claim(engine), 20)
        with engine.connect() as connection:
            attempts = connection.execute(
                select(inbound_events.c.attempts).where(inbound_events.c.state == "accepted")
            ).scalars()
            assert sorted(attempts).count(1) == 20


def test_the_benchmark_prints_a_line_for_each_backlog(capsys, monkeypatch):
    monkeypatch.delenv("TEST_POSTGRES_URL", raising=False)
    assert main(["--backlogs", "20,40", "--claims", "10"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "a claim takes" in line]
    assert [line.split()[1:3] for line in lines] == [
        ["outbox", "20"],
        ["outbox", "40"],
        ["intake", "20"],
        ["intake", "40"],
    ]
