"""How long screening a public post takes before the dialogue sees it (P5, P7).

Screening runs on every message: the personal-detail detector, the moderation word
lists and the triage, over the labelled sets' messages and the `abuse` examples,
many times over. Prints the mean and 99th percentile per message, and the time for a
long post (a Facebook comment can hold 8,000 characters).

Usage: python -m bench.screening [--rounds N]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from bench.timing import once_ms, per_message
from bot.association import load_association
from bot.moderation import assess
from bot.privacy import find
from bot.screening.public_threads import triage
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
    abuse_file = Path(__file__).resolve().parent.parent / "data" / "nlu" / "moderation.yml"
    abuse = yaml.safe_load(abuse_file.read_text())["nlu"][0]["examples"]
    texts += [line[2:] for line in abuse.splitlines() if line.startswith("- ")]
    timed = per_message(lambda text: screen(text, rules), texts, args.rounds)
    long_ms = once_ms(lambda text: screen(text, rules), " ".join(texts)[:8000], 5)
    print(
        f"screening (privacy + moderation + triage): {timed.calls} calls over "
        f"{len(texts)} messages; mean {timed.mean_ms:.3f} ms, p99 {timed.p99_ms:.3f} ms a message; "
        f"an 8,000-character post {long_ms:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
