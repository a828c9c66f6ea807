"""Remove public Facebook comments and visitors' posts older than the retention period
(P10), once.

The running assistant does this every hour by itself; this command is for running it
by hand or from a scheduler. It asks for each old comment or visitor's post to be
deleted through the outbox and then sends what the outbox holds. Running it again, or
on two machines at once, deletes nothing twice.

The period is `remove_public_comments_after_months` in association.yml.

Usage: python -m scripts.retention
"""

from __future__ import annotations

import argparse
import sys
from typing import List

from bot.association import load_association
from bot.channels.wiring import build_runtime
from bot.settings import Settings


def main(argv: List[str] | None = None) -> int:
    """Sweep, queue the deletions, send them; 0 when done."""
    settings = Settings.from_env()
    association = load_association(settings.association_file)
    parser = argparse.ArgumentParser(
        description="Remove old public Facebook comments and visitors' posts."
    )
    parser.parse_args(argv)
    months = association.moderation.comment_retention_months
    runtime = build_runtime(settings)
    removed = runtime.remove_old_comments()
    print(f"Asked for {removed} public comments older than {months} months to be deleted.")
    if settings.facebook.missing():
        print("The Facebook channel is off: the deletions wait in the outbox until it is on.")
        return 0
    sent = runtime.drain_outbox()
    print(f"Sent {sent} waiting platform calls.")
    return 0


if __name__ == "__main__":
    from scripts.keys import requiring_keys

    sys.exit(requiring_keys(main))
