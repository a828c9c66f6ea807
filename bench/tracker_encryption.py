"""What keeping conversations encrypted at rest costs a turn (P9).

Plays the same conversation, turn by turn, through Rasa's own SQL tracker store and the
project's (`bot.channels.tracker_store.EncryptedSQLTrackerStore`), each on a SQLite file
of its own: every turn reads the conversation, adds a message, an action and a bot reply,
and writes it back, as the Rasa server does. Prints the median and p95 of a turn for
each store, and the difference: for many short conversations, then for a few long ones
(a turn reads the whole conversation, so its cost grows with the conversation).

Usage: python -m bench.tracker_encryption [--turns N] [--conversations N] [--long-turns N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered

from bot.channels import event_classes
from bot.channels.tracker_store import EncryptedSQLTrackerStore
from bot.keys import DataKeys

ROOT = Path(__file__).resolve().parent.parent
TEXT = "the boiler in the kitchen has stopped and there's no heating, can someone come out"


def add_turn(tracker) -> None:
    """A turn's events: the tenant's message, the action, its reply, and listening."""
    tracker.update(UserUttered(TEXT, {"name": "report_repair", "confidence": 0.97}))
    tracker.update(ActionExecuted("utter_ask_repair_where"))
    tracker.update(BotUttered("Which room is it in?"))
    tracker.update(ActionExecuted("action_listen"))


async def turns(store, conversations: int, turns_each: int) -> list[float]:
    """Seconds per turn, over `conversations` conversations of `turns_each` turns."""
    took = []
    for number in range(conversations):
        sender = f"facebook-private-{number}"
        for _ in range(turns_each):
            started = time.perf_counter()
            tracker = await store.get_or_create_tracker(sender)
            add_turn(tracker)
            await store.save(tracker)
            took.append(time.perf_counter() - started)
    return took


def summary(seconds: list[float]) -> tuple[float, float]:
    """Median and p95, in milliseconds."""
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered) * 1e3, p95 * 1e3


@contextmanager
def rasas_own_lookup() -> Iterator[None]:
    """Rasa's store measured as Rasa ships it: each event's class found by Rasa's walk,
    not through the table this project's Rasa servers use (bot/channels/event_classes.py),
    which making the project's store puts in place for the whole process."""
    table = Event.resolve_by_type
    Event.resolve_by_type = staticmethod(event_classes.rasas_lookup)
    try:
        yield
    finally:
        Event.resolve_by_type = staticmethod(table)


async def measure(conversations: int, turns_each: int) -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    with tempfile.TemporaryDirectory() as folder:
        plain = SQLTrackerStore(domain, dialect="sqlite", db=str(Path(folder) / "plain.db"))
        encrypted = EncryptedSQLTrackerStore(
            domain=domain,
            dialect="sqlite",
            db=str(Path(folder) / "encrypted.db"),
            data_keys=DataKeys.ephemeral(),
        )
        await turns(encrypted, 1, 3)  # warm both up: tables made, code loaded
        with rasas_own_lookup():
            await turns(plain, 1, 3)
            rasas = summary(await turns(plain, conversations, turns_each))
        results = {
            "Rasa's SQLTrackerStore": rasas,
            "EncryptedSQLTrackerStore": summary(await turns(encrypted, conversations, turns_each)),
        }
    for name, (median, p95) in results.items():
        print(f"{name:26} a turn: median {median:.2f} ms, p95 {p95:.2f} ms")
    (plain_median, _), (encrypted_median, _) = results.values()
    print(
        f"the project's store (encrypted, answers masked, queries off the event loop) takes "
        f"{encrypted_median - plain_median:+.2f} ms against Rasa's on the median turn, over "
        f"{conversations} conversations of {turns_each} turns each"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--long-turns", type=int, default=150, help="0: no long conversations")
    args = parser.parse_args()
    asyncio.run(measure(args.conversations, args.turns))
    if args.long_turns:
        asyncio.run(measure(2, args.long_turns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
