"""What keeping personal details out of the logs costs a line (P9: bot.privacy.logs).

Writes typical server lines (Rasa's, Sanic's, the project's; a few with a detail in
them) through a logger to memory, with and without `protect_logs()`, and prints the
time per line of each and the difference.

Usage: python -m bench.log_redaction [--lines N]
"""

from __future__ import annotations

import argparse
import io
import logging
import time

from bot.privacy.logs import protect_logs

LINES = (
    ("Starting Rasa server on %s", ("http://127.0.0.1:5005",)),
    ("Rasa server is up and running.", ()),
    ("Tracker %s stored", ("facebook-private-104857600",)),
    ("Predicted next action '%s' with confidence %.2f.", ("action_listen", 1.0)),
    ("The %s channel is off: set %s to turn it on", ("twitter", "TWITTER_USER_ID")),
    ("Handoff %s opened for %s, due %s", (41, "customer_experience", "2026-12-01 11:00")),
    ("Sending failed: %s", ("could not reach graph.facebook.com: timed out",)),
    ("Received %r", ("my number is 07700 900461 and I live at 27 Larkspur Road",)),
)


def per_line_us(logger: logging.Logger, rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for message, args in LINES:
            logger.info(message, *args)
    return (time.perf_counter() - started) / (rounds * len(LINES)) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=8000)
    args = parser.parse_args()
    logger = logging.getLogger("bench.log_redaction")
    logger.handlers = [logging.StreamHandler(io.StringIO())]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    rounds = max(1, args.lines // len(LINES))
    plain = per_line_us(logger, rounds)
    protect_logs()
    protected = per_line_us(logger, rounds)
    print(
        f"a log line: {plain:.1f} us as it is, {protected:.1f} us with protect_logs() "
        f"(+{protected - plain:.1f} us), over {rounds * len(LINES)} typical lines"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
