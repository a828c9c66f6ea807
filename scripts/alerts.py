"""Staff alerts, once, by hand: queue the alerts open handoffs are due now, then send
what the outbox holds (P2, P3, P12).

The running assistant (its Rasa server) does this every minute by itself; this command
is for running it from a scheduler, or to see at once what is due. An alert already
queued is not queued again, so running it beside the assistant, or twice, sends
nothing twice. Who is alerted is `alerts:` in association.yml (docs/staff.md).

Usage: python -m scripts.alerts [--no-send]
"""

from __future__ import annotations

import argparse
import sys
from typing import List

from bot.channels.wiring import build_runtime
from bot.privacy.logs import protect_logs
from bot.settings import Settings


def main(argv: List[str] | None = None) -> int:
    """Queue the alerts due, send what is waiting unless told not to; 0 when done."""
    protect_logs()
    parser = argparse.ArgumentParser(description="Queue and send the staff alerts due now.")
    parser.add_argument(
        "--no-send", action="store_true", help="only queue them, for the running assistant"
    )
    args = parser.parse_args(argv)
    runtime = build_runtime(Settings.from_env())
    queued = runtime.watch_alerts()
    print(f"Queued {queued} staff alerts.")
    if not args.no_send:
        print(f"Sent {runtime.drain_outbox()} waiting calls.")
    return 0


if __name__ == "__main__":
    from scripts.keys import requiring_keys

    sys.exit(requiring_keys(main))
