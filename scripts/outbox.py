"""The outbox for staff: platform calls that could not be made, and sending them again.

Usage:
    python -m scripts.outbox dead            # the dead letters, with the platform's error
    python -m scripts.outbox waiting         # calls still waiting to go
    python -m scripts.outbox send-again ID   # put a dead letter back in the queue
    python -m scripts.outbox dismiss ID      # never send it; kept for the record

A dead letter's text is sealed under OUTBOX_KEY (var/outbox-key, which `make run` writes,
when the setting is not given): the list does not show it, and sending it again unseals
it for the running assistant to send.

A call goes to the dead letters when the platform refuses it for good (a 4xx other
than 429, Messenger's window closed) or has failed for seven days (P12). The running
assistant sends what is put back.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import List

from bot.outbox import DEAD, PENDING, Outbox, Unsealable
from bot.privacy.logs import protect_logs
from bot.settings import Settings
from bot.store import connect


def main(argv: List[str] | None = None) -> int:
    """List dead or waiting calls, or send a dead one again or dismiss it; 0 when done,
    2 if not dead."""
    protect_logs()
    parser = argparse.ArgumentParser(description="Read the outbox; send a dead letter again.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dead", help="calls the platform refused for good")
    commands.add_parser("waiting", help="calls still waiting to go")
    again = commands.add_parser("send-again", help="put a dead letter back in the queue")
    again.add_argument("message", type=int)
    dismiss = commands.add_parser("dismiss", help="set a dead letter aside for good")
    dismiss.add_argument("message", type=int)
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    box = Outbox(connect(settings.database_url, settings.data_keys()), key=settings.outbox_key)
    if args.command == "dismiss":
        if not box.dismiss(args.message, datetime.now(timezone.utc)):
            print(f"Outbox message {args.message} is not a dead letter.", file=sys.stderr)
            return 2
        print(f"Outbox message {args.message} is dismissed: it will not be sent.")
        return 0
    if args.command == "send-again":
        try:
            queued = box.send_again(args.message, datetime.now(timezone.utc))
        except Unsealable:
            print(
                f"Outbox message {args.message} was encrypted under other keys: set "
                "ENCRYPTION_KEYS (and OUTBOX_KEY, for a letter an older release sealed) to "
                "the keys the assistant ran with when it failed.",
                file=sys.stderr,
            )
            return 2
        if not queued:
            print(f"Outbox message {args.message} is not a dead letter.", file=sys.stderr)
            return 2
        print(f"Outbox message {args.message} is queued again.")
        return 0
    for message in box.messages(DEAD if args.command == "dead" else PENDING):
        # A dead letter's text is not listed: staff see its error, not what it said.
        text = "[sealed]" if message.state == DEAD else (message.text or "")[:60]
        text = text.replace("\n", " ")
        print(
            f"{message.id:>6}  {message.created_at:%Y-%m-%d %H:%M}  {message.platform:8}  "
            f"{message.operation.value:15} {message.target}  attempts {message.attempts}  "
            f"{text!r}  {message.last_error or ''}"
        )
    return 0


if __name__ == "__main__":
    from scripts.keys import requiring_keys

    sys.exit(requiring_keys(main))
