"""The outbox claim benchmark (bench/outbox_claim.py) runs, and each of its claims takes a
call from the backlog it filled."""

from bench.outbox_claim import fill, main, per_claim, sqlite_engines
from bot.outbox import Outbox


def test_each_claim_takes_one_of_the_pending_calls():
    for engine in sqlite_engines():
        fill(engine, 30)
        per_claim(engine, 20)
        claimed = [m for m in Outbox(engine).messages() if m.state == "pending" and m.attempts]
        assert len(claimed) == 20


def test_the_benchmark_prints_a_line_for_each_backlog(capsys, monkeypatch):
    monkeypatch.delenv("TEST_POSTGRES_URL", raising=False)
    assert main(["--backlogs", "20,40", "--claims", "10"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "a claim takes" in line]
    assert [line.split()[1] for line in lines] == ["20", "40"]
