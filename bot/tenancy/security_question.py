"""Security answers at rest (hashed) and in flight (sealed) (P4).

At rest: a person's answers (full name and date of birth, each in canonical form) are
kept only as one scrypt digest, salted per tenancy. One slow derivation then checks
everyone on a tenancy at once, and an unknown tenancy costs the same derivation, so
neither the reply nor its timing says whether a tenancy or a person exists.

In flight: between the questions of one check, answers wait in Rasa slots sealed with
Fernet (authenticated encryption), so Rasa's tracker store never holds them in clear
and a forged slot value is refused.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Sequence

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SEALED_PREFIX = "sealed:"


@dataclass(frozen=True)
class HashScheme:
    """A salt and the scrypt cost parameters, written down with the tenancy.

    The default cost takes about a tenth of a second and 32 MB on one core.
    """

    salt: bytes
    n: int = 2**15
    r: int = 8
    p: int = 1

    @classmethod
    def fresh(cls, n: int = 2**15) -> HashScheme:
        """A scheme with a new random salt."""
        return cls(salt=os.urandom(16), n=n)

    def encode(self) -> str:
        """The scheme as stored: "scrypt$n$r$p$salt"."""
        salt = base64.b64encode(self.salt).decode()
        return f"scrypt${self.n}${self.r}${self.p}${salt}"

    @classmethod
    def decode(cls, text: str) -> HashScheme:
        """The scheme `encode` wrote.

        Raises:
            ValueError: `text` is not a scheme this module wrote.
        """
        kind, n, r, p, salt = text.split("$")
        if kind != "scrypt":
            raise ValueError(f"unknown hash scheme {kind!r}")
        return cls(salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p))

    def digest(self, name: str, born: date) -> bytes:
        """The digest of a canonical full name and a date of birth."""
        answers = f"{name}\x1f{born.isoformat()}".encode()
        return Scrypt(salt=self.salt, length=32, n=self.n, r=self.r, p=self.p).derive(answers)


def matching_index(digest: bytes, recorded: Sequence[bytes]) -> int | None:
    """Which recorded digest equals `digest`, compared in constant time.

    Every recorded digest is compared, whatever the earlier ones gave.
    """
    found = None
    for index, candidate in enumerate(recorded):
        if hmac.compare_digest(digest, candidate) and found is None:
            found = index
    return found


class Sealer:
    """Seals values for a round trip through Rasa, and opens them again."""

    def __init__(self, key: bytes | str) -> None:
        self._fernet = Fernet(key)

    @staticmethod
    def new_key() -> str:
        """A fresh key, as `SECURITY_ANSWERS_KEY` takes it."""
        return Fernet.generate_key().decode()

    def seal(self, value: Any, at: datetime | None = None) -> str:
        """`value` (anything JSON can hold), encrypted and authenticated.

        The token records when it was sealed (`at`, by default now): `sealed_at`.
        """
        data = json.dumps(value).encode()
        if at is None:
            token = self._fernet.encrypt(data)
        else:
            token = self._fernet.encrypt_at_time(data, int(at.timestamp()))
        return SEALED_PREFIX + token.decode()

    def sealed_at(self, sealed: Any) -> datetime | None:
        """When `sealed` was sealed, or None if it was not sealed with this key."""
        if self.open(sealed) is None:
            return None
        seconds = self._fernet.extract_timestamp(sealed[len(SEALED_PREFIX) :].encode())
        return datetime.fromtimestamp(seconds, timezone.utc)

    def open(self, sealed: Any) -> Any | None:
        """The value inside `sealed`, or None if it was not sealed with this key."""
        if not is_sealed(sealed):
            return None
        try:
            return json.loads(self._fernet.decrypt(sealed[len(SEALED_PREFIX) :].encode()))
        except (InvalidToken, ValueError):
            return None


def is_sealed(value: Any) -> bool:
    """Whether `value` looks like something `Sealer.seal` wrote."""
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)
