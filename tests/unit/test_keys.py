"""The store's keys (P9): encryption that rotates, lookups that do not reveal."""

import pytest
import sqlalchemy as sa

from bot.keys import DataKeys, KeysError, Undecryptable, new_encryption_key, new_lookup_key
from bot.settings import Settings, SettingsError
from bot.store import Encrypted, Keyed, connect


def test_what_is_encrypted_reads_back_and_is_not_in_the_stored_text():
    keys = DataKeys.ephemeral()
    stored = keys.encrypt("call me on 07700 900123")
    assert "07700" not in stored
    assert keys.decrypt(stored) == "call me on 07700 900123"


def test_an_older_key_still_decrypts_and_rotation_moves_to_the_newest():
    old = DataKeys([new_encryption_key()], new_lookup_key())
    stored = old.encrypt("flat 2, 14 Mill Lane")
    both = DataKeys([new_encryption_key(), *old.encryption_keys], new_lookup_key())
    assert both.decrypt(stored) == "flat 2, 14 Mill Lane"
    assert not both.is_current(stored)
    rotated = both.rotate(stored)
    assert both.is_current(rotated)
    with pytest.raises(Undecryptable):
        old.decrypt(rotated)


def test_text_stored_before_encryption_reads_as_it_was_and_rotation_encrypts_it():
    keys = DataKeys.ephemeral()
    assert keys.decrypt("plain words") == "plain words"
    assert keys.decrypt(keys.rotate("plain words")) == "plain words"
    assert keys.is_current(keys.rotate("plain words"))


def test_a_lookup_needs_the_key_and_keeps_purposes_apart():
    lookup = new_lookup_key()
    one = DataKeys([new_encryption_key()], lookup)
    same_lookup = DataKeys([new_encryption_key()], lookup)
    other = DataKeys([new_encryption_key()], new_lookup_key())
    assert one.lookup("AB123456", "locator") == same_lookup.lookup("AB123456", "locator")
    assert one.lookup("AB123456", "locator") != other.lookup("AB123456", "locator")
    assert one.lookup("AB123456", "locator") != one.lookup("AB123456", "account")
    assert "AB123456" not in one.lookup("AB123456")


def test_malformed_keys_are_refused_without_showing_them():
    with pytest.raises(KeysError) as error:
        DataKeys(["not-a-key"], new_lookup_key())
    assert "not-a-key" not in str(error.value)
    with pytest.raises(KeysError):
        DataKeys([new_encryption_key()], "c2hvcnQ=")
    with pytest.raises(KeysError):
        DataKeys([], new_lookup_key())


def test_encrypted_and_keyed_columns_hold_no_plain_value_in_the_database():
    table = sa.Table(
        "notes",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text", Encrypted),
        sa.Column("account", Keyed("account")),
    )
    engine = connect("sqlite://", DataKeys.ephemeral())
    table.create(engine)
    with engine.begin() as connection:
        connection.execute(table.insert().values(text="07700 900123", account="facebook:42"))
        found = connection.execute(
            sa.select(table.c.text).where(table.c.account == "facebook:42")
        ).scalar_one()
        raw = connection.exec_driver_sql("SELECT text, account FROM notes").one()
    assert found == "07700 900123"
    assert "07700" not in raw[0] and "facebook:42" not in raw[1]


def test_settings_give_the_keys_or_say_how_to_make_them():
    with pytest.raises(SettingsError, match="make run"):
        Settings(association_file=None).data_keys()
    given = {
        "ENCRYPTION_KEYS": f"{new_encryption_key()}, {new_encryption_key()}",
        "LOOKUP_KEY": new_lookup_key(),
    }
    keys = Settings.from_env(given).data_keys()
    assert len(keys.encryption_keys) == 2


def test_assistant_env_is_development_unless_production():
    assert not Settings.from_env({"ASSISTANT_ENV": ""}).production
    assert Settings.from_env({"ASSISTANT_ENV": "production"}).production
    with pytest.raises(SettingsError):
        Settings.from_env({"ASSISTANT_ENV": "prod"})
