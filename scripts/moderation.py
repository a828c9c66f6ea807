"""The moderation log for staff: what was removed, blocked or reported, and why (P7).

Usage:
    python -m scripts.moderation list [--author ID] [--limit N]
    python -m scripts.moderation undo ENTRY_ID --by "Your Name"

`undo` lifts a hide, a block or a follow (the platform call goes through the outbox
and is sent by the running assistant) or strikes out a strike. A deleted post cannot
be brought back. Reasons never hold the details or words that caused them.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import List

from bot.moderation.log import ModerationLog, NotUndoable
from bot.outbox import Outbox
from bot.privacy.logs import protect_logs
from bot.settings import Settings
from bot.store import connect


def main(argv: List[str] | None = None) -> int:
    """List or undo moderation actions; 0 when done, 2 when the entry cannot be undone."""
    protect_logs()
    parser = argparse.ArgumentParser(description="Read and undo moderation actions.")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="the latest actions, newest first")
    listing.add_argument("--author", help="only this platform account's")
    listing.add_argument("--limit", type=int, default=50)
    undoing = commands.add_parser("undo", help="undo one action")
    undoing.add_argument("entry", type=int)
    undoing.add_argument("--by", required=True, help="who undoes it (for the log)")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    engine = connect(settings.database_url, settings.data_keys())
    log = ModerationLog(engine, Outbox(engine))
    if args.command == "list":
        for entry in log.entries(limit=args.limit, author_id=args.author):
            kinds = f" [{', '.join(entry.detail_kinds)}]" if entry.detail_kinds else ""
            undone = f" (undone by {entry.undone_by})" if entry.undone_by else ""
            mark = "  can be undone" if entry.undoable else ""
            print(
                f"{entry.id:>6}  {entry.at:%Y-%m-%d %H:%M}  {entry.platform:8}  "
                f"{entry.action.value:13} {entry.state:9} {entry.author_id or '-'}  "
                f"{entry.reason}{kinds}{undone}{mark}"
            )
        return 0
    try:
        entry = log.undo(args.entry, args.by, datetime.now(timezone.utc))
    except KeyError:
        print(f"No moderation action {args.entry}.", file=sys.stderr)
        return 2
    except NotUndoable as error:
        print(f"Cannot undo action {args.entry}: {error}.", file=sys.stderr)
        return 2
    print(f"Undone: {entry.action.value} of {entry.platform} account {entry.author_id}.")
    return 0


if __name__ == "__main__":
    from scripts.keys import requiring_keys

    sys.exit(requiring_keys(main))
