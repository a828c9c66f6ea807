"""How long the personal-detail detector takes a message (P5: it runs on every one).

Runs `bot.privacy.find` over the labelled set's messages, many times over, and
prints the mean and the 99th percentile per message, and the time for a long post.

Usage: python -m bench.privacy [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import yaml

from bot.privacy import find
from scripts.check_privacy import LABELLED


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    texts = [m["text"] for m in yaml.safe_load(LABELLED.read_text())["messages"]]
    for text in texts:  # warm up the compiled patterns
        find(text)
    timings = []
    for _ in range(args.rounds):
        for text in texts:
            started = time.perf_counter()
            find(text)
            timings.append(time.perf_counter() - started)
    timings.sort()
    mean = statistics.fmean(timings) * 1000
    p99 = timings[int(len(timings) * 0.99)] * 1000
    # A long post: the set's messages run together to 2,000 characters.
    long_post = " ".join(texts)[:2000]
    started = time.perf_counter()
    for _ in range(20):
        find(long_post)
    long_ms = (time.perf_counter() - started) / 20 * 1000
    print(
        f"bot.privacy.find: {len(timings)} calls over {len(texts)} messages; "
        f"mean {mean:.3f} ms, p99 {p99:.3f} ms a message; "
        f"a 2,000-character post {long_ms:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
