"""Rotating the store's key (P9): everything re-encrypted, nothing lost if interrupted,
the old key dropped only once nothing needs it (`python -m scripts.keys`)."""

import io
import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
import yaml
from dotenv import dotenv_values

from bot.keys import DataKeys, Undecryptable, is_encrypted, new_encryption_key, new_lookup_key
from bot.protection.rotation import encrypted_columns, left_under_old_keys, rotate_everything
from bot.store import Encrypted, connect, metadata
from scripts import keys as keys_command
from tests.helpers import ROOT

TENANTS = [f"tenant {n}: 07700 900{n:03d}, flat {n} Mill Lane" for n in range(60)]

# A table of the same kind as the project's (an Encrypted column beside plain ones),
# with a composite primary key: the rotation goes by whatever key a table has.
notes_meta = sa.MetaData()
notes = sa.Table(
    "rotation_notes",
    notes_meta,
    sa.Column("conversation", sa.String(64), primary_key=True),
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("note", Encrypted, nullable=True),
    sa.Column("kind", sa.String(16)),
)
events = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


def old_and_new():
    lookup = new_lookup_key()
    old = DataKeys([new_encryption_key()], lookup)
    both = DataKeys([new_encryption_key(), *old.encryption_keys], lookup)
    only_new = DataKeys(both.encryption_keys[:1], lookup)
    return old, both, only_new


def filled(tmp_path, old):
    """A store and a tracker store written under `old`, one plaintext row from before."""
    store = connect(f"sqlite:///{tmp_path / 'store.db'}", old)
    notes_meta.create_all(store)
    with store.begin() as connection:
        connection.execute(
            notes.insert(),
            [
                {"conversation": f"c{i % 7}", "n": i, "note": t, "kind": "x"}
                for i, t in enumerate(TENANTS)
            ],
        )
        connection.execute(notes.insert().values(conversation="c0", n=999, note=None, kind="y"))
    tracker = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    events.create(tracker)
    rows = [
        {
            "sender_id": f"c{i % 7}",
            "type_name": "user",
            "data": old.encrypt(json.dumps({"text": t})),
        }
        for i, t in enumerate(TENANTS)
    ]
    rows.append(
        {"sender_id": "legacy", "type_name": "user", "data": json.dumps({"text": "before"})}
    )
    with tracker.begin() as connection:
        connection.execute(events.insert(), rows)
    return store, tracker


def read_back(store, tracker, keys):
    reader = connect(str(store.url), keys)
    with reader.connect() as connection:
        found = connection.execute(sa.select(notes.c.note).order_by(notes.c.n)).scalars().all()
    with tracker.connect() as connection:
        data = connection.execute(sa.select(events.c.data).order_by(events.c.id)).scalars().all()
    texts = [json.loads(keys.decrypt(d))["text"] for d in data]
    return [n for n in found if n is not None], texts


def raw(engine, table, column):
    with engine.connect() as connection:
        return (
            connection.execute(sa.select(sa.column(column)).select_from(sa.table(table)))
            .scalars()
            .all()
        )


def test_every_encrypted_column_of_the_store_is_found():
    found = encrypted_columns()
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, Encrypted):
                assert column.name in found[table.name]
    assert encrypted_columns(notes_meta) == {"rotation_notes": ["note"]}


def test_rotation_interrupted_halfway_then_resumed_loses_nothing(tmp_path):
    old, both, only_new = old_and_new()
    store, tracker = filled(tmp_path, old)
    rewritten = []

    def stop_after_90(table):
        rewritten.append(table)
        if len(rewritten) == 90:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate_everything(store, both, tracker, progress=stop_after_90, batch=16, tables=notes_meta)
    # Halfway: some under the new key, some still under the old; all readable with both.
    assert 0 < sum(both.is_current(v) for v in raw(tracker, "events", "data")) < len(TENANTS)
    assert read_back(store, tracker, both) == (TENANTS, [*TENANTS, "before"])
    assert left_under_old_keys(store, both, tracker, tables=notes_meta)

    done = rotate_everything(store, both, tracker, batch=16, tables=notes_meta)
    assert done.current["rotation_notes"] == len(TENANTS)  # the first run's part was kept
    assert left_under_old_keys(store, both, tracker, tables=notes_meta) == {}
    # With the old key gone, every value still reads back, the plaintext one encrypted.
    assert read_back(store, tracker, only_new) == (TENANTS, [*TENANTS, "before"])
    assert all(is_encrypted(v) for v in raw(tracker, "events", "data"))
    assert not any("07700" in v for v in raw(store, "rotation_notes", "note") if v)
    with pytest.raises(Undecryptable):
        old.decrypt(raw(store, "rotation_notes", "note")[0])


def test_a_value_no_key_opens_is_reported_not_overwritten(tmp_path):
    old, both, _ = old_and_new()
    store, tracker = filled(tmp_path, old)
    stranger = DataKeys.ephemeral().encrypt("unknown")
    with tracker.begin() as connection:
        connection.execute(events.update().where(events.c.id == 1).values(data=stranger))
    with pytest.raises(Undecryptable):
        rotate_everything(store, both, tracker, tables=notes_meta)
    assert raw(tracker, "events", "data")[0] == stranger
    with pytest.raises(Undecryptable):
        left_under_old_keys(store, both, tracker, tables=notes_meta)


# The command, on a .env of its own.


def project(tmp_path, old):
    """Settings for the command: a .env holding `old`, a store and a tracker store."""
    store, tracker = filled(tmp_path, old)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        yaml.safe_dump(
            {
                "tracker_store": {
                    "type": "sql",
                    "dialect": "sqlite",
                    "db": str(tmp_path / "tracker.db"),
                }
            }
        )
    )
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"# mine\nDATABASE_URL=sqlite:///{tmp_path / 'store.db'}\n"
        f"ENDPOINTS_FILE={endpoints}\nENCRYPTION_KEYS={old.encryption_keys[0]}\n"
        f"LOOKUP_KEY={new_lookup_key()}\nREST_CHANNEL=off"
    )
    os.chmod(env_file, 0o600)
    return store, tracker, env_file


def run(command, env_file, environ=None):
    out = io.StringIO()
    code = keys_command.main(command, out, env_file, environ or {})
    return code, out.getvalue()


def test_new_prints_a_set_of_keys_that_work():
    out = io.StringIO()
    assert keys_command.main(["new"], out) == 0
    values = dict(line.split("=", 1) for line in out.getvalue().split())
    DataKeys([values["ENCRYPTION_KEYS"]], values["LOOKUP_KEY"]).encrypt("x")


def test_rotate_then_retire_leaves_one_new_key_and_everything_readable(tmp_path):
    old = DataKeys([new_encryption_key()], new_lookup_key())
    store, tracker, env_file = project(tmp_path, old)
    code, said = run(["rotate"], env_file)
    assert code == 0, said
    values = dotenv_values(env_file)
    newest, kept = values["ENCRYPTION_KEYS"].split(",")
    assert kept == old.encryption_keys[0] != newest
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert "# mine" in env_file.read_text() and values["REST_CHANNEL"] == "off"
    assert "Restart the running processes" in said
    assert run(["retire"], env_file)[0] == 0
    assert dotenv_values(env_file)["ENCRYPTION_KEYS"] == newest
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    only_new = DataKeys([newest], values["LOOKUP_KEY"])
    data = raw(tracker, "events", "data")
    assert [json.loads(only_new.decrypt(d))["text"] for d in data] == [*TENANTS, "before"]


def test_retire_refuses_while_anything_is_still_under_an_old_key(tmp_path, capsys):
    old = DataKeys([new_encryption_key()], new_lookup_key())
    store, tracker, env_file = project(tmp_path, old)
    assert run(["rotate"], env_file)[0] == 0
    # A process not yet restarted writes under the old key.
    with tracker.begin() as connection:
        connection.execute(events.insert().values(sender_id="late", data=old.encrypt("{}")))
    keys_before = dotenv_values(env_file)["ENCRYPTION_KEYS"]
    assert run(["retire"], env_file)[0] == 2
    assert "events (1)" in capsys.readouterr().err
    assert dotenv_values(env_file)["ENCRYPTION_KEYS"] == keys_before
    assert run(["rotate", "--resume"], env_file)[0] == 0
    assert dotenv_values(env_file)["ENCRYPTION_KEYS"] == keys_before  # no other new key
    assert run(["retire"], env_file)[0] == 0


def test_the_commands_refuse_without_the_keys_and_name_them(tmp_path, capsys):
    env_file = tmp_path / ".env"
    assert run(["rotate"], env_file, {"ASSISTANT_ENV": "production"})[0] == 2
    err = capsys.readouterr().err
    assert "ENCRYPTION_KEYS" in err and "LOOKUP_KEY" in err


def test_rotation_killed_outright_midway_is_resumed_and_loses_nothing(tmp_path):
    lookup = new_lookup_key()
    old = DataKeys([new_encryption_key()], lookup)
    tracker = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    events.create(tracker)
    count = 20000
    texts = [f"message {n}: 07700 9{n:05d}" for n in range(count)]
    with tracker.begin() as connection:
        connection.execute(
            events.insert(),
            [
                {"sender_id": f"c{n % 50}", "data": old.encrypt(json.dumps({"text": t}))}
                for n, t in enumerate(texts)
            ],
        )
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        yaml.safe_dump(
            {
                "tracker_store": {
                    "type": "sql",
                    "dialect": "sqlite",
                    "db": str(tmp_path / "tracker.db"),
                }
            }
        )
    )
    newest = new_encryption_key()
    both = DataKeys([newest, *old.encryption_keys], lookup)
    environ = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "ENDPOINTS_FILE": str(endpoints),
        # Given in the environment, as a deployment gives them, after the new key was put first.
        "ENCRYPTION_KEYS": ",".join(both.encryption_keys),
        "LOOKUP_KEY": lookup,
    }
    command = [sys.executable, "-m", "scripts.keys", "rotate", "--resume"]
    process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    current = 0
    while time.monotonic() < deadline and current < 400:
        time.sleep(0.05)
        current = sum(both.is_current(v) for v in raw(tracker, "events", "data"))
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    current = sum(both.is_current(v) for v in raw(tracker, "events", "data"))
    assert 0 < current < count, "killed before it started or after it finished"
    resumed = subprocess.run(
        command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    retire = [sys.executable, "-m", "scripts.keys", "retire"]
    retired = subprocess.run(retire, cwd=ROOT, env=environ, capture_output=True, text=True)
    assert retired.returncode == 0 and "Nothing is left under an old key" in retired.stdout
    only_new = DataKeys([newest], lookup)
    data = raw(tracker, "events", "data")
    assert [json.loads(only_new.decrypt(d))["text"] for d in data] == texts


# Running processes (they keep the keys they started with) and rotation.


def holder(store_url, keys, kind, seen_at=None):
    """A process of `kind` running on `keys`, as it records itself in the store."""
    from bot.store import KeyHolder

    clock = (lambda: seen_at) if seen_at else None
    return KeyHolder(connect(store_url, keys), kind, **({"clock": clock} if clock else {})).beat()


def test_rotate_waits_until_every_running_process_holds_the_new_key(tmp_path, capsys):
    old = DataKeys([new_encryption_key()], new_lookup_key())
    store, tracker, env_file = project(tmp_path, old)
    url = str(store.url)
    action_server = holder(url, old, "action server")
    before = raw(tracker, "events", "data")

    code, said = run(["rotate"], env_file)
    assert code != 0
    err = capsys.readouterr().err
    assert "action server" in err and "--resume" in err
    # Nothing re-encrypted under a key the action server could not read...
    assert raw(tracker, "events", "data") == before
    # ...but the new key is in .env, first, for the restart to pick up.
    newest, kept = dotenv_values(env_file)["ENCRYPTION_KEYS"].split(",")
    assert kept == old.encryption_keys[0]
    lookup = dotenv_values(env_file)["LOOKUP_KEY"]
    assert old.encryption_keys[0] not in str(raw(store, "key_holders", "fingerprints"))

    # Still not restarted: --resume still refuses.
    assert run(["rotate", "--resume"], env_file)[0] != 0
    assert raw(tracker, "events", "data") == before

    action_server.leave()
    holder(url, DataKeys([newest, kept], lookup), "action server")
    code, said = run(["rotate", "--resume"], env_file)
    assert code == 0, said
    both = DataKeys([newest, kept], lookup)
    assert all(both.is_current(v) for v in raw(tracker, "events", "data"))
    assert dotenv_values(env_file)["ENCRYPTION_KEYS"] == f"{newest},{kept}"


def test_a_process_gone_for_minutes_does_not_hold_up_the_rotation(tmp_path):
    from datetime import datetime, timedelta, timezone

    old = DataKeys([new_encryption_key()], new_lookup_key())
    store, tracker, env_file = project(tmp_path, old)
    long_ago = datetime.now(timezone.utc) - timedelta(minutes=30)
    holder(str(store.url), old, "Rasa server", seen_at=long_ago)  # killed, never removed
    assert run(["rotate"], env_file)[0] == 0


def test_retire_refuses_while_a_running_process_encrypts_under_an_old_key(tmp_path, capsys):
    old = DataKeys([new_encryption_key()], new_lookup_key())
    store, tracker, env_file = project(tmp_path, old)
    assert run(["rotate"], env_file)[0] == 0
    keys_before = dotenv_values(env_file)["ENCRYPTION_KEYS"]
    # Started with the old settings: nothing under the old key yet, but it would write some.
    console = holder(str(store.url), old, "console")
    assert run(["retire"], env_file)[0] == 2
    assert "console" in capsys.readouterr().err
    assert dotenv_values(env_file)["ENCRYPTION_KEYS"] == keys_before
    console.leave()
    assert run(["retire"], env_file)[0] == 0


def test_a_running_process_is_recorded_by_its_keys_fingerprints_until_it_stops(tmp_path):
    from bot.store import KeyHolder

    keys = DataKeys([new_encryption_key(), new_encryption_key()], new_lookup_key())
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}", keys)
    running = KeyHolder(engine, "Rasa server", every=0.05).start()
    try:
        time.sleep(0.3)
        (row,) = raw(engine, "key_holders", "fingerprints")
        assert all(k not in row for k in keys.encryption_keys)
        assert len(row.split(",")) == 2
    finally:
        running.leave()
    assert raw(engine, "key_holders", "fingerprints") == []


def test_a_dead_letter_sealed_by_an_older_release_survives_rotation(tmp_path):
    from datetime import datetime, timezone

    from cryptography.fernet import Fernet

    from bot.events import Operation
    from bot.outbox import PENDING, Outbox

    old = DataKeys([new_encryption_key()], new_lookup_key())
    store, tracker, env_file = project(tmp_path, old)
    outbox_key = Fernet.generate_key().decode()
    with env_file.open("a") as out:
        out.write(f"\nOUTBOX_KEY={outbox_key}\n")
    now = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    words = "Your repair is booked for Tuesday, call 07700 900123"
    message_id = Outbox(store).enqueue("c1", "facebook", Operation.MESSENGER_SEND, "u1", now)
    # As the release before wrote a dead letter: sealed under OUTBOX_KEY, a bare token.
    sealed = Fernet(outbox_key).encrypt(json.dumps({"text": words, "fallback": None}).encode())
    with store.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE outbox SET state = 'dead', text = ?, fallback = NULL WHERE id = ?",
            (sealed.decode(), message_id),
        )

    assert run(["rotate"], env_file)[0] == 0
    assert run(["retire"], env_file)[0] == 0
    values = dotenv_values(env_file)
    keys = DataKeys([values["ENCRYPTION_KEYS"]], values["LOOKUP_KEY"]).with_older([outbox_key])
    box = Outbox(connect(str(store.url), keys))
    assert box.send_again(message_id, now)
    assert box.messages(PENDING)[0].text == words


def test_two_rotations_at_once_do_not_drop_each_others_key(tmp_path, monkeypatch, capsys):
    old = DataKeys([new_encryption_key()], new_lookup_key())
    store, tracker, env_file = project(tmp_path, old)
    other = new_encryption_key()
    make_key = keys_command.new_encryption_key

    def meanwhile():
        # Another rotation puts its key first after this one read .env, before it writes.
        keys_command.update_env_file(
            env_file, {"ENCRYPTION_KEYS": f"{other},{old.encryption_keys[0]}"}
        )
        return make_key()

    monkeypatch.setattr(keys_command, "new_encryption_key", meanwhile)
    assert run(["rotate"], env_file)[0] == 2
    assert "changed while this ran" in capsys.readouterr().err
    assert dotenv_values(env_file)["ENCRYPTION_KEYS"] == f"{other},{old.encryption_keys[0]}"


def test_a_legacy_dead_letter_an_earlier_rotation_wrapped_is_still_sent_as_its_words(tmp_path):
    from datetime import datetime, timezone

    from cryptography.fernet import Fernet

    from bot.events import Operation
    from bot.outbox import PENDING, Outbox

    outbox_key = Fernet.generate_key().decode()
    keys = DataKeys([new_encryption_key()], new_lookup_key()).with_older([outbox_key])
    store = connect(f"sqlite:///{tmp_path / 'store.db'}", keys)
    now = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    words = "Your repair is booked for Tuesday, call 07700 900123"
    message_id = Outbox(store).enqueue("c1", "facebook", Operation.MESSENGER_SEND, "u1", now)
    sealed = Fernet(outbox_key).encrypt(json.dumps({"text": words, "fallback": None}).encode())
    # What the rotation of the release before made of it: the token encrypted as if words.
    with store.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE outbox SET state = 'dead', text = ?, fallback = NULL WHERE id = ?",
            (keys.encrypt(sealed.decode()), message_id),
        )
    box = Outbox(store)
    assert box.send_again(message_id, now)
    assert box.messages(PENDING)[0].text == words


def test_a_running_process_keeps_refreshing_its_record_even_after_a_refresh_fails(tmp_path):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy.pool import QueuePool

    from bot.store import KeyHolder

    keys = DataKeys([new_encryption_key()], new_lookup_key())
    # One connection, given up on at once: a second one asked for meanwhile is a
    # sqlalchemy.exc.TimeoutError (the pool exhausted), not a DBAPIError.
    engine = sa.create_engine(
        f"sqlite:///{tmp_path / 'store.db'}",
        poolclass=QueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=0.01,
        connect_args={"check_same_thread": False},
    )
    engine.dialect.data_keys = keys
    metadata.create_all(engine)
    start = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    ticks = iter(range(10**6))

    def clock():
        return start + timedelta(minutes=next(ticks))

    reader = sa.create_engine(f"sqlite:///{tmp_path / 'store.db'}")  # a pool of its own

    def seen_at():
        (value,) = raw(reader, "key_holders", "seen_at")
        return str(value)

    def advances(before):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if seen_at() != before:
                return True
            time.sleep(0.02)
        return False

    running = KeyHolder(engine, "Rasa server", clock=clock, every=0.05).start()
    try:
        first = seen_at()
        assert advances(first)  # refreshed, by the holder's own thread
        busy = engine.connect()  # the pool exhausted: the refreshes fail meanwhile
        time.sleep(0.3)
        busy.close()
        assert advances(seen_at())  # and they go on once it is free again
    finally:
        running.leave()
    assert raw(reader, "key_holders", "seen_at") == []


def test_the_sandbox_store_is_a_second_store_of_the_installation(tmp_path, capsys):
    from datetime import datetime, timezone

    from bot.events import Operation
    from bot.outbox import PENDING, Outbox

    old = DataKeys([new_encryption_key()], new_lookup_key())
    store, tracker, env_file = project(tmp_path, old)
    # make run in sandbox mode gives the servers var/sandbox.db, not .env's DATABASE_URL:
    # they record their keys there, and their data is encrypted there.
    sandbox_file = tmp_path / "sandbox.db"
    sandbox = connect(f"sqlite:///{sandbox_file}", old)
    words = "Call me on 07700 900123"
    now = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    Outbox(sandbox).enqueue("c1", "facebook", Operation.MESSENGER_SEND, "u1", now, text=words)
    server = holder(str(sandbox.url), old, "Rasa server")
    before = raw(tracker, "events", "data")

    def run_here(command):
        out = io.StringIO()
        return keys_command.main(command, out, env_file, {}, sandbox_store=sandbox_file)

    assert run_here(["rotate"]) == 2
    assert "Rasa server" in capsys.readouterr().err
    assert raw(tracker, "events", "data") == before  # nothing under a key it lacks

    server.leave()
    values = dotenv_values(env_file)
    both = DataKeys(values["ENCRYPTION_KEYS"].split(","), values["LOOKUP_KEY"])
    assert run_here(["rotate", "--resume"]) == 0
    assert all(both.is_current(v) for v in raw(sandbox, "outbox", "text"))

    # Written under the old key by a sandbox server not yet restarted: not retired.
    Outbox(sandbox).enqueue("c2", "facebook", Operation.MESSENGER_SEND, "u2", now, text=words)
    assert run_here(["retire"]) == 2
    assert "outbox (1)" in capsys.readouterr().err
    assert dotenv_values(env_file)["ENCRYPTION_KEYS"] == values["ENCRYPTION_KEYS"]
    assert run_here(["rotate", "--resume"]) == 0
    assert run_here(["retire"]) == 0
    newest = DataKeys(dotenv_values(env_file)["ENCRYPTION_KEYS"].split(","), values["LOOKUP_KEY"])
    assert len(newest.encryption_keys) == 1
    assert [m.text for m in Outbox(connect(str(sandbox.url), newest)).messages(PENDING)] == [
        words,
        words,
    ]
