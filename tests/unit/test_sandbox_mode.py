"""Sandbox mode: when `make run` starts it, and the guards that keep it off real
platforms."""

import pytest

from bot.sandbox.mode import graph_url, sandbox_enabled, sandbox_env, x_url
from bot.settings import Settings, SettingsError
from scripts.run import banner, channel_lines, sandbox_unless_platforms

REAL = {
    "FACEBOOK_APP_SECRET": "real-secret",
    "FACEBOOK_VERIFY_TOKEN": "v",
    "FACEBOOK_PAGE_ACCESS_TOKEN": "real-token",
    "FACEBOOK_PAGE_ID": "123",
}


def settings(environ, tmp_path):
    return Settings.from_env(environ, dotenv_path=tmp_path / "none")


def test_make_run_without_platform_credentials_starts_the_sandbox(tmp_path):
    environ = {"CONSOLE_PORT": "5999"}
    assert sandbox_unless_platforms(environ, tmp_path / "none") is True
    started = settings(environ, tmp_path)
    assert started.sandbox
    assert started.facebook.graph_url == "http://127.0.0.1:5999/sandbox-api/graph/v19.0"
    assert started.twitter.api_url == "http://127.0.0.1:5999/sandbox-api/x"
    assert not started.facebook.missing() and not started.twitter.missing()
    assert started.instagram.graph_url == "http://127.0.0.1:5999/sandbox-api/instagram/v19.0"
    assert started.youtube.api_url == "http://127.0.0.1:5999/sandbox-api/youtube/v3"
    assert started.youtube.token_url == "http://127.0.0.1:5999/sandbox-api/youtube/token"
    assert started.linkedin.api_url == "http://127.0.0.1:5999/sandbox-api/linkedin/rest"
    assert sandbox_enabled(started)
    # Every platform is on, each played by the sandbox.
    lines = channel_lines(started).splitlines()
    for name in ("Facebook", "X", "Instagram", "YouTube", "LinkedIn"):
        [line] = [line for line in lines if line.strip().startswith(f"{name}:")]
        assert line.endswith("on, played by the sandbox (no real platform)"), line


def test_a_sandbox_with_facebook_and_x_alone_leaves_the_others_off(tmp_path):
    """An older .env that set only the first two platforms' sandbox values still starts."""
    environ = {
        name: value
        for name, value in sandbox_env(5080).items()
        if not name.startswith(("INSTAGRAM_", "YOUTUBE_", "LINKEDIN_"))
    }
    started = settings(environ, tmp_path)
    assert sandbox_enabled(started) and started.instagram.missing()
    assert "Instagram:      off (set INSTAGRAM_APP_SECRET" in channel_lines(started)


@pytest.mark.parametrize(
    "environ, dotenv",
    [
        ({"FACEBOOK_APP_SECRET": "s"}, ""),
        ({}, "TWITTER_CONSUMER_KEY=k\n"),  # an operator's .env counts too
        ({"INSTAGRAM_ACCESS_TOKEN": "t"}, ""),  # an Instagram-only association
        ({"TWITTER_API_URL": "https://api.twitter.com"}, ""),
        ({"SANDBOX": "off"}, ""),
    ],
)
def test_any_platform_setting_or_sandbox_off_keeps_the_sandbox_off(tmp_path, environ, dotenv):
    env_file = tmp_path / ".env"
    env_file.write_text(dotenv)
    environ = dict(environ)
    assert sandbox_unless_platforms(environ, env_file) is False
    assert "SANDBOX" not in environ or environ["SANDBOX"] == "off"
    assert not Settings.from_env(environ, dotenv_path=env_file).sandbox


@pytest.mark.parametrize(
    "name, url",
    [
        ("FACEBOOK_GRAPH_URL", "https://graph.facebook.com/v19.0"),
        ("TWITTER_API_URL", "https://api.twitter.com"),
        ("FACEBOOK_GRAPH_URL", "http://10.0.0.5:5080/sandbox-api/graph/v19.0"),
        ("TWITTER_API_URL", "http://localhost.example.com/x"),
        ("TWITTER_API_URL", "http://localhost:5080/sandbox-api/x"),  # a name, not an address
        ("INSTAGRAM_GRAPH_URL", "https://graph.facebook.com/v19.0"),
        ("YOUTUBE_API_URL", "https://www.googleapis.com/youtube/v3"),
        ("YOUTUBE_TOKEN_URL", "https://oauth2.googleapis.com/token"),
        ("LINKEDIN_API_URL", "https://api.linkedin.com/rest"),
    ],
)
def test_with_the_sandbox_on_no_server_starts_with_an_address_off_this_machine(tmp_path, name, url):
    environ = {**sandbox_env(5080), name: url}
    with pytest.raises(SettingsError, match=f"SANDBOX=on, so {name} must be the sandbox's own"):
        settings(environ, tmp_path)


@pytest.mark.parametrize(
    "name, url",
    [
        # A tunnel to a real platform listens on loopback too.
        ("FACEBOOK_GRAPH_URL", "http://127.0.0.1:8443/v19.0"),
        ("TWITTER_API_URL", "http://127.0.0.1:8443"),
        ("TWITTER_API_URL", "http://127.0.0.2:5080/sandbox-api/x"),
        ("TWITTER_API_URL", "http://[::1]:5080/sandbox-api/x"),
        ("FACEBOOK_GRAPH_URL", "http://127.0.0.1:5081/sandbox-api/graph/v19.0"),  # another port
        ("INSTAGRAM_GRAPH_URL", "http://127.0.0.1:5080/sandbox-api/graph/v19.0"),  # Facebook's
        ("YOUTUBE_TOKEN_URL", "http://127.0.0.1:8443/token"),
        ("LINKEDIN_API_URL", "http://127.0.0.1:5081/sandbox-api/linkedin/rest"),
    ],
)
def test_with_the_sandbox_on_the_platforms_are_the_staff_apps_stand_ins_only(tmp_path, name, url):
    environ = {**sandbox_env(5080), name: url}
    with pytest.raises(SettingsError, match=f"SANDBOX=on, so {name} must be the sandbox's own"):
        settings(environ, tmp_path)


@pytest.mark.parametrize(
    "name",
    [
        "FACEBOOK_APP_SECRET",
        "FACEBOOK_VERIFY_TOKEN",
        "FACEBOOK_PAGE_ACCESS_TOKEN",
        "FACEBOOK_PAGE_ID",
        "TWITTER_CONSUMER_KEY",
        "TWITTER_CONSUMER_SECRET",
        "TWITTER_ACCESS_TOKEN",
        "TWITTER_ACCESS_TOKEN_SECRET",
        "TWITTER_USER_ID",
        "INSTAGRAM_APP_SECRET",
        "INSTAGRAM_VERIFY_TOKEN",
        "INSTAGRAM_ACCESS_TOKEN",
        "INSTAGRAM_ACCOUNT_ID",
        "YOUTUBE_CLIENT_ID",
        "YOUTUBE_CLIENT_SECRET",
        "YOUTUBE_REFRESH_TOKEN",
        "YOUTUBE_CHANNEL_ID",
        "LINKEDIN_ACCESS_TOKEN",
        "LINKEDIN_ORGANIZATION_ID",
    ],
)
def test_with_the_sandbox_on_no_server_starts_with_a_real_credential(tmp_path, name):
    environ = {**sandbox_env(5080), name: "EAAB1234real"}
    with pytest.raises(
        SettingsError, match=f"SANDBOX=on, so {name} must be the sandbox's own"
    ) as e:
        settings(environ, tmp_path)
    assert "EAAB1234real" not in str(e.value)  # a secret is never repeated


@pytest.mark.parametrize(
    "name, url",
    [
        ("INSTAGRAM_ACCESS_TOKEN", "INSTAGRAM_GRAPH_URL"),
        ("YOUTUBE_REFRESH_TOKEN", "YOUTUBE_API_URL"),
        ("LINKEDIN_ACCESS_TOKEN", "LINKEDIN_API_URL"),
    ],
)
def test_one_platform_setting_given_alone_still_needs_the_stand_ins_address(tmp_path, name, url):
    """A real token is refused (above); so is the sandbox's own token over a real address,
    given alone beside Facebook's and X's."""
    everything = sandbox_env(5080)
    environ = {
        key: value
        for key, value in everything.items()
        if not key.startswith(("INSTAGRAM_", "YOUTUBE_", "LINKEDIN_"))
    }
    environ[name] = everything[name]
    with pytest.raises(SettingsError, match=f"SANDBOX=on, so {url} must be the sandbox's own"):
        settings(environ, tmp_path)


@pytest.mark.parametrize(
    "changes", [{"LINKEDIN_WEBHOOK": "on"}, {"LINKEDIN_CLIENT_SECRET": "real-secret"}]
)
def test_the_sandboxs_linkedin_is_polled_never_a_webhook(tmp_path, changes):
    with pytest.raises(SettingsError, match="the sandbox's LinkedIn is read by polling") as e:
        settings({**sandbox_env(5080), **changes}, tmp_path)
    assert "real-secret" not in str(e.value)


@pytest.mark.parametrize("port", [5080, 6123])
def test_the_sandboxs_own_settings_are_accepted(tmp_path, port):
    started = settings(sandbox_env(port), tmp_path)
    assert started.sandbox and started.console_port == port and sandbox_enabled(started)


def test_real_platform_addresses_are_fine_without_the_sandbox(tmp_path):
    assert not settings(REAL, tmp_path).sandbox


@pytest.mark.parametrize(
    "changes",
    [
        {"SANDBOX": "off"},
        {"FACEBOOK_APP_SECRET": ""},
    ],
)
def test_the_staff_app_serves_the_sandbox_only_over_its_own_stand_ins(tmp_path, changes):
    environ = {**sandbox_env(5080), "CONSOLE_PORT": "5080"}
    assert sandbox_enabled(settings(environ, tmp_path))
    assert not sandbox_enabled(settings({**environ, **changes}, tmp_path))


def test_the_banner_gives_the_sandbox_address(tmp_path):
    class Running:
        rasa_url, action_url, console_url = (
            "http://127.0.0.1:5005",
            "http://127.0.0.1:5055",
            "http://127.0.0.1:5080",
        )

    on = settings({**sandbox_env(5080)}, tmp_path)
    assert "Sandbox:        http://127.0.0.1:5080/sandbox" in banner(Running(), on, "file")
    off = settings({}, tmp_path)
    assert "/sandbox" not in banner(Running(), off, "file")


def test_the_sandbox_addresses_are_the_staff_apps():
    assert graph_url(5080).startswith("http://127.0.0.1:5080/sandbox-api/")
    assert x_url(5080).startswith("http://127.0.0.1:5080/sandbox-api/")
