"""Messages set aside for staff: those that failed too often to be answered.

Usage:
    python -m scripts.intake failed      # the messages set aside, with the last error
    python -m scripts.intake retry ID    # put one back, to be answered again

A message is set aside after MAX_ATTEMPTS (5) failed attempts (P12); its conversation
is then in the handoff queue, and the tenant has had one apology. The list shows no
message text. The running assistant answers what is put back, with 5 attempts again.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import List

from bot.intake import IntakeStore
from bot.privacy.logs import protect_logs
from bot.settings import Settings
from bot.store import connect


def main(argv: List[str] | None = None) -> int:
    """List the messages set aside, or put one back; 0 when done, 2 if not set aside."""
    protect_logs()
    parser = argparse.ArgumentParser(description="Read or retry the messages set aside.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("failed", help="messages set aside after failing too often")
    retry = commands.add_parser("retry", help="put a message set aside back in the intake")
    retry.add_argument("message", type=int)
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    intake = IntakeStore(connect(settings.database_url, settings.data_keys()))
    if args.command == "retry":
        if not intake.retry(args.message, datetime.now(timezone.utc)):
            print(f"Message {args.message} is not set aside.", file=sys.stderr)
            return 2
        print(f"Message {args.message} is back in the intake.")
        return 0
    for row in intake.set_aside():
        error = (row.last_error or "").replace("\n", " ")[:200]
        print(
            f"{row.id:>6}  {row.received_at:%Y-%m-%d %H:%M}  {row.platform:8}  "
            f"{row.conversation_id}  attempts {row.attempts}  {error}"
        )
    return 0


if __name__ == "__main__":
    from scripts.keys import requiring_keys

    sys.exit(requiring_keys(main))
