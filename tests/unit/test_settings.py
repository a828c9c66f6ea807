"""Settings come from the environment, with a local .env underneath."""

import pytest

from bot.settings import PROJECT_ROOT, Settings, SettingsError


def test_default_association_file(tmp_path):
    settings = Settings.from_env({}, dotenv_path=tmp_path / "absent.env")
    assert settings.association_file == PROJECT_ROOT / "association.yml"


def test_dotenv_is_read_and_relative_paths_are_from_the_project(tmp_path):
    env = tmp_path / ".env"
    env.write_text("ASSOCIATION_FILE=config/other.yml\n")
    settings = Settings.from_env({}, dotenv_path=env)
    assert settings.association_file == PROJECT_ROOT / "config" / "other.yml"


def test_the_environment_wins_over_dotenv(tmp_path):
    env = tmp_path / ".env"
    env.write_text("ASSOCIATION_FILE=from-dotenv.yml\n")
    settings = Settings.from_env({"ASSOCIATION_FILE": "/etc/assoc.yml"}, dotenv_path=env)
    assert str(settings.association_file) == "/etc/assoc.yml"


def test_ports_default_to_the_design_and_can_be_moved(tmp_path):
    absent = tmp_path / "absent.env"
    assert (Settings.from_env({}, absent).rasa_port, Settings.from_env({}, absent).action_port) == (
        5005,
        5055,
    )
    moved = Settings.from_env({"RASA_PORT": "6005", "ACTION_PORT": "6055"}, absent)
    assert (moved.rasa_port, moved.action_port) == (6005, 6055)


@pytest.mark.parametrize("value", ["http", "0", "70000", "-1"])
def test_a_bad_port_is_refused_with_its_name(tmp_path, value):
    with pytest.raises(SettingsError, match="RASA_PORT"):
        Settings.from_env({"RASA_PORT": value}, tmp_path / "absent.env")


def test_the_store_defaults_to_sqlite_under_var_and_takes_another_url(tmp_path):
    absent = tmp_path / "absent.env"
    assert (
        Settings.from_env({}, absent).database_url == f"sqlite:///{PROJECT_ROOT}/var/assistant.db"
    )
    url = "postgresql+psycopg2://bot:secret@db.internal/assistant"
    assert Settings.from_env({"DATABASE_URL": url}, absent).database_url == url


def test_the_api_token_is_optional(tmp_path):
    absent = tmp_path / "absent.env"
    assert Settings.from_env({}, absent).rasa_api_token is None
    assert Settings.from_env({"RASA_API_TOKEN": "t0k"}, absent).rasa_api_token == "t0k"


def test_platform_settings_are_read_and_say_what_is_missing(tmp_path):
    settings = Settings.from_env(
        {
            "FACEBOOK_APP_SECRET": "s",
            "FACEBOOK_VERIFY_TOKEN": "v",
            "FACEBOOK_PAGE_ID": "1",
            "FACEBOOK_GRAPH_URL": "http://127.0.0.1:9/graph/v19.0/",
            "TWITTER_USER_ID": "2",
        },
        dotenv_path=tmp_path / "none.env",
    )
    assert settings.facebook.missing() == ["FACEBOOK_PAGE_ACCESS_TOKEN"]
    assert settings.facebook.graph_url == "http://127.0.0.1:9/graph/v19.0"
    assert settings.twitter.missing() == [
        "TWITTER_CONSUMER_KEY",
        "TWITTER_CONSUMER_SECRET",
        "TWITTER_ACCESS_TOKEN",
        "TWITTER_ACCESS_TOKEN_SECRET",
    ]
    assert settings.twitter.api_url == "https://api.twitter.com"


def test_a_platform_address_must_be_http(tmp_path):
    with pytest.raises(SettingsError, match="TWITTER_API_URL"):
        Settings.from_env({"TWITTER_API_URL": "ftp://x"}, dotenv_path=tmp_path / "none.env")


def test_the_staff_app_listens_on_loopback_by_default_and_takes_its_tokens(tmp_path):
    absent = tmp_path / "absent.env"
    default = Settings.from_env({}, absent)
    assert (default.console_host, default.console_port) == ("127.0.0.1", 5080)
    assert (default.staff_tokens, default.staff_tokens_file) == (None, None)
    moved = Settings.from_env(
        {"CONSOLE_PORT": "6006", "STAFF_API_TOKENS": "Sam:x", "STAFF_API_TOKENS_FILE": "t"},
        absent,
    )
    assert (moved.console_port, moved.staff_tokens) == (6006, "Sam:x")
    assert moved.staff_tokens_file == PROJECT_ROOT / "t"
