"""Calls to platform APIs: always with a timeout, errors sorted into retry or give up.

Timeouts, connection failures, 5xx and 429 are transient: the outbox tries again
later, after `Retry-After` when the platform gives one. Any other 4xx is permanent:
the message goes to the dead letters that staff see.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Dict

import requests

# (connect, read) seconds: a platform that hangs is given up on and tried again later.
TIMEOUT = (3.05, 10.0)
# Graph API error codes that mean "slow down", whatever the HTTP status.
GRAPH_RATE_LIMIT_CODES = {4, 17, 32, 613, 80001, 80006}


class PlatformError(Exception):
    """A platform call that did not succeed."""

    def __init__(self, message: str, transient: bool, retry_after: float | None = None):
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


def request_json(
    session: requests.Session,
    method: str,
    url: str,
    timeout: tuple[float, float] = TIMEOUT,
    **kwargs: Any,
) -> Dict[str, Any]:
    """Make one call and return its JSON body.

    Raises:
        PlatformError: the call failed; `transient` says whether trying again may help.
    """
    try:
        response = session.request(method, url, timeout=timeout, **kwargs)
    except requests.Timeout as error:
        raise PlatformError(f"{method} {url}: timed out", transient=True) from error
    except requests.RequestException as error:
        raise PlatformError(
            f"{method} {url}: {error.__class__.__name__}", transient=True
        ) from error
    if response.ok:
        try:
            return response.json()
        except ValueError:
            return {}
    body = response.text[:500]
    transient = response.status_code == 429 or response.status_code >= 500
    if not transient:
        transient = _graph_says_transient(response)
    raise PlatformError(
        f"{method} {url}: HTTP {response.status_code} {body}",
        transient=transient,
        retry_after=retry_after(response.headers),
    )


def retry_after(headers: Any, now: datetime | None = None) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds or a date) or X's rate-limit reset."""
    value = headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        now = now or datetime.now(timezone.utc)
        return max(0.0, (when - now).total_seconds())
    reset = headers.get("x-rate-limit-reset")
    if reset and reset.strip().isdigit():
        now = now or datetime.now(timezone.utc)
        return max(0.0, int(reset) - now.timestamp())
    return None


def _graph_says_transient(response: requests.Response) -> bool:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return False
    if not isinstance(error, dict):
        return False
    return bool(error.get("is_transient")) or error.get("code") in GRAPH_RATE_LIMIT_CODES
