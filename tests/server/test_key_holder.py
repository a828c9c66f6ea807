"""The Rasa server says which keys it holds while it runs, and stops saying so when it
stops (P9): key rotation re-encrypts only once every running process holds the new key,
and old keys are retired only once none still encrypts under one."""

import asyncio
import io
import time
from types import SimpleNamespace

from dotenv import dotenv_values
from sqlalchemy import select

from bot.channels.wiring import build_runtime
from bot.keys import new_encryption_key, new_lookup_key
from bot.settings import Settings
from bot.store import connect, key_holders
from scripts import keys as keys_command
from tests.helpers import ROOT


async def until(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


async def test_rotation_waits_for_a_running_rasa_server_then_goes_on_once_it_stopped(tmp_path):
    encryption, lookup = new_encryption_key(), new_lookup_key()
    database = f"sqlite:///{tmp_path / 'store.db'}"
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {tmp_path / 'tracker.db'}\n"
    )
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"DATABASE_URL={database}\nENDPOINTS_FILE={endpoints}\n"
        f"ENCRYPTION_KEYS={encryption}\nLOOKUP_KEY={lookup}\n"
    )
    settings = Settings(
        ROOT / "association.yml",
        database_url=database,
        endpoints_file=endpoints,
        encryption_keys=(encryption,),
        lookup_key=lookup,
    )
    store = connect(database)

    def holders():
        with store.connect() as connection:
            return connection.execute(select(key_holders.c.kind)).scalars().all()

    runtime = build_runtime(settings)
    runtime.start(SimpleNamespace(ctx=SimpleNamespace(agent=None)), None)
    try:
        assert await until(lambda: holders() == ["Rasa server"], 10)
        out = io.StringIO()
        assert keys_command.main(["rotate"], out, env_file, {}) == 2
        assert "Re-encrypting" not in out.getvalue()
    finally:
        await runtime.stop()
    assert holders() == []
    assert keys_command.main(["rotate", "--resume"], io.StringIO(), env_file, {}) == 0
    assert dotenv_values(env_file)["ENCRYPTION_KEYS"].endswith(f",{encryption}")
