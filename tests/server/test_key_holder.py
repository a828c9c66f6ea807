"""The Rasa server says which keys it holds while it runs, and stops saying so when it
stops (P9): key rotation re-encrypts only once every running process holds the new key,
and old keys are retired only once none still encrypts under one."""

import io

from dotenv import dotenv_values
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import read_endpoint_config
from sqlalchemy import select

from bot.keys import new_encryption_key, new_lookup_key
from bot.store import connect, key_holders
from scripts import keys as keys_command


def test_a_rasa_server_with_no_platform_channel_is_recorded_while_it_runs(tmp_path, monkeypatch):
    # REST only: the Facebook and X channels are off, yet its tracker store encrypts.
    encryption, lookup = new_encryption_key(), new_lookup_key()
    database = f"sqlite:///{tmp_path / 'store.db'}"
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: bot.channels.tracker_store.EncryptedSQLTrackerStore\n"
        f"  dialect: sqlite\n  db: {tmp_path / 'tracker.db'}\n"
    )
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"DATABASE_URL={database}\nENDPOINTS_FILE={endpoints}\n"
        f"ENCRYPTION_KEYS={encryption}\nLOOKUP_KEY={lookup}\n"
    )
    for name, value in dotenv_values(env_file).items():
        monkeypatch.setenv(name, value)
    for name in ("FACEBOOK_PAGE_ACCESS_TOKEN", "FACEBOOK_APP_SECRET", "TWITTER_CONSUMER_SECRET"):
        monkeypatch.delenv(name, raising=False)
    store = connect(database)

    def holders():
        with store.connect() as connection:
            return connection.execute(select(key_holders.c.kind)).scalars().all()

    # As the Rasa server makes it at start (rasa.core.agent), with no channel involved.
    tracker_store = TrackerStore.create(
        read_endpoint_config(str(endpoints), "tracker_store"), Domain.empty()
    )
    try:
        assert holders() == ["Rasa server"]
        assert keys_command.main(["rotate"], io.StringIO(), env_file, {}) == 2
    finally:
        tracker_store.stop_recording_keys()
    assert holders() == []
    assert keys_command.main(["rotate", "--resume"], io.StringIO(), env_file, {}) == 0
    assert dotenv_values(env_file)["ENCRYPTION_KEYS"].endswith(f",{encryption}")
