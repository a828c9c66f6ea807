"""Staff bearer tokens: who is calling the staff API (the "who" of the audit).

Tokens come from STAFF_API_TOKENS ("name:token,name:token") or from the file that
STAFF_API_TOKENS_FILE names (one `name:token` a line; `#` starts a comment). A token
is compared in constant time, against every configured token.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Dict, Iterable, Mapping

# Long enough that guessing is hopeless (`secrets.token_urlsafe(32)` gives 43).
MIN_TOKEN_LENGTH = 16


class TokensError(ValueError):
    """The staff tokens are missing or malformed; the message says the fix."""


def parse_tokens(entries: Iterable[str], source: str) -> Dict[str, str]:
    """{token: staff name} from `name:token` entries.

    Raises:
        TokensError: an entry is malformed, a token too short or given twice.
    """
    tokens: Dict[str, str] = {}
    for entry in entries:
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        name, _, token = entry.partition(":")
        name, token = name.strip(), token.strip()
        if not name or not token:
            raise TokensError(f"{source}: each entry is name:token")
        if len(token) < MIN_TOKEN_LENGTH:
            raise TokensError(f"{source}: {name}'s token is shorter than {MIN_TOKEN_LENGTH}")
        if token in tokens:
            raise TokensError(f"{source}: {name} and {tokens[token]} share a token")
        tokens[token] = name
    return tokens


def load_tokens(inline: str | None, file: Path | None) -> Dict[str, str]:
    """The configured tokens, from the setting or the file it names.

    Raises:
        TokensError: none configured (the API does not start without them), or malformed.
    """
    tokens: Dict[str, str] = {}
    if inline:
        tokens.update(parse_tokens(inline.split(","), "STAFF_API_TOKENS"))
    if file is not None:
        try:
            lines = Path(file).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError as error:
            raise TokensError(f"STAFF_API_TOKENS_FILE: {file} not found") from error
        tokens.update(parse_tokens(lines, str(file)))
    if not tokens:
        raise TokensError(
            "no staff API tokens: set STAFF_API_TOKENS=name:token,... or"
            " STAFF_API_TOKENS_FILE (one name:token a line); `make run` writes one to"
            " var/staff-api-tokens"
        )
    return tokens


def staff_named_by(header: str | None, tokens: Mapping[str, str]) -> str | None:
    """The member of staff whose token the `Authorization: Bearer` header carries, or None.

    Every configured token is compared, each in constant time, so the time taken says
    nothing about which one came close.
    """
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return None
    presented = given.strip().encode()
    found = None
    for token, name in tokens.items():
        if hmac.compare_digest(presented, token.encode()):
            found = name
    return found
