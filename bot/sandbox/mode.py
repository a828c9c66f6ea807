"""When the assistant runs in sandbox mode, and with which settings.

`make run` with no platform credential at all (none of the FACEBOOK_*, TWITTER_*,
INSTAGRAM_*, YOUTUBE_* or LINKEDIN_* settings, in the environment or in `.env`) starts in sandbox
mode: SANDBOX=on, and the platform settings point at the staff app's own stand-ins on
loopback. The staff app serves the sandbox only when both hold (`sandbox_enabled`); no
server starts with SANDBOX=on and a platform address other than the stand-ins' or a
platform credential other than the sandbox's own (bot/settings.py).
"""

from __future__ import annotations

from typing import Dict, Mapping

from bot.settings import (
    SANDBOX_GRAPH,
    SANDBOX_INSTAGRAM,
    SANDBOX_LINKEDIN,
    SANDBOX_PLATFORM,
    SANDBOX_X,
    SANDBOX_YOUTUBE,
    SANDBOX_YOUTUBE_TOKEN,
    Settings,
    sandbox_url,
)

GRAPH_PATH = SANDBOX_GRAPH
X_PATH = SANDBOX_X
# The sandbox's page and account (bot/settings.py holds them with its secrets).
PAGE_ID = SANDBOX_PLATFORM["FACEBOOK_PAGE_ID"]
ACCOUNT_ID = SANDBOX_PLATFORM["TWITTER_USER_ID"]
ACCOUNT_HANDLE = "housing"
INSTAGRAM_ACCOUNT = SANDBOX_PLATFORM["INSTAGRAM_ACCOUNT_ID"]
YOUTUBE_CHANNEL = SANDBOX_PLATFORM["YOUTUBE_CHANNEL_ID"]
LINKEDIN_ORGANIZATION = f"urn:li:organization:{SANDBOX_PLATFORM['LINKEDIN_ORGANIZATION_ID']}"
# The sandbox's YouTube and LinkedIn are read by polling, as the real ones are, but
# often: what a tenant writes there is answered within seconds. Polling every few
# seconds spends more reads than a real day's quota, which the stand-in does not count.
POLL_SECONDS = 3
YOUTUBE_READ_UNITS = 1_000_000


def platform_settings(environ: Mapping[str, str]) -> list[str]:
    """The FACEBOOK_*, TWITTER_*, INSTAGRAM_*, YOUTUBE_* and LINKEDIN_* settings set in
    `environ` (non-empty)."""
    return sorted(
        name
        for name, value in environ.items()
        if name.startswith(("FACEBOOK_", "TWITTER_", "INSTAGRAM_", "YOUTUBE_", "LINKEDIN_"))
        and value
    )


def graph_url(console_port: int) -> str:
    """FACEBOOK_GRAPH_URL in sandbox mode: the staff app's Graph API stand-in."""
    return sandbox_url(console_port, GRAPH_PATH)


def x_url(console_port: int) -> str:
    """TWITTER_API_URL in sandbox mode: the staff app's X API stand-in."""
    return sandbox_url(console_port, X_PATH)


def sandbox_env(console_port: int) -> Dict[str, str]:
    """The settings `make run` starts every server with in sandbox mode: all five
    platforms, played by the staff app. CONSOLE_PORT is among them: each server checks
    the platform addresses are the staff app's own."""
    return {
        "SANDBOX": "on",
        "CONSOLE_PORT": str(console_port),
        **SANDBOX_PLATFORM,
        "FACEBOOK_GRAPH_URL": graph_url(console_port),
        "TWITTER_API_URL": x_url(console_port),
        "INSTAGRAM_GRAPH_URL": sandbox_url(console_port, SANDBOX_INSTAGRAM),
        "YOUTUBE_API_URL": sandbox_url(console_port, SANDBOX_YOUTUBE),
        "YOUTUBE_TOKEN_URL": sandbox_url(console_port, SANDBOX_YOUTUBE_TOKEN),
        "YOUTUBE_POLL_SECONDS": str(POLL_SECONDS),
        "YOUTUBE_READ_UNITS": str(YOUTUBE_READ_UNITS),
        "LINKEDIN_API_URL": sandbox_url(console_port, SANDBOX_LINKEDIN),
        "LINKEDIN_POLL_SECONDS": str(POLL_SECONDS),
    }


def sandbox_enabled(settings: Settings) -> bool:
    """Whether the staff app serves the sandbox: SANDBOX=on, Facebook and X set, and
    every platform that is on pointed at the staff app's own stand-ins. Anything else
    (real platform addresses above all) and every sandbox route answers 404."""
    port = settings.console_port
    instagram, youtube, linkedin = settings.instagram, settings.youtube, settings.linkedin
    return (
        settings.sandbox
        and not settings.facebook.missing()
        and not settings.twitter.missing()
        and settings.facebook.graph_url == graph_url(port)
        and settings.twitter.api_url == x_url(port)
        and (
            bool(instagram.missing()) or instagram.graph_url == sandbox_url(port, SANDBOX_INSTAGRAM)
        )
        and (
            bool(youtube.missing())
            or (
                youtube.api_url == sandbox_url(port, SANDBOX_YOUTUBE)
                and youtube.token_url == sandbox_url(port, SANDBOX_YOUTUBE_TOKEN)
            )
        )
        and (bool(linkedin.missing()) or linkedin.api_url == sandbox_url(port, SANDBOX_LINKEDIN))
    )
