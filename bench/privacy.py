"""How long the personal-detail detector takes a message (P5: it runs on every one).

Runs `bot.privacy.find` over the labelled set's messages, many times over, and
prints the mean and the 99th percentile per message, and the time for a long post.

Usage: python -m bench.privacy [--rounds N]
"""

from __future__ import annotations

import argparse

import yaml

from bench.timing import once_ms, per_message
from bot.privacy import find
from scripts.check_privacy import LABELLED


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    texts = [m["text"] for m in yaml.safe_load(LABELLED.read_text())["messages"]]
    timed = per_message(find, texts, args.rounds)
    # A long post: the set's messages run together to 2,000 characters.
    long_ms = once_ms(find, " ".join(texts)[:2000], 20)
    print(
        f"bot.privacy.find: {timed.calls} calls over {len(texts)} messages; "
        f"mean {timed.mean_ms:.3f} ms, p99 {timed.p99_ms:.3f} ms a message; "
        f"a 2,000-character post {long_ms:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
