"""Staff accounts for the console, from the command line.

Usage:
    python -m scripts.staff add NAME --role ROLE   # asks for the password (twice)
    python -m scripts.staff list
    python -m scripts.staff set-password NAME      # also unlocks the account
    python -m scripts.staff set-role NAME ROLE
    python -m scripts.staff disable NAME           # signs them out too
    python -m scripts.staff enable NAME

ROLE is one of communications, customer_experience, repairs, neighbourhoods, admin,
trainer (the trainer pages only: what the assistant missed, the NLU report).
A password is typed without being shown (getpass), or read from the first line of
standard input with --password-stdin (for scripts); it is never an argument, which
other users of the machine could read. At least 10 characters; only its scrypt hash is
kept. Every change is written to the console's audit.

`make run` creates the first account itself ("admin", with a random password written
to var/console-admin-password) when there is none.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, List, TextIO

from bot.console.accounts import AccountError, Role, StaffAccounts
from bot.console.audit import ConsoleAudit
from bot.console.sessions import Sessions
from bot.privacy.logs import protect_logs
from bot.settings import Settings
from bot.store import connect

FIRST_ADMIN = "admin"


def main(
    argv: List[str] | None = None,
    stdin: TextIO | None = None,
    ask: Callable[[str], str] = getpass.getpass,
) -> int:
    """Run one command; 0 when done, 2 when refused (the reason on stderr)."""
    protect_logs()
    parser = argparse.ArgumentParser(description="Staff accounts for the console.")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create an account")
    add.add_argument("name")
    add.add_argument("--role", required=True, help=", ".join(role.value for role in Role))
    add.add_argument("--password-stdin", action="store_true")
    commands.add_parser("list", help="every account, its role and state")
    password = commands.add_parser("set-password", help="give an account a new password")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true")
    role = commands.add_parser("set-role", help="give an account another role")
    role.add_argument("name")
    role.add_argument("role")
    for command, text in (("disable", "stop an account signing in"), ("enable", "undo disable")):
        commands.add_parser(command, help=text).add_argument("name")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    engine = connect(settings.database_url, settings.data_keys())
    accounts, sessions, audit = StaffAccounts(engine), Sessions(engine), ConsoleAudit(engine)
    now = datetime.now(timezone.utc)
    who = f"command line ({_user()})"
    try:
        if args.command == "list":
            for account in accounts.all():
                state = "disabled" if account.disabled else "active"
                if account.locked(now):
                    state = f"locked until {account.locked_until:%H:%M} UTC"
                print(f"{account.name:24} {account.role.value:20} {state}")
            return 0
        if args.command == "add":
            chosen = Role.parse(args.role)
            secret = _password(args.password_stdin, stdin or sys.stdin, ask)
            accounts.create(args.name, secret, chosen, now)
            audit.record(now, who, "account_created", args.name.strip(), {"role": chosen.value})
            print(f"Account {args.name.strip()} created ({chosen.label}).")
        elif args.command == "set-password":
            if accounts.get(args.name) is None:
                raise AccountError(f"there is no account called {args.name}")
            accounts.set_password(
                args.name, _password(args.password_stdin, stdin or sys.stdin, ask)
            )
            sessions.end_all(args.name)
            audit.record(now, who, "account_password_reset", args.name)
            print(f"{args.name}'s password changed; they are signed out everywhere.")
        elif args.command == "set-role":
            chosen = Role.parse(args.role)
            accounts.set_role(args.name, chosen)
            audit.record(now, who, "account_role_changed", args.name, {"role": chosen.value})
            print(f"{args.name} is now {chosen.label}.")
        elif args.command == "disable":
            accounts.disable(args.name)
            sessions.end_all(args.name)
            audit.record(now, who, "account_disabled", args.name)
            print(f"{args.name} can no longer sign in.")
        elif args.command == "enable":
            accounts.enable(args.name)
            audit.record(now, who, "account_enabled", args.name)
            print(f"{args.name} can sign in again.")
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _password(from_stdin: bool, stdin: TextIO, ask: Callable[[str], str]) -> str:
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    first = ask("Password: ")
    if ask("Password again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown user"


def first_admin(accounts: StaffAccounts, password_file: Path, now: datetime) -> str | None:
    """With no staff account yet, create "admin" with a random password, written once to
    `password_file` (mode 600, readable by this user only). Returns the password file's
    path when it made the account, else None (there are accounts already).

    The file is made new (never an existing file, never through a symbolic link) before
    the account, so the password has somewhere to go, and written once the account
    exists.

    Raises:
        AccountError: the file (or a link) is already there; no account is made.
    """
    if accounts.any():
        return None
    password = secrets.token_urlsafe(18)
    password_file.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        descriptor = os.open(password_file, flags, 0o600)
    except FileExistsError as error:
        raise AccountError(
            f"{password_file} is already there, and there is no staff account: it is left"
            " as it is. Delete it to have an admin account made, or make one with"
            " python -m scripts.staff add NAME --role admin"
        ) from error
    except OSError as error:  # a link (O_NOFOLLOW), or a folder it cannot write to
        raise AccountError(f"{password_file} cannot be made: {error.strerror}") from error
    with os.fdopen(descriptor, "w") as out:
        try:
            accounts.create(FIRST_ADMIN, password, Role.ADMIN, now)
        except BaseException:
            out.close()
            password_file.unlink()
            raise
        out.write(
            f"# The console's first account: name {FIRST_ADMIN}. Sign in, create accounts"
            " for staff on the Accounts page, then change this password"
            " (python -m scripts.staff set-password admin) and delete this file.\n"
        )
        out.write(password + "\n")
    return str(password_file)


if __name__ == "__main__":
    from scripts.keys import requiring_keys

    sys.exit(requiring_keys(main))
