"""With SANDBOX=on, the Rasa server's platform channels refuse to start with a platform
address off this machine: the sandbox can never send to a real platform."""

import pytest

from bot.channels.facebook import FacebookInput
from bot.channels.twitter import TwitterInput
from bot.sandbox.mode import sandbox_env
from bot.settings import SettingsError
from scripts.processes import store_keys_from


@pytest.fixture
def environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env
    for name, value in {**sandbox_env(5080), **store_keys_from({})}.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.mark.parametrize("channel", [FacebookInput, TwitterInput])
@pytest.mark.parametrize(
    "name, url",
    [
        ("FACEBOOK_GRAPH_URL", "https://graph.facebook.com/v19.0"),
        ("TWITTER_API_URL", "https://api.twitter.com"),
    ],
)
def test_a_channel_will_not_start_in_sandbox_mode_towards_a_real_platform(
    environment, channel, name, url
):
    environment.setenv(name, url)
    with pytest.raises(SettingsError, match="the sandbox never sends to a real platform"):
        channel.from_credentials(None)


@pytest.mark.parametrize("channel", [FacebookInput, TwitterInput])
def test_in_sandbox_mode_the_channels_start_towards_the_staff_apps_stand_in(environment, channel):
    started = channel.from_credentials(None)
    assert started.on
    assert started.settings.facebook.graph_url.startswith("http://127.0.0.1:5080/sandbox-api/")
    assert started.settings.twitter.api_url.startswith("http://127.0.0.1:5080/sandbox-api/")
