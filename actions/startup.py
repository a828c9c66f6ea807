"""The action server's start-up check (P9): without the store's keys it refuses to start.

`rasa run actions --actions actions` imports every module of this package as it
starts, and offers no other hook, so this module does its one piece of work when it
is imported: it checks the settings and, if ENCRYPTION_KEYS or LOOKUP_KEY is missing or
malformed, stops the process with a message naming them (never a value). The actions
themselves do nothing at import; tests import them without this module.
"""

from __future__ import annotations

from bot.settings import Settings, SettingsError


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
