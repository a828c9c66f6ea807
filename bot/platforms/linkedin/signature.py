"""LinkedIn's webhook checks, with the app's client secret.

- Validation: LinkedIn sends `GET ?challengeCode=<uuid>` and expects
  `{"challengeCode": ..., "challengeResponse": hex(HMAC-SHA256(challengeCode))}`.
- Each POST carries `X-LI-Signature`, the HMAC-SHA256 of the body "prefixed by
  `hmacsha256=`", in LinkedIn's words. Whether the prefix is on the hashed text or on
  the header's value is not clear from its documentation, so both readings are accepted;
  either way the hash is keyed with the client secret and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "hmacsha256="


def _hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def challenge_response(challenge_code: str, secret: str) -> str:
    """The answer to LinkedIn's validation challenge."""
    return _hex(secret, challenge_code.encode())


def linkedin_signature(body: bytes, secret: str) -> str:
    """The `X-LI-Signature` LinkedIn sends with `body` (for tests and the simulator)."""
    return PREFIX + _hex(secret, PREFIX.encode() + body)


def linkedin_signature_valid(body: bytes, header: str | None, secret: str | None) -> bool:
    """Whether `header` signs `body` with `secret`."""
    if not header or not secret:
        return False
    given = header.strip()
    given = given[len(PREFIX) :] if given.lower().startswith(PREFIX) else given
    expected = (_hex(secret, PREFIX.encode() + body), _hex(secret, body))
    return any(hmac.compare_digest(given.lower(), one) for one in expected)
