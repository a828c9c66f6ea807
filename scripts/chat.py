"""Talk to the running assistant through its REST channel, as one tenant.

Usage: python scripts/chat.py [--url http://127.0.0.1:$RASA_PORT] [--sender tenant-1]

The Rasa server is looked for on RASA_PORT (default 5005), as `make run` starts it.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.settings import Settings  # noqa: E402
from scripts.processes import HOST, send  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description="Chat with the running assistant.")
    parser.add_argument("--url", default=f"http://{HOST}:{Settings.from_env().rasa_port}")
    parser.add_argument("--sender", default=f"tenant-{uuid.uuid4().hex[:8]}")
    args = parser.parse_args()
    print(f"Talking to {args.url} as {args.sender}. Ctrl-D to stop.")
    while True:
        try:
            text = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not text:
            continue
        try:
            replies = send(args.url, args.sender, text)
        except (urllib.error.URLError, ConnectionError) as error:
            print(
                f"error: cannot reach the assistant at {args.url} ({error}); is `make run` "
                "running, with the REST channel on?"
            )
            continue
        for reply in replies:
            print(f"bot> {reply.get('text', reply)}")


if __name__ == "__main__":
    sys.exit(main())
