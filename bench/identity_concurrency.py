"""Whether one slow identity check delays other tenants' replies (P4).

An identity check derives an scrypt digest (about a tenth of a second at the product's
cost, longer on a busy machine) and queries the store. Run on the action server's
event loop, it would hold up every other tenant's action for as long; run in a worker
thread, as `actions.identity` does, the loop goes on answering.

The benchmark runs, on one event loop, checks one after another (each with the
product's scrypt cost) while other tenants' tenancy questions (`action_tenancy_gate`,
one store query each) arrive every 10 ms, and measures how long each waits for its
reply from when it arrived: first with each check on the loop, as before, then
through the real action.

Usage: python -m bench.identity_concurrency [--checks N]
Writes its figures to bench/identity_concurrency.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import ActionTenancyGate, ActionVerifyIdentity
from bot.association import load_association
from bot.handoff.working_hours import WorkingCalendar
from bot.store import connect
from bot.tenancy.answers import locator
from bot.tenancy.identity import Account, IdentityChecks
from bot.tenancy.records import TenancyRepository, load_tenancies
from bot.tenancy.security_question import HashScheme, Sealer

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "identity_concurrency.md"
PRIVATE = {"platform": "facebook", "surface": "private"}


def tracker(author: str, intent: str, slots: dict) -> Tracker:
    """A private message from `author`."""
    message = {
        "text": "...",
        "intent": {"name": intent},
        "metadata": {**PRIVATE, "author_id": author},
    }
    return Tracker(author, slots, message, [], False, None, {}, "action_listen")


async def other_tenants(gate: ActionTenancyGate, until: asyncio.Event) -> List[float]:
    """A tenancy question from another tenant every 10 ms; how long each waited for
    its reply (ms), counted from when it arrived, as a tenant would count."""
    took = []
    first = time.perf_counter()
    n = 0
    while not until.is_set():
        arrives = first + 0.01 * n
        await asyncio.sleep(max(0.0, arrives - time.perf_counter()))
        n += 1
        await gate.run(CollectingDispatcher(), tracker(f"other-{n}", "ask_rent_balance", {}), {})
        took.append((time.perf_counter() - arrives) * 1000)
    return took


async def measure(checks: IdentityChecks, sealer: Sealer, calendar, blocking: bool, count: int):
    """Other tenants' times while `count` checks run, on the loop or off it."""
    now = datetime.now(timezone.utc)
    gate = ActionTenancyGate(checks, sealer, calendar, lambda: now)
    verify = ActionVerifyIdentity(checks, sealer, calendar, lambda: now)
    slots = {
        "security_locator": sealer.seal(["security_locator", asdict(locator("TEN-318552"))]),
        "security_name": sealer.seal(["security_name", "priya sharma"]),
        "security_date_of_birth": sealer.seal(["security_date_of_birth", "1990-07-23"]),
    }
    done = asyncio.Event()
    waiting = asyncio.create_task(other_tenants(gate, done))
    await asyncio.sleep(0.05)
    check_ms = []
    for n in range(count):
        started = time.perf_counter()
        if blocking:  # as before: the check called straight from the async action
            answers = verify._answers(tracker(f"c{n}", "inform", slots))
            checks.attempt(Account("facebook", f"c{n}"), f"c{n}", answers, now)
        else:
            await verify.run(CollectingDispatcher(), tracker(f"c{n}", "inform", slots), {})
        check_ms.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.02)
    done.set()
    return await waiting, check_ms


def summary(times: List[float]) -> str:
    """p50, p95 and max of `times`, in ms."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{statistics.median(ordered):.1f} | {p95:.1f} | {ordered[-1]:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = connect(f"sqlite:///{tmp}/bench.db")
        tenancies = TenancyRepository(engine)
        load_tenancies(ROOT / "demo" / "tenancies.yml", tenancies)  # the product's cost
        checks = IdentityChecks(engine, tenancies, HashScheme.fresh())
        sealer = Sealer(Sealer.new_key())
        calendar = WorkingCalendar.from_config(
            load_association(ROOT / "association.yml").monitoring
        )
        rows = []
        for label, blocking in (
            ("on the event loop (before)", True),
            ("in a worker thread (now)", False),
        ):
            others, check_ms = asyncio.run(measure(checks, sealer, calendar, blocking, args.checks))
            mean = statistics.fmean(check_ms)
            rows.append(f"| {label} | {mean:.0f} | {len(others)} | {summary(others)} |")
    table = "\n".join(
        [
            f"Measured {datetime.now(timezone.utc):%Y-%m-%d} with "
            "`python -m bench.identity_concurrency`: "
            f"{args.checks} identity checks one after another (scrypt at the product's cost), "
            "while other tenants' tenancy questions (`action_tenancy_gate`) arrive every 10 ms "
            "on the same event loop.",
            "",
            "| identity check runs | check (ms, mean) | other tenants' replies | "
            "their wait p50 (ms) | p95 (ms) | max (ms) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            *rows,
        ]
    )
    RESULTS.write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
