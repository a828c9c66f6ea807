"""Calls to platform APIs: always with a timeout, errors sorted into retry or give up.

Timeouts, connection failures, 5xx and 429 are transient: the outbox tries again
later, after `Retry-After` when the platform gives one. Any other 4xx is permanent:
the message goes to the dead letters that staff see, and so does a redirect (a
platform API does not move; following one would make a POST a GET). A 2xx whose body is not the
platform's JSON (a proxy's page, a body cut off) is transient too: it is no proof
the call was made.

Secrets never reach a log or a stored error: errors name the address without its
query (a Graph listing's `paging.next` carries the page token), do not chain the
library's exception (its message holds the whole address), and `hide_in_logs` masks
the tokens in what the HTTP and OAuth libraries log at DEBUG.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Dict

import requests
import urllib3

from bot.outbox import PlatformError

# (connect, read) seconds: a platform that hangs is given up on and tried again later.
TIMEOUT = (3.05, 10.0)
# The read timeout bounds each wait for a byte, not the whole body: a body that
# trickles in is given up on once the call has taken connect + 2 x read seconds.
# Graph API error codes that mean "slow down", whatever the HTTP status.
GRAPH_RATE_LIMIT_CODES = {4, 17, 32, 613, 80001, 80006}
# A platform asking us to wait longer than this is waited for this long, then asked again.
MAX_RETRY_AFTER = 86400.0
# No answer of the calls made here comes near this; a larger body is not read.
MAX_BODY = 2_000_000


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
    where = f"{method} {url.split('?', 1)[0]}"
    deadline = time.monotonic() + timeout[0] + 2 * timeout[1]
    try:
        # No redirects: requests would turn a POST into a GET and take the answer for ours.
        response = session.request(
            method, url, timeout=timeout, stream=True, allow_redirects=False, **kwargs
        )
    except requests.ConnectTimeout:
        raise PlatformError(f"{where}: timed out connecting", transient=True) from None
    except requests.Timeout:
        # The platform had the call and did not answer in time: it may have done it.
        raise PlatformError(f"{where}: timed out", transient=True, maybe_done=True) from None
    except requests.RequestException as error:
        message = f"{where}: {error.__class__.__name__}"
        raise PlatformError(message, transient=True, maybe_done=_maybe_sent(error)) from None
    try:
        raw = _read(response, deadline)
    except requests.RequestException as error:
        cut = "timed out" if isinstance(error, requests.Timeout) else error.__class__.__name__
        done = 200 <= response.status_code < 300  # it answered, and the answer was cut
        raise PlatformError(f"{where}: {cut}", transient=True, maybe_done=done) from None
    finally:
        response.close()
    answer = _json(raw)
    if 200 <= response.status_code < 300:
        if answer is None and raw.strip():
            message = f"{where}: HTTP {response.status_code} but not JSON"
            raise PlatformError(message, transient=True, maybe_done=True)
        answer = answer if isinstance(answer, dict) else {}
        if "error" in answer:
            body = raw[:500].decode("utf-8", errors="replace")
            transient = _graph_says_transient(answer)
            raise PlatformError(
                f"{where}: HTTP {response.status_code} {body}",
                transient,
                gone=_graph_says_gone(answer),
            )
        return answer
    transient = response.status_code == 429 or response.status_code >= 500
    if not transient and isinstance(answer, dict):
        transient = _graph_says_transient(answer)
    body = raw[:500].decode("utf-8", errors="replace")
    raise PlatformError(
        f"{where}: HTTP {response.status_code} {body}",
        transient=transient,
        retry_after=retry_after(response.headers),
        gone=response.status_code == 404 or _graph_says_gone(answer),
    )


def _maybe_sent(error: requests.RequestException) -> bool:
    """Whether the call may have reached the platform before `error` cut it: a
    connection dropped while the platform had it, not one never made."""
    never = (requests.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.ProxyError)
    if not isinstance(error, requests.ConnectionError) or isinstance(error, never):
        return False
    cause = error.args[0] if error.args else None
    reason = getattr(cause, "reason", cause)  # urllib3's MaxRetryError holds the cause
    return not isinstance(reason, urllib3.exceptions.NewConnectionError)


def _read(response: requests.Response, deadline: float) -> bytes:
    """The body, given up on at `deadline` however steadily it trickles in."""
    chunks, size = [], 0
    while chunk := _read_some(response):
        chunks.append(chunk)
        size += len(chunk)
        if time.monotonic() > deadline:
            raise requests.Timeout("the body did not finish in time")
        if size > MAX_BODY:
            raise requests.RequestException("the body is too large")
    return b"".join(chunks)


def _read_some(response: requests.Response) -> bytes:
    # One read of the socket at most (read1), so that the deadline is looked at
    # between the bytes of a trickle; urllib3's errors become requests' own.
    try:
        return response.raw.read1(8192, decode_content=True)
    except urllib3.exceptions.ReadTimeoutError as error:
        raise requests.Timeout(str(error)) from None
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise requests.ConnectionError(str(error)) from None


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def retry_after(headers: Any, now: datetime | None = None) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds or a date), X's rate-limit reset or
    the Graph API's estimated time to regain access.

    At most MAX_RETRY_AFTER: a figure beyond reason is not waited for.
    """
    value = headers.get("Retry-After")
    seconds = _graph_regain(headers.get("X-Business-Use-Case-Usage"))
    if value:
        value = value.strip()
        if value.isdigit():
            seconds = float(value)
        else:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                return None
            if when.tzinfo is None:  # "-0000": a time in UTC from a source that says so
                when = when.replace(tzinfo=timezone.utc)
            now = now or datetime.now(timezone.utc)
            seconds = (when - now).total_seconds()
    elif seconds is None:
        reset = headers.get("x-rate-limit-reset")
        if reset and reset.strip().isdigit():
            now = now or datetime.now(timezone.utc)
            seconds = float(reset) - now.timestamp()
    if seconds is None:
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def _graph_regain(usage: str | None) -> float | None:
    # {"<id>": [{"type": "messenger", ..., "estimated_time_to_regain_access": 19}]}, minutes.
    try:
        entries = [e for found in json.loads(usage or "").values() for e in found]
        minutes = max(float(e.get("estimated_time_to_regain_access") or 0) for e in entries)
    except (ValueError, TypeError, AttributeError):
        return None
    return minutes * 60 if minutes > 0 else None


def _graph_says_gone(answer: Any) -> bool:
    """The Graph API's answer about an object that does not exist (code 100, subcode 33:
    "Object with ID ... does not exist", as for a comment deleted with its parent)."""
    error = answer.get("error") if isinstance(answer, dict) else None
    return isinstance(error, dict) and (error.get("code"), error.get("error_subcode")) == (
        100,
        33,
    )


def _graph_says_transient(answer: Any) -> bool:
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        return False
    return bool(error.get("is_transient")) or error.get("code") in GRAPH_RATE_LIMIT_CODES
