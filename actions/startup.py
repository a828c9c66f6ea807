"""The action server's start-up check (P9): without the store's keys it refuses to start.

`rasa run actions --actions actions` imports every module of this package as it
starts, and offers no other hook, so this module does its one piece of work when it
is imported: it checks the settings and, if ENCRYPTION_KEYS or LOOKUP_KEY is missing or
malformed, stops the process with a message naming them (never a value); then it
connects to the store and records there the keys this server holds (P9, key rotation). The actions
themselves do nothing at import; tests import them without this module.
"""

from __future__ import annotations

from actions import dependencies
from bot.settings import Settings, SettingsError
from bot.store import KeyHolder


class SecretsMissing(SystemExit):
    """A secret the action server needs is not set: it must not start."""


def refuse_without_secrets() -> None:
    """Stop the action server unless the store's keys are set.

    Raises:
        SecretsMissing: the message says which are missing and how to set them.
    """
    try:
        Settings.from_env().require("ENCRYPTION_KEYS", "LOOKUP_KEY")
    except SettingsError as error:
        raise SecretsMissing(f"error: the action server cannot start: {error}") from error


refuse_without_secrets()
# P9: from start-up, the action server records which keys it holds while it runs, so that
# a key rotation waits for it; the record goes at exit (or with `key_holder.leave()`).
key_holder = KeyHolder(dependencies.engine(), "action server").start()
