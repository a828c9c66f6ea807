"""How long the personal-detail detector takes a message (P5: it runs on every one).

Runs `bot.privacy.find` over the labelled set's messages, many times over, and
prints the mean and the 99th percentile per message, and the time for a long post.

With --write-readme the figures go into docs/trainers.md between `<!-- privacy-bench:start -->`
and `<!-- privacy-bench:end -->`, so that none is typed by hand.

Usage: python -m bench.privacy [--rounds N] [--write-readme]
"""

from __future__ import annotations

import argparse
import os
import time

import yaml

from bench.timing import once_ms, per_message
from bot.privacy import find
from scripts.check_privacy import DOCS, LABELLED

START, END = "<!-- privacy-bench:start -->", "<!-- privacy-bench:end -->"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument(
        "--write-readme", action="store_true", help="write the figures into docs/trainers.md"
    )
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
    if args.write_readme:
        block = (
            f"Speed (`.venv/bin/python -m bench.privacy --write-readme`, measured "
            f"{time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores shared with other work): "
            f"{timed.mean_ms:.3f} ms a message on average, {timed.p99_ms:.2f} ms at the 99th "
            f"percentile, {long_ms:.1f} ms for a 2,000-character post."
        )
        text = DOCS.read_text(encoding="utf-8")
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        DOCS.write_text(f"{before}{START}\n{block}\n{END}{after}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
