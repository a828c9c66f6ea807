"""When the assistant runs in sandbox mode, and with which settings.

`make run` with no platform credential at all (none of the FACEBOOK_* or TWITTER_*
settings, in the environment or in `.env`) starts in sandbox mode: SANDBOX=on, and the
platform settings point at the staff app's own stand-ins on loopback. The staff app
serves the sandbox only when both hold (`sandbox_enabled`); the Rasa server refuses to
start with SANDBOX=on and a platform address that is not loopback (bot/settings.py).
"""

from __future__ import annotations

from typing import Dict, Mapping

from bot.settings import Settings

HOST = "127.0.0.1"
GRAPH_PATH = "/sandbox-api/graph/v19.0"
X_PATH = "/sandbox-api/x"
# The sandbox's page and account. The secrets are not secret: they only let the sandbox
# page sign what it posts to the Rasa server, as the platforms would.
PAGE_ID = "100000000000042"
ACCOUNT_ID = "200000000000042"
ACCOUNT_HANDLE = "housing"


def platform_settings(environ: Mapping[str, str]) -> list[str]:
    """The FACEBOOK_* and TWITTER_* settings that are set (non-empty) in `environ`."""
    return sorted(
        name
        for name, value in environ.items()
        if name.startswith(("FACEBOOK_", "TWITTER_")) and value
    )


def graph_url(console_port: int) -> str:
    """FACEBOOK_GRAPH_URL in sandbox mode: the staff app's Graph API stand-in."""
    return f"http://{HOST}:{console_port}{GRAPH_PATH}"


def x_url(console_port: int) -> str:
    """TWITTER_API_URL in sandbox mode: the staff app's X API stand-in."""
    return f"http://{HOST}:{console_port}{X_PATH}"


def sandbox_env(console_port: int) -> Dict[str, str]:
    """The settings `make run` starts every server with in sandbox mode."""
    return {
        "SANDBOX": "on",
        "FACEBOOK_APP_SECRET": "sandbox-app-secret",
        "FACEBOOK_VERIFY_TOKEN": "sandbox-verify-token",
        "FACEBOOK_PAGE_ACCESS_TOKEN": "sandbox-page-token",
        "FACEBOOK_PAGE_ID": PAGE_ID,
        "FACEBOOK_GRAPH_URL": graph_url(console_port),
        "TWITTER_CONSUMER_KEY": "sandbox-consumer-key",
        "TWITTER_CONSUMER_SECRET": "sandbox-consumer-secret",
        "TWITTER_ACCESS_TOKEN": "sandbox-access-token",
        "TWITTER_ACCESS_TOKEN_SECRET": "sandbox-access-token-secret",
        "TWITTER_USER_ID": ACCOUNT_ID,
        "TWITTER_API_URL": x_url(console_port),
    }


def sandbox_enabled(settings: Settings) -> bool:
    """Whether the staff app serves the sandbox: SANDBOX=on, both platform channels set,
    and both platform addresses the staff app's own stand-ins. Anything else (real
    platform addresses above all) and every sandbox route answers 404."""
    port = settings.console_port
    return (
        settings.sandbox
        and not settings.facebook.missing()
        and not settings.twitter.missing()
        and settings.facebook.graph_url == graph_url(port)
        and settings.twitter.api_url == x_url(port)
    )
