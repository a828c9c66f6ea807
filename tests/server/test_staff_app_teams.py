"""The staff app refuses to start when association.yml names a team no role works for:
staff of that team could never see its queue."""

from pathlib import Path

import pytest
from sanic import Sanic

import bot.console.__main__ as staff_app
from bot.settings import PROJECT_ROOT
from tests.helpers import keys_environment


@pytest.fixture()
def environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'assistant.db'}")
    monkeypatch.setenv("STAFF_API_TOKENS", "Sam:sam-token-0123456789abcdef")
    monkeypatch.setenv("RASA_API_TOKEN", "rasa-token-for-the-test")
    monkeypatch.setenv("SANDBOX", "off")
    for name, value in keys_environment().items():
        monkeypatch.setenv(name, value)
    started = []
    monkeypatch.setattr(Sanic, "run", lambda self, *args, **kwargs: started.append(self))
    return started


def association_with_team(tmp_path: Path, old: str, new: str) -> Path:
    text = (PROJECT_ROOT / "association.yml").read_text(encoding="utf-8")
    assert f"- name: {old}\n" in text
    changed = tmp_path / "association.yml"
    changed.write_text(text.replace(f"- name: {old}\n", f"- name: {new}\n"), encoding="utf-8")
    return changed


def test_a_team_without_a_role_stops_the_staff_app_with_its_name(
    environment, tmp_path, monkeypatch, capsys
):
    path = association_with_team(tmp_path, "Repairs", "Property Services")
    monkeypatch.setenv("ASSOCIATION_FILE", str(path))
    assert staff_app.main() == 2
    assert environment == []  # it never served
    error = capsys.readouterr().err
    assert "Property Services" in error
    assert "role" in error


def test_the_configured_teams_all_have_roles_and_the_app_starts(environment, monkeypatch):
    monkeypatch.setenv("ASSOCIATION_FILE", str(PROJECT_ROOT / "association.yml"))
    assert staff_app.main() == 0
    assert len(environment) == 1
