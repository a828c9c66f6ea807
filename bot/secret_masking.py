"""Secrets kept out of logs and stored errors (P12: dead letters are read by staff).

Platform clients register their tokens with `hide_in_logs` when they are made; the
HTTP and OAuth libraries' loggers then mask them, and `hide_secrets` masks them (and
any `access_token=` value) in an error before it is logged or stored.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Iterable

# The loggers that write request addresses or OAuth parameters at DEBUG.
CHATTY_LOGGERS = (
    "urllib3.connectionpool",
    "requests_oauthlib.oauth1_auth",
    "oauthlib.oauth1.rfc5849",
    "oauthlib.oauth1.rfc5849.signature",
    "oauthlib",
)
_QUERY_TOKEN = re.compile(r"((?:access_token|oauth_token|oauth_consumer_key)=)[^&\s'\"]+")


class _Masking(logging.Filter):
    """Masks the registered secrets in every record of the logger it sits on."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self.secrets |= {s for s in secrets if s and len(s) >= 4}

    def mask(self, text: str) -> str:
        text = _QUERY_TOKEN.sub(r"\1[hidden]", text)
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "[hidden]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


_MASKING = _Masking()


def hide_in_logs(*secrets: str) -> None:
    """Mask `secrets` (and any `access_token=` value) in the HTTP and OAuth libraries' logs.

    Called by each client with its tokens when it is made; safe to call again.
    """
    _MASKING.add(secrets)
    for name in CHATTY_LOGGERS:
        found = logging.getLogger(name)
        if _MASKING not in found.filters:
            found.addFilter(_MASKING)


def hide_secrets(text: str) -> str:
    """`text` with every registered secret and any `access_token=` value masked."""
    return _MASKING.mask(text)
