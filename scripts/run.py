"""Start the assistant (action server, Rasa server, staff API) and keep it running until
stopped.

Usage: python scripts/run.py   (what `make run` calls once set-up and training are done)

Ctrl-C, SIGTERM (how systemd and container runtimes stop a service) and SIGHUP (the
terminal closed) all stop both servers before this exits. The REST channel is on for
local chat unless REST_CHANNEL says otherwise.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Mapping, MutableMapping

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.console.accounts import AccountError, StaffAccounts  # noqa: E402
from bot.keys import new_encryption_key, new_lookup_key  # noqa: E402
from bot.platforms.registry import KITS  # noqa: E402
from bot.privacy.logs import protect_logs  # noqa: E402
from bot.protection.upgrade import upgrade_installation  # noqa: E402
from bot.sandbox.mode import platform_settings, sandbox_env  # noqa: E402
from bot.settings import OUTBOX_KEY_FILE, SECRETS, Settings  # noqa: E402
from bot.store import connect  # noqa: E402
from bot.tenancy.records import TenancyRepository, load_tenancies  # noqa: E402
from scripts.keys import (  # noqa: E402
    SANDBOX_STORE,
    EnvFileError,
    env_lock,
    update_while_locked,
)
from scripts.processes import Assistant, StartError  # noqa: E402
from scripts.simulate import simulator_env  # noqa: E402
from scripts.staff import first_admin  # noqa: E402

BANNER = """
==> The assistant is running.
    Rasa server:    {rasa}
    Action server:  {actions}/webhook
{talk}    Rasa HTTP API:  {rasa}/conversations/<id>/tracker?token=...   (token: {token_source})
    Secrets:        {secrets}
    Staff console:  {console}/   (sign in: {sign_in}; docs/staff.md)
    Staff API:      {console}/api/handoffs   (bearer tokens: {staff_tokens}; docs/staff.md)
    Demo tenancies: see docs/staff.md ("Demo tenancies") for checks that pass and fail
    Stop it:        Ctrl-C (or SIGTERM)
"""
TALK = """    REST channel:   on, for local chat (REST_CHANNEL=off turns it off):
                    POST {rasa}/webhooks/rest/webhook; conversations are rest-<sender>
    Talk to it:     make chat            (in another terminal)
               or:  curl -s -X POST {rasa}/webhooks/rest/webhook \\
                      -H 'Content-Type: application/json' \\
                      -d '{{"sender": "tenant-1", "message": "hi"}}'
"""
TALK_OFF = """    REST channel:   off (REST_CHANNEL=on turns it on for make chat)
"""
SANDBOX = """    Sandbox:        {console}/sandbox   (sign in to the staff app: Facebook, X,
                    Instagram, YouTube and LinkedIn as a tenant sees them, answered by
                    the assistant; docs/staff.md "Sandbox")
    Alerts:         off in sandbox mode (no staff email or webhook leaves the machine)
"""
ENV_FILE = ROOT / ".env"
# What older releases kept under var/ instead of .env: carried over by `write_secrets`.
TOKEN_FILE = ROOT / "var" / "rasa-api-token"
STAFF_TOKENS_FILE = ROOT / "var" / "staff-api-tokens"
ADMIN_PASSWORD_FILE = ROOT / "var" / "console-admin-password"


def write_secrets(
    env_file: Path,
    environ: Mapping[str, str],
    token_file: Path = TOKEN_FILE,
    outbox_key_file: Path = OUTBOX_KEY_FILE,
) -> list[str]:
    """Put in `env_file` (.env) each secret the processes need that neither it nor
    `environ` holds yet, and return their names (P9).

    ENCRYPTION_KEYS and LOOKUP_KEY (the store's keys), RASA_API_TOKEN and
    CONSOLE_SESSION_SECRET: made new, except what an older release kept under var/ (its
    Rasa API token; its outbox key, kept as OUTBOX_KEY so that what it sealed stays
    readable). A new .env is created mode 600; an existing one keeps every other line
    and is replaced atomically, mode 600 too (scripts/keys.py, `update_env_file`). What
    is there is read, and what is missing written, under .env's lock.
    """
    made = {
        "ENCRYPTION_KEYS": new_encryption_key,
        "LOOKUP_KEY": new_lookup_key,
        "RASA_API_TOKEN": lambda: _read(token_file) or secrets.token_urlsafe(32),
        "CONSOLE_SESSION_SECRET": lambda: secrets.token_urlsafe(32),
    }
    # What is there is read under the lock: two first runs at once must not each make
    # keys, the second writing over the first's (whose servers would hold lost keys).
    with env_lock(env_file):
        present = (
            {k for k, v in dotenv_values(env_file).items() if v} if env_file.exists() else set()
        )
        wanted = {
            name: made[name]() for name in SECRETS if not environ.get(name) and name not in present
        }
        outbox_key = _read(outbox_key_file)
        if outbox_key and not environ.get("OUTBOX_KEY") and "OUTBOX_KEY" not in present:
            wanted["OUTBOX_KEY"] = outbox_key
        if wanted:
            update_while_locked(env_file, wanted)
    if env_file.exists() and not env_file.is_symlink() and env_file.stat().st_mode & 0o077:
        # Written by hand before: secrets readable by others are no secrets.
        os.chmod(env_file, 0o600)
        print(f"==> {_shown(env_file)} was readable by others: now by you only", flush=True)
    return list(wanted)


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def secrets_line(environ: Mapping[str, str], env_file: Path = ENV_FILE) -> str:
    """Where the processes' secrets are, for the banner."""
    given = [name for name in SECRETS if environ.get(name)]
    where = f'{_shown(env_file)} (mode 600, never committed; README.md "Keys")'
    if given:
        where += f"; {', '.join(given)} from the environment"
    return where


def staff_tokens(settings: Settings, environ: MutableMapping[str, str]) -> str:
    """Where the staff API's tokens come from, making one if none is configured.

    Without STAFF_API_TOKENS or STAFF_API_TOKENS_FILE, var/staff-api-tokens (mode 600)
    holds a token for "staff", made once and kept, and the staff API is pointed at it.
    """
    if settings.staff_tokens:
        return "STAFF_API_TOKENS"
    if settings.staff_tokens_file is not None:
        return str(settings.staff_tokens_file)
    if not STAFF_TOKENS_FILE.exists():
        STAFF_TOKENS_FILE.parent.mkdir(exist_ok=True)
        descriptor = os.open(STAFF_TOKENS_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write("# name:token, one member of staff a line (docs/staff.md)\n")
            out.write(f"staff:{secrets.token_urlsafe(32)}\n")
    environ["STAFF_API_TOKENS_FILE"] = str(STAFF_TOKENS_FILE)
    return str(STAFF_TOKENS_FILE.relative_to(ROOT))


def channel_lines(settings: Settings) -> str:
    """Which platform channels are on, and what each still needs."""
    lines = []
    for name, missing in ((kit.name, kit.missing(settings)) for kit in KITS.values()):
        state = "on" if not missing else f"off (set {', '.join(missing)})"
        if settings.sandbox and not missing:
            state = "on, played by the sandbox (no real platform)"
        lines.append(f"    {name + ':':15} {state}")
    return "\n".join(lines)


def rest_channel_on_unless_set(environ: MutableMapping[str, str], dotenv_path: Path) -> None:
    """Turn the REST channel on for local chat (make chat), unless REST_CHANNEL is set
    in the environment or in `.env` (an operator's REST_CHANNEL=off stands)."""
    if "REST_CHANNEL" not in environ and "REST_CHANNEL" not in dotenv_values(dotenv_path):
        environ["REST_CHANNEL"] = "on"


def sandbox_unless_platforms(environ: MutableMapping[str, str], dotenv_path: Path) -> bool:
    """Start in sandbox mode when no platform credential is set: none of the FACEBOOK_*,
    TWITTER_*, INSTAGRAM_*, YOUTUBE_* or LINKEDIN_* settings in the environment or in `.env`, and
    SANDBOX not turned off.

    Sets SANDBOX=on and the sandbox's platform settings (bot/sandbox/mode.py) in
    `environ`, which every server inherits, and the sandbox's own store (var/sandbox.db)
    unless DATABASE_URL is set; returns whether it did.
    """
    dotenv = {k: v for k, v in dotenv_values(dotenv_path).items() if v is not None}
    given = {**dotenv, **environ}
    if platform_settings(given) or given.get("SANDBOX", "").lower() in ("off", "false", "0", "no"):
        return False
    port = Settings.from_env(environ, dotenv_path).console_port
    environ.update(sandbox_env(port))
    if not given.get("DATABASE_URL"):
        # Its own store: sandbox handoffs, strikes and blocks never mix with a real one
        # (under the same keys: `python -m scripts.keys` goes through it too).
        environ["DATABASE_URL"] = f"sqlite:///{SANDBOX_STORE}"
    return True


def interrupt_on_stop_signals() -> None:
    """SIGTERM and SIGHUP stop the assistant as Ctrl-C does (KeyboardInterrupt)."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, interrupt)


def ignore_stop_signals() -> None:
    """While the servers are being stopped, another signal must not cut that short."""
    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, signal.SIG_IGN)


def main(argv: list[str] | None = None) -> int:
    protect_logs()
    interrupt_on_stop_signals()
    arguments = argv if argv is not None else sys.argv[1:]
    rest_channel_on_unless_set(os.environ, ROOT / ".env")
    if "--simulator" in arguments:
        # The platforms are the simulator's fakes (make simulate): see scripts/simulate.py.
        os.environ.update(simulator_env())
        print("==> Platforms simulated: run `make simulate` in another terminal", flush=True)
    elif sandbox_unless_platforms(os.environ, ROOT / ".env"):
        print(
            "==> Sandbox mode: no platform credentials are set, so the staff app plays"
            " all five platforms (nothing reaches a real one; SANDBOX=off turns this off)",
            flush=True,
        )
    try:
        added = write_secrets(ENV_FILE, os.environ)
    except (EnvFileError, OSError) as error:
        print(f"error: the secrets could not be written to .env: {error}", file=sys.stderr)
        return 1
    if added:
        print(f"==> Wrote {', '.join(added)} to {_shown(ENV_FILE)} (mode 600)", flush=True)
    settings = Settings.from_env()
    token = settings.rasa_api_token
    token_source = "RASA_API_TOKEN in " + (
        "the environment" if os.environ.get("RASA_API_TOKEN") else _shown(ENV_FILE)
    )
    staff_source = staff_tokens(settings, os.environ)
    sign_in = console_sign_in(settings)
    upgrade_store(settings)
    if settings.demo_tenancies is not None:
        loaded = load_demo_tenancies(settings, settings.demo_tenancies)
        print(f"==> Loaded {len(loaded)} demo tenancies into the store", flush=True)
    assistant = Assistant(
        project=ROOT,
        venv_bin=Path(sys.executable).parent,
        model=ROOT / "models",
        rasa_port=settings.rasa_port,
        action_port=settings.action_port,
        api_token=token,
        rest_channel=settings.rest_channel,
        console_port=settings.console_port,
        # The keys in .env (or the environment), the same at every start: what the
        # store holds stays readable.
        data_keys={
            "ENCRYPTION_KEYS": ",".join(settings.encryption_keys),
            "LOOKUP_KEY": settings.lookup_key or "",
        },
        # ENDPOINTS_FILE, as the commands read it: they go through the same tracker store.
        endpoints=settings.endpoints_file,
    )
    print("==> Starting the action server, the Rasa server and the staff API", flush=True)
    started = time.monotonic()
    try:
        assistant.start()
        where = secrets_line(os.environ)
        print(banner(assistant, settings, token_source, staff_source, sign_in, where), flush=True)
        print(f"    (ready in {time.monotonic() - started:.0f}s)", flush=True)
        while (gone := assistant.exited()) is None:
            time.sleep(1)
        print(f"error: the {gone} server stopped; stopping the other", file=sys.stderr)
        return 1
    except StartError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n==> Stopping", flush=True)
        return 0
    finally:
        # However it ends (Ctrl-C, SIGTERM, a server gone, an error), every server goes.
        ignore_stop_signals()
        assistant.stop()


def upgrade_store(settings: Settings) -> None:
    """Encrypt and key what an earlier release left in clear in the store and the
    tracker store (P9), before any server starts: nothing to remember after an upgrade."""
    done = upgrade_installation(
        settings.database_url, settings.data_keys(), settings.endpoints_file
    )
    if done.anything:
        changed = sum(done.encrypted.values()) + sum(done.rekeyed.values())
        print(f"==> Protected {changed} value(s) an earlier release kept in clear", flush=True)


def load_demo_tenancies(settings: Settings, path: Path) -> List[str]:
    """Load the tenancies in `path` into the store, encrypted under the settings' keys
    (P9) so that the servers find them; returns their references."""
    repository = TenancyRepository(connect(settings.database_url, settings.data_keys()))
    return load_tenancies(path, repository)


def console_sign_in(settings: Settings, environ: Mapping[str, str] = os.environ) -> str:
    """How to sign in to the console: with no staff account yet, an "admin" account is
    made with a random password in var/console-admin-password (mode 600), or the file
    CONSOLE_ADMIN_PASSWORD_FILE names (the tests' throwaway stores keep theirs apart)."""
    password_file = Path(environ.get("CONSOLE_ADMIN_PASSWORD_FILE") or ADMIN_PASSWORD_FILE)
    try:
        made = first_admin(
            StaffAccounts(connect(settings.database_url, settings.data_keys())),
            password_file,
            datetime.now(timezone.utc),
        )
    except AccountError as error:
        print(f"==> No console account was made: {error}", flush=True)
        return "no account yet; python -m scripts.staff add NAME --role admin makes one"
    where = _shown(password_file)
    if made is not None:
        print(f"==> Created the console's first account: admin, password in {where}", flush=True)
        return f"admin, password in {where}"
    if password_file.exists():
        return f"your account, or admin with the password in {where} unless changed"
    return "your account; python -m scripts.staff add NAME --role ROLE makes one"


def _shown(path: Path) -> str:
    """`path` relative to the project when it is in it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def banner(
    assistant: Assistant,
    settings: Settings,
    token_source: str,
    staff_source: str = "",
    sign_in: str = "",
    secrets_where: str = "",
) -> str:
    """What `make run` prints once the servers answer."""
    talk = (TALK if settings.rest_channel else TALK_OFF).format(rasa=assistant.rasa_url)
    text = BANNER.format(
        rasa=assistant.rasa_url,
        actions=assistant.action_url,
        talk=talk,
        token_source=token_source,
        console=assistant.console_url,
        staff_tokens=staff_source,
        sign_in=sign_in,
        secrets=secrets_where,
    )
    hooks = f"    Channels (webhooks at {assistant.rasa_url}/webhooks/<name>/webhook):"
    if settings.sandbox:
        text += SANDBOX.format(console=assistant.console_url)
    return f"{text}{hooks}\n{channel_lines(settings)}"


if __name__ == "__main__":
    sys.exit(main())
