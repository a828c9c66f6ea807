"""Webhook signatures of Facebook and X, checked in constant time.

Both platforms sign the raw request body with HMAC-SHA256 under the app's secret:
Facebook as `X-Hub-Signature-256: sha256=<hex>`, X as
`x-twitter-webhooks-signature: sha256=<base64>`. Only SHA-256 is accepted, whatever
the request says.

X's CRC answer is the same HMAC as its POST signature, so answering any token would
sign any body an attacker chose: only tokens of the shape X sends are answered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

# X's tokens are short opaque strings (its documented example is a UUID); a webhook
# body, which is a JSON object, never has this shape.
CRC_TOKEN = re.compile(r"[A-Za-z0-9_=+/.-]{1,256}")


def facebook_signature(body: bytes, secret: str) -> str:
    """The `X-Hub-Signature-256` header value Facebook sends with `body`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def twitter_signature(body: bytes, secret: str) -> str:
    """The `x-twitter-webhooks-signature` header value X sends with `body`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return f"sha256={base64.b64encode(digest).decode()}"


def facebook_signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    """Whether `header` is Facebook's signature of `body`."""
    return _same(header, facebook_signature(body, secret))


def twitter_signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    """Whether `header` is X's signature of `body`."""
    return _same(header, twitter_signature(body, secret))


def crc_token_acceptable(crc_token: str) -> bool:
    """Whether `crc_token` has the shape of X's tokens and could never be a body.

    Short, of the base64 and url-safe alphabet (no braces, quotes or spaces), and not
    JSON at all (`123` or `true` are JSON, and so could be signed bodies).
    """
    if not CRC_TOKEN.fullmatch(crc_token):
        return False
    try:
        json.loads(crc_token)
    except ValueError:
        return True
    return False


def twitter_crc_response(crc_token: str, secret: str) -> dict:
    """The answer to X's challenge-response check (`GET ...?crc_token=`).

    Raises:
        ValueError: `crc_token` is not the shape X sends (crc_token_acceptable).
    """
    if not crc_token_acceptable(crc_token):
        raise ValueError("not a CRC token X would send")
    return {"response_token": twitter_signature(crc_token.encode(), secret)}


def _same(given: str | None, expected: str) -> bool:
    # A byte that is not ASCII reaches here as a lone surrogate (Sanic decodes headers
    # with surrogateescape): no signature has one, and it cannot be encoded.
    if not given or not given.isascii():
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())
