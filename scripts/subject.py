"""Subject rights from the command line (P9): export what is held about a person, erase
a conversation.

Usage:
    python -m scripts.subject export --account facebook:ID --by NAME [--out FILE]
    python -m scripts.subject export --tenancy TEN-204817 --by NAME [--out FILE]
    python -m scripts.subject erase --conversation facebook-private-ID --by NAME [--yes]

An export is JSON: every conversation of the account and of the accounts linked to it
(or of the tenancy), decrypted, with its handoffs, moderation entries, identity checks,
repair requests, what the outbox and intake still hold, and the console's audit
entries about them; a tenancy's record without its security answers' digests. It is
written to FILE (readable by its owner only, mode 0600) or to standard output.

An erasure removes the conversation from the tracker store and every table of the
project's store; it asks to confirm unless --yes, and prints how many records it
removed from each place, never what they said. Erasing twice is harmless.

Both are written to the console's audit under --by, the operator's name; an
erasure's entry names the conversation only by a keyed HMAC of its id. The same two
actions are on the console's Data protection page, for admin.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Callable, List

from bot import clock
from bot.privacy.logs import protect_logs
from bot.protection.subject import (
    UnknownSubject,
    export_json,
    parse_account,
    subject_rights,
)
from bot.settings import Settings, SettingsError
from bot.store import connect


def main(
    argv: List[str] | None = None,
    ask: Callable[[str], str] = input,
    now: Callable[[], datetime] = clock.utc_now,
) -> int:
    """Run one command; 0 when done, 1 when not confirmed, 2 when refused."""
    protect_logs()
    parser = argparse.ArgumentParser(description="Export or erase what is held about a tenant.")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="everything held about an account or tenancy")
    subject = export.add_mutually_exclusive_group(required=True)
    subject.add_argument("--account", help="PLATFORM:ID, as facebook:1234 or twitter:5678")
    subject.add_argument("--tenancy", help="a tenancy reference, as TEN-204817")
    export.add_argument("--out", type=Path, help="write the JSON here (mode 0600)")
    erase = commands.add_parser("erase", help="remove one conversation everywhere")
    erase.add_argument("--conversation", required=True, help="as facebook-private-1234")
    erase.add_argument("--yes", action="store_true", help="do not ask to confirm")
    for command in (export, erase):
        command.add_argument("--by", required=True, help="your name, for the audit")
    args = parser.parse_args(argv)
    if not args.by.strip():
        print("--by needs your name: the audit says who asked.", file=sys.stderr)
        return 2

    try:
        settings = Settings.from_env()
        keys = settings.data_keys()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    rights = subject_rights(connect(settings.database_url, keys), keys, settings.endpoints_file)
    by = args.by.strip()

    if args.command == "export":
        try:
            if args.account:
                platform, account = parse_account(args.account)
                held = rights.export_account(platform, account, by, now())
            else:
                held = rights.export_tenancy(args.tenancy, by, now())
        except UnknownSubject as error:
            print(error, file=sys.stderr)
            return 2
        text = export_json(held)
        if args.out is None:
            sys.stdout.write(text)
        else:
            write_private(args.out, text)
            count = len(held["conversations"])
            print(
                f"Wrote {args.out}: {count} conversations. It holds personal details: keep it safe."
            )
        return 0

    conversation = args.conversation.strip()
    if not args.yes:
        answer = ask(
            f"Erase conversation {conversation} everywhere it is kept? This cannot be undone."
            " Type yes to erase: "
        )
        if answer.strip().lower() != "yes":
            print("Nothing erased.")
            return 1
    erasure = rights.erase_conversation(conversation, by, now())
    print(f"Erased conversation {conversation}: {erasure.total} records removed.")
    for place, count in erasure.removed.items():
        print(f"  {place}: {count}")
    return 0


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable and writable by its owner only (0600), even
    where the file was there before with wider permissions."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)


if __name__ == "__main__":
    sys.exit(main())
