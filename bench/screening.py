"""How long screening a public post takes before the dialogue sees it (P5, P7).

Screening runs on every message: the personal-detail detector, the moderation word
lists and the triage, over the labelled sets' messages and the `abuse` examples,
many times over. Prints the mean and 99th percentile per message, and the time for a
long post (a Facebook comment can hold 8,000 characters).

Usage: python -m bench.screening [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import yaml

from bot.association import load_association
from bot.moderation import assess
from bot.privacy import find
from bot.public_threads import triage
from bot.settings import Settings
from scripts.check_privacy import LABELLED_SETS, load


def screen(text: str, rules) -> None:
    """What screening computes for one post, without the store."""
    triage(text, None, assess(text, rules), find(text))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    rules = load_association(Settings.from_env().association_file).moderation.rules
    texts = [m["text"] for path in LABELLED_SETS for m in load(path)]
    abuse = yaml.safe_load(open("data/nlu/moderation.yml"))["nlu"][0]["examples"]
    texts += [line[2:] for line in abuse.splitlines() if line.startswith("- ")]
    for text in texts:
        screen(text, rules)
    timings = []
    for _ in range(args.rounds):
        for text in texts:
            started = time.perf_counter()
            screen(text, rules)
            timings.append(time.perf_counter() - started)
    timings.sort()
    mean = statistics.fmean(timings) * 1000
    p99 = timings[int(len(timings) * 0.99)] * 1000
    long_post = " ".join(texts)[:8000]
    started = time.perf_counter()
    for _ in range(5):
        screen(long_post, rules)
    long_ms = (time.perf_counter() - started) / 5 * 1000
    print(
        f"screening (privacy + moderation + triage): {len(timings)} calls over "
        f"{len(texts)} messages; mean {mean:.3f} ms, p99 {p99:.3f} ms a message; "
        f"an 8,000-character post {long_ms:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
