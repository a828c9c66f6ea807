"""What `make run` decides before it starts anything."""

import os
import stat
import subprocess

import pytest
from cryptography.fernet import Fernet
from dotenv import dotenv_values

from bot.sandbox.mode import sandbox_env
from bot.settings import Settings
from scripts.keys import EnvFileError
from scripts.run import (
    ROOT,
    banner,
    rest_channel_on_unless_set,
    sandbox_unless_platforms,
    secrets_line,
    write_secrets,
)

SECRETS = ("ENCRYPTION_KEYS", "LOOKUP_KEY", "RASA_API_TOKEN", "CONSOLE_SESSION_SECRET")


@pytest.mark.parametrize(
    "environ, dotenv, expected",
    [
        ({}, "", True),  # local chat: on
        ({"REST_CHANNEL": "off"}, "", False),
        ({}, "REST_CHANNEL=off\n", False),  # an operator's .env stands
        ({"REST_CHANNEL": "on"}, "REST_CHANNEL=off\n", True),  # the environment wins
    ],
)
def test_make_run_turns_the_rest_channel_on_unless_it_is_set(tmp_path, environ, dotenv, expected):
    env_file = tmp_path / ".env"
    env_file.write_text(dotenv)
    environ = dict(environ)
    rest_channel_on_unless_set(environ, env_file)
    assert Settings.from_env(environ, dotenv_path=env_file).rest_channel is expected


@pytest.mark.parametrize("value", [None, "", "off", "no", "0", "false"])
def test_the_rest_channel_is_off_unless_turned_on(tmp_path, value):
    environ = {} if value is None else {"REST_CHANNEL": value}
    assert Settings.from_env(environ, dotenv_path=tmp_path / "none").rest_channel is False


def test_the_sandbox_keeps_its_own_store(tmp_path):
    # Sandbox handoffs, strikes and blocks never mix with a real store's.
    real = Settings.from_env({}, dotenv_path=tmp_path / "none").database_url
    environ = {}
    assert sandbox_unless_platforms(environ, tmp_path / "none")
    sandbox = Settings.from_env(environ, dotenv_path=tmp_path / "none")
    assert sandbox.database_url == f"sqlite:///{ROOT / 'var' / 'sandbox.db'}" != real


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_a_store_given_explicitly_is_used_in_sandbox_mode_too(tmp_path, where):
    given = f"sqlite:///{tmp_path / 'mine.db'}"
    env_file = tmp_path / ".env"
    env_file.write_text(f"DATABASE_URL={given}\n" if where == ".env" else "")
    environ = {"DATABASE_URL": given} if where == "environment" else {}
    assert sandbox_unless_platforms(environ, env_file)
    assert Settings.from_env(environ, dotenv_path=env_file).database_url == given


def test_outside_sandbox_mode_the_store_is_the_usual_one(tmp_path):
    environ = {"FACEBOOK_APP_SECRET": "s"}
    assert not sandbox_unless_platforms(environ, tmp_path / "none")
    assert "DATABASE_URL" not in environ


def test_the_banner_says_alerts_are_off_in_sandbox_mode(tmp_path):
    class Running:
        rasa_url = action_url = console_url = "http://127.0.0.1:5005"

    on = Settings.from_env(sandbox_env(5080), dotenv_path=tmp_path / "none")
    assert "Alerts:         off in sandbox mode" in banner(Running(), on, "file")
    off = Settings.from_env({}, dotenv_path=tmp_path / "none")
    assert "Alerts:         off" not in banner(Running(), off, "file")


# P9: the secrets, in a .env of this machine's own.


def mode(path):
    return stat.S_IMODE(path.lstat().st_mode)


def write(tmp_path, environ=None):
    return write_secrets(
        tmp_path / ".env",
        environ or {},
        tmp_path / "var" / "rasa-api-token",
        tmp_path / "var" / "outbox-key",
    )


def test_the_first_run_writes_every_secret_to_a_env_only_its_user_can_read(tmp_path):
    old_umask = os.umask(0)  # even with a umask that lets everyone read what is made
    try:
        assert sorted(write(tmp_path)) == sorted(SECRETS)
    finally:
        os.umask(old_umask)
    env_file = tmp_path / ".env"
    assert mode(env_file) == 0o600
    values = dotenv_values(env_file)
    assert all(values[name] for name in SECRETS)
    settings = Settings.from_env({}, env_file)
    keys = settings.data_keys()
    assert keys.decrypt(keys.encrypt("07700 900123")) == "07700 900123"
    assert settings.require(*SECRETS, notice=pytest.fail) is settings
    # Nothing is kept under var/ any more.
    assert not (tmp_path / "var").exists()


def test_a_second_run_keeps_the_secrets_it_wrote(tmp_path):
    write(tmp_path)
    first = (tmp_path / ".env").read_text()
    assert write(tmp_path) == []
    assert (tmp_path / ".env").read_text() == first


def test_only_the_missing_secrets_are_added_and_every_other_line_is_kept(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# my settings\nREST_CHANNEL=off\nLOOKUP_KEY=kept-as-it-was\nSMTP_HOST=mail"
    )
    os.chmod(env_file, 0o644)
    before = env_file.stat().st_ino
    added = write(tmp_path, {"RASA_API_TOKEN": "given-in-the-environment"})
    assert sorted(added) == ["CONSOLE_SESSION_SECRET", "ENCRYPTION_KEYS"]
    text = env_file.read_text()
    assert text.startswith(
        "# my settings\nREST_CHANNEL=off\nLOOKUP_KEY=kept-as-it-was\nSMTP_HOST=mail\n"
    )
    assert "RASA_API_TOKEN" not in text  # given in the environment: not written
    assert env_file.stat().st_ino != before  # a new file renamed over it, not rewritten in place
    assert mode(env_file) == 0o600
    # No temporary file left (the lock file, empty, stays for the next writer).
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env", ".env.lock"]
    assert (tmp_path / ".env.lock").read_text() == ""


def test_a_env_readable_by_others_is_made_private_even_with_nothing_to_add(tmp_path):
    write(tmp_path)
    os.chmod(tmp_path / ".env", 0o644)
    assert write(tmp_path) == []
    assert mode(tmp_path / ".env") == 0o600


def test_a_symlink_where_env_should_be_is_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (tmp_path / ".env").symlink_to(elsewhere)
    with pytest.raises(EnvFileError):
        write(tmp_path)
    assert not elsewhere.exists()


def test_what_an_older_release_kept_under_var_is_carried_over_and_stays_readable(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "rasa-api-token").write_text("the-old-token\n")
    outbox_key = Fernet.generate_key().decode()
    (var / "outbox-key").write_text(outbox_key + "\n")
    sealed_before = "fernet:" + Fernet(outbox_key).encrypt(b"dead letter").decode()
    write(tmp_path)
    values = dotenv_values(tmp_path / ".env")
    assert values["RASA_API_TOKEN"] == "the-old-token"
    assert values["OUTBOX_KEY"] == outbox_key
    # Without var/ at all, what the old key sealed still opens with the settings' keys.
    (var / "outbox-key").unlink()
    keys = Settings.from_env({}, tmp_path / ".env").data_keys()
    assert keys.decrypt(sealed_before) == "dead letter"


def test_the_env_file_is_ignored_by_git():
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT)
    assert ignored.returncode == 0


def test_the_banner_says_where_the_secrets_are(tmp_path):
    class Running:
        rasa_url = action_url = console_url = "http://127.0.0.1:5005"

    settings = Settings.from_env({}, dotenv_path=tmp_path / "none")
    text = banner(Running(), settings, "RASA_API_TOKEN in .env", secrets_where=secrets_line({}))
    assert "Secrets:        .env (mode 600" in text
    assert "LOOKUP_KEY from the environment" in secrets_line({"LOOKUP_KEY": "k"})


def test_what_a_write_of_env_cut_short_leaves_behind_is_ignored_by_git(tmp_path):
    # update_env_file writes the whole new .env beside it first, then renames it over.
    for name in (".env.3f9a0c1b2d4e.new", ".env.lock", ".env.production"):
        ignored = subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT)
        assert ignored.returncode == 0, name
    committed = subprocess.run(
        ["git", "ls-files", ".env*"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert all(not name.startswith(".env") or name.endswith(".example") for name in committed)


def test_the_new_env_reaches_the_disk_before_and_after_it_is_renamed(tmp_path, monkeypatch):
    from scripts import keys

    env_file = tmp_path / ".env"
    env_file.write_text("A=1\n")
    synced = []
    real_fsync = os.fsync

    def fsync(descriptor):
        info = os.fstat(descriptor)
        synced.append(("dir" if stat.S_ISDIR(info.st_mode) else "file", env_file.exists()))
        real_fsync(descriptor)

    monkeypatch.setattr(keys.os, "fsync", fsync)
    keys.update_env_file(env_file, {"B": "2"})
    assert dotenv_values(env_file) == {"A": "1", "B": "2"}
    kinds = [kind for kind, _ in synced]
    assert "file" in kinds and kinds[-1] == "dir"  # the rename itself made durable


def test_two_writers_of_env_at_once_lose_nothing(tmp_path):
    import threading

    from scripts import keys

    env_file = tmp_path / ".env"
    env_file.write_text("KEPT=1\n")
    errors = []

    def write(n):
        try:
            for i in range(15):
                keys.update_env_file(env_file, {f"W{n}_{i}": "x"})
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert not errors
    values = dotenv_values(env_file)
    assert values["KEPT"] == "1"
    assert {f"W{n}_{i}" for n in range(4) for i in range(15)} <= set(values)


def test_a_writer_of_env_waits_for_the_one_holding_the_lock(tmp_path):
    import fcntl
    import threading

    from scripts import keys

    env_file = tmp_path / ".env"
    env_file.write_text("A=1\n")
    with open(tmp_path / ".env.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        writer = threading.Thread(target=keys.update_env_file, args=(env_file, {"B": "2"}))
        writer.start()
        writer.join(0.5)
        assert writer.is_alive() and "B" not in dotenv_values(env_file)
        fcntl.flock(lock, fcntl.LOCK_UN)
    writer.join(5)
    assert dotenv_values(env_file)["B"] == "2"


def test_the_servers_run_with_the_endpoints_file_the_commands_read(tmp_path):
    import yaml

    from scripts.processes import Assistant

    endpoints = tmp_path / "endpoints-elsewhere.yml"
    tracker = {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    endpoints.write_text(yaml.safe_dump({"tracker_store": tracker}))
    settings = Settings.from_env({"ENDPOINTS_FILE": str(endpoints)}, tmp_path / "no.env")
    assistant = Assistant(
        project=ROOT, venv_bin=ROOT, model=ROOT, endpoints=settings.endpoints_file
    )
    arguments = assistant.rasa_arguments()
    try:
        used = yaml.safe_load(open(arguments[arguments.index("--endpoints") + 1]))
        assert used["tracker_store"] == tracker
    finally:
        assistant.stop()


def test_servers_that_share_conversations_share_the_lock_store_they_are_given(tmp_path):
    import yaml

    from scripts.processes import Assistant

    lock = {"type": "redis", "url": "127.0.0.1", "port": 6390, "db": 0}
    shared, alone = (
        Assistant(project=ROOT, venv_bin=ROOT, model=ROOT, tracker_db=tmp_path / "t.db", **extra)
        for extra in ({"lock_store": lock}, {})
    )
    try:
        used = [
            yaml.safe_load(open(a.rasa_arguments()[a.rasa_arguments().index("--endpoints") + 1]))
            for a in (shared, alone)
        ]
        assert used[0]["lock_store"] == lock
        # Without one, endpoints.yml's (none: Rasa's in-memory lock, one server).
        assert "lock_store" not in used[1]
    finally:
        shared.stop()
        alone.stop()


def test_two_first_runs_at_once_do_not_overwrite_each_others_keys(tmp_path, monkeypatch):
    import threading
    import time

    from scripts import run as run_script

    env_file = tmp_path / ".env"
    make_key = run_script.new_encryption_key
    made = {}

    def slowly():
        # Each writer takes a while to make its key: both would have read .env before
        # either wrote, had they not taken turns.
        key = make_key()
        made[threading.current_thread().name] = key
        time.sleep(0.3)
        return key

    monkeypatch.setattr(run_script, "new_encryption_key", slowly)
    wrote = {}

    def first_run(name):
        wrote[name] = write_secrets(
            env_file, {}, tmp_path / "no-token", outbox_key_file=tmp_path / "no-outbox-key"
        )

    writers = [threading.Thread(target=first_run, args=(n,), name=n) for n in ("a", "b")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(10)
    # One made the keys; the other found them and kept them: the keys the first one's
    # servers start with are the keys the store is written under.
    first = [name for name, names in wrote.items() if "ENCRYPTION_KEYS" in names]
    assert len(first) == 1, wrote
    assert dotenv_values(env_file)["ENCRYPTION_KEYS"] == made[first[0]]
    assert wrote[({"a", "b"} - set(first)).pop()] == []
