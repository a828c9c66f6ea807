"""The store's keys (P9): make them, rotate them, retire the old ones.

Usage:
    python -m scripts.keys new              print a fresh ENCRYPTION_KEYS and LOOKUP_KEY
    python -m scripts.keys rotate           a new key first in ENCRYPTION_KEYS in .env (the
                                            old ones kept after it), then everything
                                            re-encrypted under it
    python -m scripts.keys rotate --resume  re-encrypt everything under the first key
                                            (what an interrupted rotation runs again)
    python -m scripts.keys retire           drop the old keys from .env, once nothing is
                                            left that needs them

Between `rotate` and `retire`, restart the running processes so that they encrypt with
the new key: `retire` refuses while anything is still under an old one.

`.env` is only ever replaced whole (a new file, mode 600, synced, renamed over it, the
folder synced), so an interruption leaves the old one or the new one, never half of
one; writers hold an exclusive lock on `.env.lock` meanwhile, so two at once lose
nothing.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import secrets
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, List, Mapping, Sequence, TextIO

from dotenv import dotenv_values
from sqlalchemy.engine import make_url

from bot.keys import DataKeys, Undecryptable, new_encryption_key, new_lookup_key
from bot.privacy.logs import protect_logs
from bot.protection.conversations import NoTrackerStore, tracker_engine
from bot.protection.rotation import (
    LIVE,
    encrypting_under_old,
    left_under_old_keys,
    not_holding,
    rotate_everything,
)
from bot.protection.upgrade import upgrade_installation
from bot.settings import PROJECT_ROOT, Settings, SettingsError
from bot.store import clear_write_ahead_log, connect

ENV_FILE = PROJECT_ROOT / ".env"
# Sandbox mode's store (scripts/run.py gives it to the servers unless DATABASE_URL is
# set): a second store of the installation, under the same keys, whenever it exists.
SANDBOX_STORE = PROJECT_ROOT / "var" / "sandbox.db"
ENV_HEADER = (
    "# This machine's secrets (P9), written by `make run`: readable by this user only\n"
    '# (mode 600), never committed. README.md, "Keys".\n'
)


class EnvFileError(RuntimeError):
    """`.env` cannot be written safely (a symlink where it should be, for one)."""


def write_new(path: Path, text: str) -> None:
    """Create `path` holding `text`, mode 600 from the start (never readable by others,
    even for a moment); refuses if anything, a symlink included, is already there."""
    try:
        descriptor = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
    except FileExistsError as error:
        raise EnvFileError(f"{path} is in the way (a symlink?): not written") from error
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())


def update_env_file(path: Path, values: Mapping[str, str]) -> None:
    """Set `values` in the dotenv file `path`, keeping every other line as it was.

    A missing file is created (mode 600); an existing one is replaced atomically by a
    new file (mode 600, `.env.<random>.new`, ignored by git) renamed over it, the file
    and then its folder synced to disk. Writers take turns (an exclusive lock on
    `.env.lock` beside it), so `make run` and `keys rotate` at once lose nothing.
    """
    if not values:
        return
    with env_lock(path):
        update_while_locked(path, values)


@contextmanager
def env_lock(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of the dotenv file `path` (`<name>.lock` beside it): what
    is read of it meanwhile is still so when `update_while_locked` writes."""
    lock = path.with_name(f"{path.name}.lock")
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing it releases the lock


def update_while_locked(path: Path, values: Mapping[str, str]) -> None:
    """`update_env_file`, for a caller that holds `env_lock(path)` already."""
    if not os.path.lexists(path):
        write_new(path, ENV_HEADER + "".join(f"{k}={v}\n" for k, v in values.items()))
        _sync_folder(path)
        return
    if path.is_symlink():
        raise EnvFileError(f"{path} is a symlink: not rewritten")
    lines: List[str] = []
    written = set()
    for line in path.read_text().splitlines(keepends=True):
        name = _name(line)
        if name in values:
            if name not in written:
                lines.append(f"{name}={values[name]}\n")
                written.add(name)
            continue
        lines.append(line)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines.extend(f"{k}={v}\n" for k, v in values.items() if k not in written)
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(6)}.new")
    write_new(temporary, "".join(lines))
    try:
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(path)


def _sync_folder(path: Path) -> None:
    """Make the new name in `path`'s folder durable: a crash now keeps the new file."""
    descriptor = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _name(line: str) -> str | None:
    """The variable a dotenv line sets, if any."""
    text = line.strip()
    if not text or text.startswith("#") or "=" not in text:
        return None
    name = text.split("=", 1)[0].strip()
    if name.startswith("export "):
        name = name[len("export ") :].strip()
    return name


def main(
    argv: List[str] | None = None,
    out: TextIO = sys.stdout,
    env_file: Path = ENV_FILE,
    environ: Mapping[str, str] | None = None,
    sandbox_store: Path = SANDBOX_STORE,
) -> int:
    """Run one command on the settings of `environ` (default: the process environment)
    and `env_file`; 0 when done, 2 when refused (the reason on stderr).

    `rotate` and `retire` go through `sandbox_store` too when it exists (sandbox mode's
    store: its servers record their keys there, and encrypt their data there)."""
    protect_logs()
    environ = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(description="The store's encryption keys (P9).")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("new", help="print a fresh ENCRYPTION_KEYS and LOOKUP_KEY")
    rotate = commands.add_parser("rotate", help="a new key, then re-encrypt everything")
    rotate.add_argument(
        "--resume", action="store_true", help="re-encrypt under the current first key only"
    )
    commands.add_parser("retire", help="drop the old keys once nothing needs them")
    commands.add_parser("upgrade", help="encrypt and key what an earlier release kept in clear")
    args = parser.parse_args(argv)
    if args.command == "new":
        print(f"ENCRYPTION_KEYS={new_encryption_key()}", file=out)
        print(f"LOOKUP_KEY={new_lookup_key()}", file=out)
        return 0
    try:
        settings = Settings.from_env(environ, env_file).require("ENCRYPTION_KEYS", "LOOKUP_KEY")
        given = bool(environ.get("ENCRYPTION_KEYS"))
        if args.command == "rotate":
            return _rotate(settings, args.resume, env_file, given, out, sandbox_store)
        if args.command == "upgrade":
            done = upgrade_installation(
                settings.database_url, settings.data_keys(), settings.endpoints_file
            )
            print(
                f"==> Encrypted {done.encrypted}, keyed {done.rekeyed}, deleted {done.deleted}",
                file=out,
            )
            return 0
        return _retire(settings, env_file, given, out, sandbox_store)
    except (SettingsError, EnvFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Undecryptable:
        print(
            "error: some stored data opens with none of the keys in ENCRYPTION_KEYS: put "
            "back the key it was written under (after the first) and run this again",
            file=sys.stderr,
        )
        return 2


def _rotate(
    settings: Settings,
    resume: bool,
    env_file: Path,
    given: bool,
    out: TextIO,
    sandbox_store: Path = SANDBOX_STORE,
) -> int:
    keys = settings.data_keys()
    if not resume:
        if given:
            raise SettingsError(
                "ENCRYPTION_KEYS is set in the environment, not only in .env, so this cannot "
                "change it: put a new key (python -m scripts.keys new) first in it, keep the "
                "old ones after it, restart, then run `python -m scripts.keys rotate --resume`"
            )
        newest = (new_encryption_key(), *settings.encryption_keys)
        _replace_keys(env_file, settings.encryption_keys, newest)
        keys = DataKeys(newest, settings.lookup_key).with_older(
            [settings.outbox_key, settings.security_answers_key]
        )
        print(
            "==> A new key is first in ENCRYPTION_KEYS in .env; the old ones stay after it.",
            file=out,
        )
    stores, tracker = _engines(settings, keys, out, sandbox_store)
    now = datetime.now(timezone.utc)
    waiting = sorted({k for s in stores for k in not_holding(s, keys.encryption_keys[0], now)})
    if waiting:
        # Data under a key they do not hold would stop them (P9): nothing is re-encrypted.
        print(
            f"error: still running on the old keys: {_kinds(waiting)}. Restart "
            f"{'it' if len(waiting) == 1 else 'them'} (make run again) so that "
            "the new key in .env is read, then run `python -m scripts.keys rotate --resume`"
            " (a process stopped without saying so stops counting after "
            f"{int(LIVE.total_seconds() // 60)} minutes)",
            file=sys.stderr,
        )
        return 2
    print("==> Re-encrypting everything under the first key", file=out, flush=True)
    for position, store in enumerate(stores):
        # The tracker store is one, whichever store the servers used.
        done = rotate_everything(store, keys, tracker if position == 0 else None)
        clear_write_ahead_log(store)  # the old ciphertext goes from its log too
        where = "" if position == 0 else " (sandbox store)"
        for table in sorted({*done.rewritten, *done.current}):
            print(
                f"    {table}{where}: {done.rewritten.get(table, 0)} re-encrypted, "
                f"{done.current.get(table, 0)} already current",
                file=out,
            )
    print(
        "==> Done. Restart the running processes (they keep the keys they started with), "
        "then run `python -m scripts.keys retire`.",
        file=out,
    )
    return 0


def _retire(
    settings: Settings,
    env_file: Path,
    given: bool,
    out: TextIO,
    sandbox_store: Path = SANDBOX_STORE,
) -> int:
    keys = settings.data_keys()
    stores, tracker = _engines(settings, keys, out, sandbox_store)
    now = datetime.now(timezone.utc)
    behind = sorted(
        {k for s in stores for k in encrypting_under_old(s, keys.encryption_keys[0], now)}
    )
    if behind and len(settings.encryption_keys) > 1:
        print(
            f"error: still encrypting under an old key: {_kinds(behind)}. Restart "
            f"{'it' if len(behind) == 1 else 'them'} (make run again), run "
            "`python -m scripts.keys rotate --resume`, then this again.",
            file=sys.stderr,
        )
        return 2
    left: dict = {}
    for position, store in enumerate(stores):
        found = left_under_old_keys(store, keys, tracker if position == 0 else None)
        for table, count in found.items():
            left[table] = left.get(table, 0) + count
    if left:
        where = ", ".join(f"{table} ({count})" for table, count in sorted(left.items()))
        print(
            f"error: still under an old key: {where}. Restart any process still running on "
            "the old keys, run `python -m scripts.keys rotate --resume`, then this again.",
            file=sys.stderr,
        )
        return 2
    if len(settings.encryption_keys) == 1:
        print("==> Nothing to retire: ENCRYPTION_KEYS holds one key.", file=out)
        return 0
    if given:
        print(
            "==> Nothing is left under an old key: ENCRYPTION_KEYS is set in the environment, "
            "so keep only its first key there yourself.",
            file=out,
        )
        return 0
    _replace_keys(env_file, settings.encryption_keys, settings.encryption_keys[:1])
    retired = len(settings.encryption_keys) - 1
    print(f"==> {retired} old key(s) dropped from ENCRYPTION_KEYS in .env.", file=out)
    return 0


def _replace_keys(env_file: Path, read: Sequence[str], keys: Sequence[str]) -> None:
    """Put `keys` in ENCRYPTION_KEYS in `env_file`, under its lock, only if it still holds
    the keys this run `read` (two rotations at once must not drop each other's key)."""
    with env_lock(env_file):
        now = dotenv_values(env_file).get("ENCRYPTION_KEYS") or ""
        if [k.strip() for k in now.split(",") if k.strip()] != list(read):
            raise SettingsError(
                "ENCRYPTION_KEYS in .env changed while this ran (another rotation?): "
                "nothing written; run this again"
            )
        update_while_locked(env_file, {"ENCRYPTION_KEYS": ",".join(keys)})


def _kinds(kinds: List[str]) -> str:
    """The kinds of process, as the error names them: "the console, the action server"."""
    return ", ".join(f"the {kind}" for kind in kinds)


def _engines(
    settings: Settings, keys: DataKeys, out: TextIO, sandbox_store: Path = SANDBOX_STORE
) -> tuple:
    """The installation's stores (the project's, then the sandbox's if it exists and is
    another one) and the tracker store (None if it is not a SQL one)."""
    stores = [connect(settings.database_url, keys)]
    if sandbox_store.exists() and not _same_file(settings.database_url, sandbox_store):
        stores.append(connect(f"sqlite:///{sandbox_store}", keys))
    try:
        tracker = tracker_engine(settings.endpoints_file)
    except NoTrackerStore as error:
        print(f"    (no SQL tracker store to go through: {error})", file=out)
        tracker = None
    return stores, tracker


def _same_file(database_url: str, path: Path) -> bool:
    """Whether `database_url` is the SQLite file `path`."""
    parsed = make_url(database_url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return False
    try:
        return Path(parsed.database).resolve() == path.resolve()
    except OSError:
        return False


def requiring_keys(command: Callable[[], int]) -> int:
    """Run a command's `main` only if the store's keys are set (every command that reads
    or writes the store); 2 and the reason, naming what is missing, otherwise."""
    try:
        Settings.from_env().require("ENCRYPTION_KEYS", "LOOKUP_KEY")
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return command()


if __name__ == "__main__":
    sys.exit(main())
