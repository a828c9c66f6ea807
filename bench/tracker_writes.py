"""How long a save waits when several conversations are saved at once on SQLite, with
the store's writes queued in the process and, as before, left to SQLite's lock alone
(bot/channels/tracker_store.py, P12: speed).

Eight conversations take turns as `make bench`'s eight at once do: each turn reads the
conversation, adds a message, an action and a reply, and saves it; the eight run
together on the event loop, their reads and writes in worker threads, as in the Rasa
server. Prints the median, p95 and longest save, and the turns a second, each way.

Usage: python -m bench.tracker_writes [--conversations 8] [--turns 30] [--repeat 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

from rasa.shared.core.domain import Domain

from bench.tracker_encryption import ROOT, add_turn, summary
from bot.channels.tracker_store import EncryptedSQLTrackerStore
from bot.keys import DataKeys


def store_on(path: Path, queued: bool) -> EncryptedSQLTrackerStore:
    store = EncryptedSQLTrackerStore(
        domain=Domain.load(str(ROOT / "domain.yml")),
        dialect="sqlite",
        db=str(path),
        data_keys=DataKeys.ephemeral(),
    )
    if not queued:
        store.writing = contextlib.nullcontext()  # as before: SQLite's lock alone
    return store


async def conversation(store, sender: str, turns: int, saves: list[float]) -> None:
    for _ in range(turns):
        tracker = await store.get_or_create_tracker(sender)
        add_turn(tracker)
        started = time.perf_counter()
        await store.save(tracker)
        saves.append(time.perf_counter() - started)


async def run(store, conversations: int, turns: int) -> tuple[list[float], float]:
    """Seconds per save, and turns a second, of `conversations` at once."""
    saves: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(conversation(store, f"bench-{n}", turns, saves) for n in range(conversations))
    )
    return saves, conversations * turns / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=8)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(
        f"{args.conversations} conversations at once, {args.turns} turns each, "
        f"{args.repeat} runs a way, alternating; a save (ms):"
    )
    print("| writes | median | p95 | longest | turns a second |")
    print("| --- | ---: | ---: | ---: | ---: |")
    results: dict[bool, tuple[list[float], list[float]]] = {True: ([], []), False: ([], [])}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.repeat):
            for queued in (False, True):
                store = store_on(Path(tmp) / f"tracker-{queued}-{n}.db", queued)
                saves, rate = asyncio.run(run(store, args.conversations, args.turns))
                results[queued][0].extend(saves)
                results[queued][1].append(rate)
                store.engine.dispose()
    for queued, label in ((False, "SQLite's lock alone"), (True, "queued in the process")):
        saves, rates = results[queued]
        median, p95 = summary(saves)
        print(
            f"| {label} | {median:.1f} | {p95:.1f} | {max(saves) * 1e3:.1f} | "
            f"{statistics.mean(rates):.0f} |"
        )


if __name__ == "__main__":
    main()
