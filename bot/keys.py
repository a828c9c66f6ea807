"""The keys that keep tenants' data unreadable at rest (P9), and what they do.

Two secrets, both in `.env` (written by `make run`) or the environment:

- `ENCRYPTION_KEYS`: Fernet keys, comma-separated, newest first. The first encrypts;
  every one decrypts (`MultiFernet`), so a key can be rotated without a moment where
  stored data cannot be read (`python -m scripts.keys rotate`).
- `LOOKUP_KEY`: the key of the HMACs that stand for identifiers the store counts and
  locks by (a tenancy reference as typed, a platform account). A plain hash of a
  tenancy reference is reversed by trying its million values; an HMAC is not without
  the key. It is never rotated: every stored HMAC would stop matching.

Stored ciphertext carries a prefix (`fernet:`), so a value written before encryption
was turned on is still read, and the rotation command encrypts it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Iterable, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

ENCRYPTED_PREFIX = "fernet:"
LOOKUP_PREFIX = "hmac:"


class KeysError(ValueError):
    """A key that is not one (wrong length or encoding), or none where one is needed."""


class Undecryptable(ValueError):
    """Stored ciphertext that none of the keys opens."""


class DataKeys:
    """Encryption (Fernet, rotatable) and keyed lookups (HMAC-SHA256) for the store."""

    def __init__(self, encryption_keys: Sequence[str], lookup_key: str) -> None:
        """`encryption_keys` newest first; `lookup_key` url-safe base64 of 32 bytes or more.

        Raises:
            KeysError: a key is missing or malformed (the message names no key).
        """
        if not encryption_keys:
            raise KeysError("no encryption key: ENCRYPTION_KEYS is empty")
        fernets = []
        for position, key in enumerate(encryption_keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError) as error:
                raise KeysError(
                    f"ENCRYPTION_KEYS: key {position} is not a Fernet key "
                    "(32 bytes, url-safe base64)"
                ) from error
        try:
            lookup = base64.urlsafe_b64decode(_padded(lookup_key))
        except (ValueError, TypeError) as error:
            raise KeysError("LOOKUP_KEY is not url-safe base64") from error
        if len(lookup) < 32:
            raise KeysError("LOOKUP_KEY must hold at least 32 bytes")
        self._keys = tuple(encryption_keys)
        self._fernet = MultiFernet(fernets)
        self._primary = fernets[0]
        self._lookup = lookup

    @classmethod
    def ephemeral(cls) -> DataKeys:
        """Keys for this object only: what it encrypts is unreadable once it is gone.

        For tests and throwaway stores; the processes never run on these.
        """
        return cls([new_encryption_key()], new_lookup_key())

    @property
    def encryption_keys(self) -> tuple[str, ...]:
        """The encryption keys, newest (the one that encrypts) first."""
        return self._keys

    def with_older(self, older: Iterable[str | None]) -> DataKeys:
        """These keys, also able to decrypt with `older` ones (retired settings)."""
        extra = [k for k in older if k and k not in self._keys]
        if not extra:
            return self
        return DataKeys([*self._keys, *extra], base64.urlsafe_b64encode(self._lookup).decode())

    def encrypt(self, text: str) -> str:
        """`text` encrypted and authenticated under the newest key, as stored."""
        return ENCRYPTED_PREFIX + self._primary.encrypt(text.encode()).decode()

    def decrypt(self, stored: str) -> str:
        """What `encrypt` was given; a value stored before encryption is returned as it is.

        Raises:
            Undecryptable: it was encrypted under a key that is not among these.
        """
        if not is_encrypted(stored):
            return stored
        try:
            return self._fernet.decrypt(stored[len(ENCRYPTED_PREFIX) :].encode()).decode()
        except InvalidToken as error:
            raise Undecryptable("stored data was encrypted under a key not configured") from error

    def rotate(self, stored: str) -> str:
        """`stored` encrypted under the newest key (plaintext from before is encrypted).

        Raises:
            Undecryptable: no key opens it.
        """
        if not is_encrypted(stored):
            return self.encrypt(stored)
        try:
            token = self._fernet.rotate(stored[len(ENCRYPTED_PREFIX) :].encode())
        except InvalidToken as error:
            raise Undecryptable("stored data was encrypted under a key not configured") from error
        return ENCRYPTED_PREFIX + token.decode()

    def is_current(self, stored: str) -> bool:
        """Whether `stored` is encrypted under the newest key (nothing left to rotate)."""
        if not is_encrypted(stored):
            return False
        try:
            self._primary.decrypt(stored[len(ENCRYPTED_PREFIX) :].encode())
        except InvalidToken:
            return False
        return True

    def lookup(self, value: str, purpose: str = "") -> str:
        """The keyed HMAC that stands for `value` where it is counted, locked or matched.

        `purpose` keeps the HMACs of different kinds of value apart.
        """
        message = f"{purpose}\x1f{value}".encode()
        digest = hmac.new(self._lookup, message, hashlib.sha256).hexdigest()
        return LOOKUP_PREFIX + digest


def is_encrypted(stored: object) -> bool:
    """Whether `stored` is ciphertext `DataKeys.encrypt` wrote."""
    return isinstance(stored, str) and stored.startswith(ENCRYPTED_PREFIX)


def new_encryption_key() -> str:
    """A fresh Fernet key, as ENCRYPTION_KEYS holds them."""
    return Fernet.generate_key().decode()


def new_lookup_key() -> str:
    """A fresh LOOKUP_KEY (32 random bytes, url-safe base64)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _padded(text: str) -> str:
    return text + "=" * (-len(text) % 4)
