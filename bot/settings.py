"""Settings: read from the environment in one place, when the program starts.

A local `.env` file is read where present; variables already in the environment win.
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Callable, Mapping

from cryptography.fernet import Fernet
from dotenv import dotenv_values

from bot.keys import DataKeys, KeysError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Where `make run` keeps the outbox's key when OUTBOX_KEY is not set.
OUTBOX_KEY_FILE = PROJECT_ROOT / "var" / "outbox-key"
# SANDBOX=on (bot/sandbox/mode.py): the only platform settings a server then starts
# with. The stand-ins' paths on the staff app, and the sandbox's page, account and
# secrets, which are not secret: they only let the sandbox sign what it posts to the
# Rasa server, as the platforms would.
SANDBOX_GRAPH = "/sandbox-api/graph/v19.0"
SANDBOX_X = "/sandbox-api/x"
SANDBOX_INSTAGRAM = "/sandbox-api/instagram/v19.0"
SANDBOX_YOUTUBE = "/sandbox-api/youtube/v3"
SANDBOX_YOUTUBE_TOKEN = "/sandbox-api/youtube/token"
SANDBOX_LINKEDIN = "/sandbox-api/linkedin/rest"
SANDBOX_PLATFORM = {
    "FACEBOOK_APP_SECRET": "sandbox-app-secret",
    "FACEBOOK_VERIFY_TOKEN": "sandbox-verify-token",
    "FACEBOOK_PAGE_ACCESS_TOKEN": "sandbox-page-token",
    "FACEBOOK_PAGE_ID": "100000000000042",
    "TWITTER_CONSUMER_KEY": "sandbox-consumer-key",
    "TWITTER_CONSUMER_SECRET": "sandbox-consumer-secret",
    "TWITTER_ACCESS_TOKEN": "sandbox-access-token",
    "TWITTER_ACCESS_TOKEN_SECRET": "sandbox-access-token-secret",
    "TWITTER_USER_ID": "200000000000042",
    "INSTAGRAM_APP_SECRET": "sandbox-instagram-secret",
    "INSTAGRAM_VERIFY_TOKEN": "sandbox-instagram-verify-token",
    "INSTAGRAM_ACCESS_TOKEN": "sandbox-instagram-token",
    "INSTAGRAM_ACCOUNT_ID": "17841400000000042",
    "YOUTUBE_CLIENT_ID": "sandbox-youtube-client",
    "YOUTUBE_CLIENT_SECRET": "sandbox-youtube-secret",
    "YOUTUBE_REFRESH_TOKEN": "sandbox-youtube-refresh-token",
    "YOUTUBE_CHANNEL_ID": "UCsandboxassociation42",
    "LINKEDIN_ACCESS_TOKEN": "sandbox-linkedin-token",
    "LINKEDIN_ORGANIZATION_ID": "90000042",
}
# The secrets a process may insist on (Settings.require), and their fields. In
# development the last two are made up for the process when missing: nothing stored
# depends on them lasting.
SECRETS = {
    "ENCRYPTION_KEYS": "encryption_keys",
    "LOOKUP_KEY": "lookup_key",
    "RASA_API_TOKEN": "rasa_api_token",
    "CONSOLE_SESSION_SECRET": "console_session_secret",
}
MADE_UP_IN_DEVELOPMENT = ("RASA_API_TOKEN", "CONSOLE_SESSION_SECRET")


@dataclass(frozen=True)
class FacebookSettings:
    """The Facebook page and app. The channel is on only when every secret is set."""

    app_secret: str | None = None
    verify_token: str | None = None
    page_access_token: str | None = None
    page_id: str | None = None
    graph_url: str = "https://graph.facebook.com/v19.0"

    def missing(self) -> list[str]:
        """The settings still needed to turn the channel on."""
        needed = {
            "FACEBOOK_APP_SECRET": self.app_secret,
            "FACEBOOK_VERIFY_TOKEN": self.verify_token,
            "FACEBOOK_PAGE_ACCESS_TOKEN": self.page_access_token,
            "FACEBOOK_PAGE_ID": self.page_id,
        }
        return [name for name, value in needed.items() if not value]


@dataclass(frozen=True)
class InstagramSettings:
    """The Instagram professional account, through the Meta app and its linked page.

    Its webhook is signed with the Meta app's secret, like Facebook's; the access token
    is the linked page's (Instagram API with Facebook Login). The channel is on only
    when every one is set.
    """

    app_secret: str | None = None
    verify_token: str | None = None
    access_token: str | None = None
    account_id: str | None = None
    graph_url: str = "https://graph.facebook.com/v19.0"

    def missing(self) -> list[str]:
        """The settings still needed to turn the channel on."""
        needed = {
            "INSTAGRAM_APP_SECRET": self.app_secret,
            "INSTAGRAM_VERIFY_TOKEN": self.verify_token,
            "INSTAGRAM_ACCESS_TOKEN": self.access_token,
            "INSTAGRAM_ACCOUNT_ID": self.account_id,
        }
        return [name for name, value in needed.items() if not value]


@dataclass(frozen=True)
class YouTubeSettings:
    """The channel's comments, read by polling the YouTube Data API (no webhook exists).

    The OAuth client and the refresh token the channel's owner granted (scope
    `youtube.force-ssl`) give the access tokens; the poller reads every `poll_seconds`
    and spends at most `read_units` of the day's quota on reading. The channel is on
    only when the first four are set.
    """

    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    channel_id: str | None = None
    api_url: str = "https://www.googleapis.com/youtube/v3"
    token_url: str = "https://oauth2.googleapis.com/token"
    poll_seconds: int = 300
    # Of the default 10,000 units a day: reading costs 1 a page, each reply or
    # moderation call 50, so most of the day's quota is left for acting.
    read_units: int = 2000

    def missing(self) -> list[str]:
        """The settings still needed to turn the channel on."""
        needed = {
            "YOUTUBE_CLIENT_ID": self.client_id,
            "YOUTUBE_CLIENT_SECRET": self.client_secret,
            "YOUTUBE_REFRESH_TOKEN": self.refresh_token,
            "YOUTUBE_CHANNEL_ID": self.channel_id,
        }
        return [name for name, value in needed.items() if not value]


@dataclass(frozen=True)
class LinkedInSettings:
    """The organization's page: comments on its posts, through the Community Management API.

    The access token is an administrator's (scopes `r_organization_social` and
    `w_organization_social`; LinkedIn's tokens last 60 days, so it is renewed by hand).
    New comments come by the webhook (`webhook`, signed with the app's client secret)
    where the association has one, and are polled every `poll_seconds` otherwise, on the
    `posts_watched` newest posts. The channel is on with the token and the organization.
    """

    access_token: str | None = None
    organization_id: str | None = None
    client_secret: str | None = None
    webhook: bool = False
    api_url: str = "https://api.linkedin.com/rest"
    # The API version every call names (LinkedIn-Version: YYYYMM); LinkedIn retires each
    # about a year after it comes out.
    version: str = "202610"
    poll_seconds: int = 600
    posts_watched: int = 10

    def missing(self) -> list[str]:
        """The settings still needed to turn the channel on."""
        needed = {
            "LINKEDIN_ACCESS_TOKEN": self.access_token,
            "LINKEDIN_ORGANIZATION_ID": self.organization_id,
        }
        if self.webhook:
            needed["LINKEDIN_CLIENT_SECRET"] = self.client_secret
        return [name for name, value in needed.items() if not value]


@dataclass(frozen=True)
class TwitterSettings:
    """The X account and app. The channel is on only when every secret is set."""

    consumer_key: str | None = None
    consumer_secret: str | None = None
    access_token: str | None = None
    access_token_secret: str | None = None
    user_id: str | None = None
    api_url: str = "https://api.twitter.com"

    def missing(self) -> list[str]:
        """The settings still needed to turn the channel on."""
        needed = {
            "TWITTER_CONSUMER_KEY": self.consumer_key,
            "TWITTER_CONSUMER_SECRET": self.consumer_secret,
            "TWITTER_ACCESS_TOKEN": self.access_token,
            "TWITTER_ACCESS_TOKEN_SECRET": self.access_token_secret,
            "TWITTER_USER_ID": self.user_id,
        }
        return [name for name, value in needed.items() if not value]


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server staff alerts are sent through (bot/alerts/)."""

    host: str | None = None
    port: int = 587
    user: str | None = None
    password: str | None = None
    sender: str | None = None
    starttls: bool = True
    timeout: float = 10.0

    def missing(self) -> list[str]:
        """The settings still needed to send alert emails."""
        needed = {"SMTP_HOST": self.host, "SMTP_FROM": self.sender}
        return [name for name, value in needed.items() if not value]


@dataclass(frozen=True)
class Settings:
    """The settings this program runs with. Names match the environment variables."""

    association_file: Path
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'assistant.db'}"
    rasa_port: int = 5005
    action_port: int = 5055
    rasa_api_token: str | None = None
    # P9: ENCRYPTION_KEYS (newest first) and LOOKUP_KEY keep the store unreadable at
    # rest (bot/keys.py); CONSOLE_SESSION_SECRET keys the console's sessions. `make run`
    # writes all three, and RASA_API_TOKEN, to .env. ASSISTANT_ENV=production: the
    # processes refuse to start without them.
    encryption_keys: tuple[str, ...] = ()
    lookup_key: str | None = None
    console_session_secret: str | None = None
    environment: str = "development"
    security_answers_key: str | None = None
    outbox_key: str | None = None
    demo_tenancies: Path | None = PROJECT_ROOT / "demo" / "tenancies.yml"
    # The REST channel is for local chat only: off unless REST_CHANNEL=on.
    rest_channel: bool = False
    # The staff app (bot/console/, its API under /api/): loopback only unless
    # CONSOLE_HOST says otherwise; staff bearer tokens as "name:token,..."
    # (STAFF_API_TOKENS) or a file of such lines.
    console_host: str = "127.0.0.1"
    console_port: int = 5080
    # How many reverse proxies in front of the staff app add to X-Forwarded-For (0:
    # none, so no such header is believed), or the header one sets to the client's
    # address; the sign-in rate limit keys on the address they give.
    console_proxies_count: int = 0
    console_real_ip_header: str | None = None
    staff_tokens: str | None = None
    staff_tokens_file: Path | None = None
    facebook: FacebookSettings = FacebookSettings()
    twitter: TwitterSettings = TwitterSettings()
    instagram: InstagramSettings = InstagramSettings()
    youtube: YouTubeSettings = YouTubeSettings()
    linkedin: LinkedInSettings = LinkedInSettings()
    smtp: SmtpSettings = SmtpSettings()
    # Staff alerts link to STAFF_CONSOLE_URL + /handoffs/<id> when it is set.
    staff_console_url: str | None = None
    # ALERT_WEBHOOK_* variables: webhook addresses association.yml names as `env:NAME`.
    alert_webhooks: Mapping[str, str] = field(default_factory=dict)
    # Tests only: the servers' clock starts here (bot/clock.py).
    fake_now: datetime | None = None
    # The endpoints file the Rasa server runs with: the console's dashboard reads its
    # tracker store (read-only) for intents and fallbacks.
    endpoints_file: Path = PROJECT_ROOT / "endpoints.yml"
    # TRAINER_PROJECT_ROOT: the checkout the console's trainer pages read and write
    # (data/nlu/, domain.yml, config.yml, results/nlu/report/); tests give a copy.
    trainer_project_root: Path = PROJECT_ROOT
    # P11: a tenant who says no to the question after a conversation is not asked again
    # for this many days.
    survey_ask_again_after_days: int = 90
    # SANDBOX=on: the platforms are the staff app's stand-ins (bot/sandbox/), and every
    # platform setting must be the sandbox's own, so nothing reaches a real platform.
    sandbox: bool = False
    # OUTBOX_PROCESS=off: a Rasa server sends its outbox from its own process, beside
    # the messages it answers; by default a process of its own sends it (P12: speed,
    # bot/channels/sending.py).
    outbox_process: bool = True

    def __post_init__(self) -> None:
        if not self.sandbox:
            return
        # Exactly the stand-in's addresses and the sandbox's own values: a loopback
        # address may be a tunnel to a real platform, and a real token must not be
        # within reach of a sandbox anyone can type into. Instagram, YouTube and
        # LinkedIn may be left off; once any of their settings is given, the same holds.
        port = self.console_port
        instagram, youtube, linkedin = self.instagram, self.youtube, self.linkedin
        for name, url, own, checked in (
            ("FACEBOOK_GRAPH_URL", self.facebook.graph_url, SANDBOX_GRAPH, True),
            ("TWITTER_API_URL", self.twitter.api_url, SANDBOX_X, True),
            (
                "INSTAGRAM_GRAPH_URL",
                instagram.graph_url,
                SANDBOX_INSTAGRAM,
                instagram.missing() != InstagramSettings().missing(),
            ),
            (
                "YOUTUBE_API_URL",
                youtube.api_url,
                SANDBOX_YOUTUBE,
                youtube.missing() != YouTubeSettings().missing(),
            ),
            (
                "YOUTUBE_TOKEN_URL",
                youtube.token_url,
                SANDBOX_YOUTUBE_TOKEN,
                youtube.missing() != YouTubeSettings().missing(),
            ),
            (
                "LINKEDIN_API_URL",
                linkedin.api_url,
                SANDBOX_LINKEDIN,
                linkedin.missing() != LinkedInSettings().missing(),
            ),
        ):
            own = sandbox_url(port, own)
            if checked and url != own:
                raise SettingsError(
                    f"SANDBOX=on, so {name} must be the sandbox's own stand-in, {own!r} "
                    f"(CONSOLE_PORT {port}), not {url!r}: the sandbox never sends to a real "
                    "platform. Unset SANDBOX to use real ones."
                )
        facebook, twitter = self.facebook, self.twitter
        given = {
            "FACEBOOK_APP_SECRET": facebook.app_secret,
            "FACEBOOK_VERIFY_TOKEN": facebook.verify_token,
            "FACEBOOK_PAGE_ACCESS_TOKEN": facebook.page_access_token,
            "FACEBOOK_PAGE_ID": facebook.page_id,
            "TWITTER_CONSUMER_KEY": twitter.consumer_key,
            "TWITTER_CONSUMER_SECRET": twitter.consumer_secret,
            "TWITTER_ACCESS_TOKEN": twitter.access_token,
            "TWITTER_ACCESS_TOKEN_SECRET": twitter.access_token_secret,
            "TWITTER_USER_ID": twitter.user_id,
            "INSTAGRAM_APP_SECRET": instagram.app_secret,
            "INSTAGRAM_VERIFY_TOKEN": instagram.verify_token,
            "INSTAGRAM_ACCESS_TOKEN": instagram.access_token,
            "INSTAGRAM_ACCOUNT_ID": instagram.account_id,
            "YOUTUBE_CLIENT_ID": youtube.client_id,
            "YOUTUBE_CLIENT_SECRET": youtube.client_secret,
            "YOUTUBE_REFRESH_TOKEN": youtube.refresh_token,
            "YOUTUBE_CHANNEL_ID": youtube.channel_id,
            "LINKEDIN_ACCESS_TOKEN": linkedin.access_token,
            "LINKEDIN_ORGANIZATION_ID": linkedin.organization_id,
        }
        if linkedin.client_secret or linkedin.webhook:
            # The sandbox plays LinkedIn's API, not its webhook: comments are polled.
            raise SettingsError(
                "SANDBOX=on, so LINKEDIN_WEBHOOK and LINKEDIN_CLIENT_SECRET must be unset: "
                "the sandbox's LinkedIn is read by polling. Unset SANDBOX to use a real one."
            )
        for name, value in given.items():
            if value is not None and value != SANDBOX_PLATFORM[name]:
                # Not the value: it may be a real secret.
                raise SettingsError(
                    f"SANDBOX=on, so {name} must be the sandbox's own value "
                    f"({SANDBOX_PLATFORM[name]!r}) or unset: the sandbox never sends to a "
                    "real platform, nor holds its credentials. Unset SANDBOX to use real ones."
                )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        dotenv_path: Path | None = None,
    ) -> Settings:
        """Read the settings from `environ` (default: the process environment) and `.env`."""
        env_file = dotenv_path if dotenv_path is not None else PROJECT_ROOT / ".env"
        values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
        values.update(os.environ if environ is None else environ)
        return cls(
            association_file=_path(
                values.get("ASSOCIATION_FILE"), PROJECT_ROOT / "association.yml"
            ),
            database_url=values.get("DATABASE_URL") or cls.database_url,
            rasa_port=_port(values, "RASA_PORT", cls.rasa_port),
            action_port=_port(values, "ACTION_PORT", cls.action_port),
            rasa_api_token=values.get("RASA_API_TOKEN") or None,
            encryption_keys=tuple(
                k.strip() for k in values.get("ENCRYPTION_KEYS", "").split(",") if k.strip()
            ),
            lookup_key=values.get("LOOKUP_KEY") or None,
            console_session_secret=values.get("CONSOLE_SESSION_SECRET") or None,
            environment=_environment(values.get("ASSISTANT_ENV")),
            security_answers_key=_fernet_key(values.get("SECURITY_ANSWERS_KEY")),
            outbox_key=_fernet_key(
                values.get("OUTBOX_KEY") or _read(OUTBOX_KEY_FILE), "OUTBOX_KEY"
            ),
            demo_tenancies=(
                None
                if values.get("DEMO_TENANCIES", "").lower() in ("off", "none", "false")
                else _path(values.get("DEMO_TENANCIES"), cls.demo_tenancies)
            ),
            rest_channel=values.get("REST_CHANNEL", "").lower() in ("on", "true", "1", "yes"),
            console_host=values.get("CONSOLE_HOST") or cls.console_host,
            console_port=_port(values, "CONSOLE_PORT", cls.console_port),
            console_proxies_count=_count(values, "CONSOLE_PROXIES_COUNT"),
            console_real_ip_header=values.get("CONSOLE_REAL_IP_HEADER") or None,
            staff_tokens=values.get("STAFF_API_TOKENS") or None,
            staff_tokens_file=_path(values.get("STAFF_API_TOKENS_FILE"), None),
            facebook=FacebookSettings(
                app_secret=values.get("FACEBOOK_APP_SECRET") or None,
                verify_token=values.get("FACEBOOK_VERIFY_TOKEN") or None,
                page_access_token=values.get("FACEBOOK_PAGE_ACCESS_TOKEN") or None,
                page_id=values.get("FACEBOOK_PAGE_ID") or None,
                graph_url=_url(values, "FACEBOOK_GRAPH_URL", FacebookSettings.graph_url),
            ),
            instagram=InstagramSettings(
                app_secret=values.get("INSTAGRAM_APP_SECRET") or None,
                verify_token=values.get("INSTAGRAM_VERIFY_TOKEN") or None,
                access_token=values.get("INSTAGRAM_ACCESS_TOKEN") or None,
                account_id=values.get("INSTAGRAM_ACCOUNT_ID") or None,
                graph_url=_url(values, "INSTAGRAM_GRAPH_URL", InstagramSettings.graph_url),
            ),
            youtube=YouTubeSettings(
                client_id=values.get("YOUTUBE_CLIENT_ID") or None,
                client_secret=values.get("YOUTUBE_CLIENT_SECRET") or None,
                refresh_token=values.get("YOUTUBE_REFRESH_TOKEN") or None,
                channel_id=values.get("YOUTUBE_CHANNEL_ID") or None,
                api_url=_url(values, "YOUTUBE_API_URL", YouTubeSettings.api_url),
                token_url=_url(values, "YOUTUBE_TOKEN_URL", YouTubeSettings.token_url),
                poll_seconds=_at_least(
                    values, "YOUTUBE_POLL_SECONDS", YouTubeSettings.poll_seconds, 1
                ),
                read_units=_at_least(values, "YOUTUBE_READ_UNITS", YouTubeSettings.read_units, 1),
            ),
            linkedin=LinkedInSettings(
                access_token=values.get("LINKEDIN_ACCESS_TOKEN") or None,
                organization_id=values.get("LINKEDIN_ORGANIZATION_ID") or None,
                client_secret=values.get("LINKEDIN_CLIENT_SECRET") or None,
                webhook=values.get("LINKEDIN_WEBHOOK", "").lower() in ("on", "true", "1", "yes"),
                api_url=_url(values, "LINKEDIN_API_URL", LinkedInSettings.api_url),
                version=_version(values.get("LINKEDIN_VERSION"), LinkedInSettings.version),
                poll_seconds=_at_least(
                    values, "LINKEDIN_POLL_SECONDS", LinkedInSettings.poll_seconds, 1
                ),
                posts_watched=_at_least(
                    values, "LINKEDIN_POSTS_WATCHED", LinkedInSettings.posts_watched, 1
                ),
            ),
            twitter=TwitterSettings(
                consumer_key=values.get("TWITTER_CONSUMER_KEY") or None,
                consumer_secret=values.get("TWITTER_CONSUMER_SECRET") or None,
                access_token=values.get("TWITTER_ACCESS_TOKEN") or None,
                access_token_secret=values.get("TWITTER_ACCESS_TOKEN_SECRET") or None,
                user_id=values.get("TWITTER_USER_ID") or None,
                api_url=_url(values, "TWITTER_API_URL", TwitterSettings.api_url),
            ),
            smtp=SmtpSettings(
                host=values.get("SMTP_HOST") or None,
                port=_port(values, "SMTP_PORT", SmtpSettings.port),
                user=values.get("SMTP_USER") or None,
                password=values.get("SMTP_PASSWORD") or None,
                sender=values.get("SMTP_FROM") or None,
                starttls=values.get("SMTP_STARTTLS", "on").lower() not in ("off", "false", "0"),
            ),
            staff_console_url=(
                _url(values, "STAFF_CONSOLE_URL", "") if values.get("STAFF_CONSOLE_URL") else None
            ),
            alert_webhooks={
                k: v for k, v in values.items() if k.startswith("ALERT_WEBHOOK_") and v
            },
            fake_now=_instant(values.get("ASSISTANT_FAKE_NOW"), "ASSISTANT_FAKE_NOW"),
            endpoints_file=_path(values.get("ENDPOINTS_FILE"), cls.endpoints_file),
            trainer_project_root=_path(
                values.get("TRAINER_PROJECT_ROOT"), cls.trainer_project_root
            ),
            sandbox=values.get("SANDBOX", "").lower() in ("on", "true", "1", "yes"),
            outbox_process=values.get("OUTBOX_PROCESS", "on").lower()
            not in ("off", "false", "0", "no"),
            survey_ask_again_after_days=_at_least(
                values, "SURVEY_ASK_AGAIN_AFTER_DAYS", cls.survey_ask_again_after_days, 1
            ),
        )

    @property
    def production(self) -> bool:
        """ASSISTANT_ENV=production: every secret must be set, nothing is made up."""
        return self.environment == "production"

    def require(self, *names: str, notice: Callable[[str], None] | None = None) -> Settings:
        """These settings, checked to hold the secrets `names` (keys of SECRETS) that a
        process needs before it starts.

        ASSISTANT_ENV=production: every one must be set. In development the store's keys
        must be (what they encrypt must stay readable), while a missing RASA_API_TOKEN or
        CONSOLE_SESSION_SECRET is made up for this process only, and `notice` (default:
        standard error) is told which.

        Raises:
            SettingsError: naming the missing secrets (never a value) and how to set them.
        """
        missing = [name for name in names if not getattr(self, SECRETS[name])]
        needed = [n for n in missing if self.production or n not in MADE_UP_IN_DEVELOPMENT]
        if needed and self.production:
            raise SettingsError(
                f"ASSISTANT_ENV=production and {', '.join(needed)} not set: refusing to start "
                'without them. Set it in the environment or in .env (README.md, "Keys").'
            )
        if needed:
            raise SettingsError(
                f"{' and '.join(needed)} not set: the store is encrypted (P9). `make run` "
                "writes them to .env on first run; or run `python -m scripts.keys new`."
            )
        if {"ENCRYPTION_KEYS", "LOOKUP_KEY"} & set(names):
            self.data_keys()  # malformed keys refuse to start too
        if not missing:
            return self
        (notice or _to_stderr)(
            f"notice: {', '.join(missing)} not set: made up for this process only "
            "(development; `make run` writes them to .env)"
        )
        return replace(self, **{SECRETS[n]: secrets.token_urlsafe(32) for n in missing})

    def data_keys(self) -> DataKeys:
        """The store's keys (ENCRYPTION_KEYS, LOOKUP_KEY), with the retired OUTBOX_KEY and
        SECURITY_ANSWERS_KEY still able to decrypt what they encrypted.

        Raises:
            SettingsError: a key is missing or malformed; the message says how to make one.
        """
        missing = [
            name
            for name, value in (
                ("ENCRYPTION_KEYS", self.encryption_keys),
                ("LOOKUP_KEY", self.lookup_key),
            )
            if not value
        ]
        if missing:
            raise SettingsError(
                f"{' and '.join(missing)} not set: the store is encrypted (P9). `make run` "
                "writes them to .env on first run; or run `python -m scripts.keys new`."
            )
        try:
            keys = DataKeys(self.encryption_keys, self.lookup_key)
        except KeysError as error:
            raise SettingsError(str(error)) from error
        return keys.with_older([self.outbox_key, self.security_answers_key])


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


def _to_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def sandbox_url(console_port: int, path: str) -> str:
    """A sandbox stand-in's address: the staff app's, on loopback, at `path`."""
    return f"http://127.0.0.1:{console_port}{path}"


def _port(values: Mapping[str, str], name: str, default: int) -> int:
    raw = values.get(name)
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"{name} must be a port number (1-65535), got {raw!r}")
    return int(raw)


def _count(values: Mapping[str, str], name: str) -> int:
    raw = values.get(name) or "0"
    if not raw.isdigit():
        raise SettingsError(f"{name} must be a whole number (0 or more), got {raw!r}")
    return int(raw)


def _version(raw: str | None, default: str) -> str:
    if not raw:
        return default
    if not (len(raw) == 6 and raw.isdigit()):
        raise SettingsError(f"LINKEDIN_VERSION must be a version as YYYYMM, got {raw!r}")
    return raw


def _at_least(values: Mapping[str, str], name: str, default: int, least: int) -> int:
    raw = values.get(name)
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < least:
        raise SettingsError(f"{name} must be a whole number, {least} or more, got {raw!r}")
    return int(raw)


def _url(values: Mapping[str, str], name: str, default: str) -> str:
    raw = values.get(name)
    if not raw:
        return default
    if not raw.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http(s) address, got {raw!r}")
    return raw.rstrip("/")


def _instant(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise SettingsError(f"{name} must be an ISO instant with its offset, got {raw!r}")
    return instant


def _environment(raw: str | None) -> str:
    value = (raw or "development").strip().lower()
    if value not in ("development", "production"):
        raise SettingsError(f"ASSISTANT_ENV must be development or production, got {raw!r}")
    return value


def _fernet_key(raw: str | None, name: str = "SECURITY_ANSWERS_KEY") -> str | None:
    if not raw:
        return None
    try:
        Fernet(raw)
    except ValueError as error:
        raise SettingsError(
            f"{name} must be a Fernet key (32 bytes, url-safe base64); "
            "make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from error
    return raw


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def _path(value: str | None, default: Path) -> Path:
    if not value:
        return default
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path
