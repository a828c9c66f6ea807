"""Remove public comments (Facebook, Instagram, LinkedIn) and Facebook visitors' posts
older than their platform's retention period (P10), and conversations older than theirs
(P9), once.

The running assistant does this every hour by itself; this command is for running it
by hand or from a scheduler. It asks for each old comment or visitor's post to be
deleted through the outbox and then sends what the outbox holds; it erases every
conversation whose latest message is older than its period, and removes the store's
older records (bot/protection/retention.py). Running it again, or on two machines at
once, deletes nothing twice.

The periods are `remove_public_comments_after_months` (moderation) and
`remove_conversations_after_months` (data_protection) in association.yml.

Usage: python -m scripts.retention
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Callable, List

from bot.association import load_association
from bot.channels.runtime import utc_now
from bot.channels.wiring import build_runtime
from bot.platforms.registry import KITS
from bot.privacy.logs import protect_logs
from bot.settings import Settings


def main(argv: List[str] | None = None, clock: Callable[[], datetime] = utc_now) -> int:
    """Sweep, queue the deletions, erase old conversations, send; 0 when done."""
    protect_logs()
    settings = Settings.from_env()
    association = load_association(settings.association_file)
    parser = argparse.ArgumentParser(
        description="Remove old public comments and posts (P10) and old conversations (P9)."
    )
    parser.parse_args(argv)
    months = association.moderation.comment_retention_months
    runtime = build_runtime(settings, clock)
    removed = runtime.remove_old_comments()
    print(f"Asked for {removed} public comments older than {months} months to be deleted.")
    run = runtime.remove_old_conversations()
    if run is not None:
        kept = association.conversation_retention_months
        print(
            f"Erased {run.conversations} conversations quiet for more than {kept} months,"
            f" and {sum(run.removed.values())} older records:"
        )
        for place, count in run.removed.items():
            print(f"  {place}: {count}")
    off = [kit.name for kit in KITS.values() if kit.keeps_comments and kit.missing(settings)]
    if off:
        print(f"Off: {', '.join(off)}; their deletions wait in the outbox until each is on.")
    sent = runtime.drain_outbox()
    print(f"Sent {sent} waiting platform calls.")
    return 0


if __name__ == "__main__":
    from scripts.keys import requiring_keys

    sys.exit(requiring_keys(main))
