"""Settings come from the environment, with a local .env underneath."""

from bot.settings import PROJECT_ROOT, Settings


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
