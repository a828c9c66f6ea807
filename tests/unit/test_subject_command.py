"""Subject rights and retention from the command line (P9): `python -m scripts.subject`
exports to a file only its owner can read, erases after confirming, and both are
audited under the operator's name; `python -m scripts.retention` erases old conversations."""

import json
import stat
from datetime import timedelta

import pytest
from sqlalchemy import select

import scripts.retention as retention_cli
import scripts.subject as subject_cli
from bot.keys import DataKeys, new_encryption_key, new_lookup_key
from bot.store import console_audit
from tests.unit.test_conversation_retention import settled
from tests.unit.test_subject_rights import (
    ANSWER,
    DETAILS,
    NOW,
    PHONE,
    PRIVATE,
    PSID,
    a_conversation_everywhere,
    make_world,
    said,
)


@pytest.fixture()
def world(tmp_path, monkeypatch):
    encryption, lookup = new_encryption_key(), new_lookup_key()
    world = make_world(tmp_path, DataKeys([encryption], lookup))
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {world['files'][1]}\n"
    )
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{world['files'][0]}")
    monkeypatch.setenv("ENDPOINTS_FILE", str(endpoints))
    monkeypatch.setenv("ENCRYPTION_KEYS", encryption)
    monkeypatch.setenv("LOOKUP_KEY", lookup)
    return world


def run(*argv, answer="", now=NOW):
    return subject_cli.main(list(argv), ask=lambda _prompt: answer, now=lambda: now)


def audit(world):
    with world["engine"].connect() as connection:
        return connection.execute(select(console_audit).order_by(console_audit.c.id)).all()


def test_an_export_goes_to_a_file_only_its_owner_can_read(world, tmp_path, capsys):
    a_conversation_everywhere(world)
    out = tmp_path / "export.json"
    out.write_text("")
    out.chmod(0o644)

    assert run("export", "--account", f"facebook:{PSID}", "--out", str(out), "--by", "Ada") == 0

    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    export = json.loads(out.read_text())
    [conversation] = export["conversations"]
    assert conversation["events"][0]["text"].startswith(f"my number is {PHONE}")
    assert conversation["intake"][0]["event"]["text"] == f"it's {ANSWER}"
    assert PHONE not in capsys.readouterr().out
    [entry] = audit(world)
    assert (entry.staff, entry.action) == ("Ada", "subject_exported")


def test_an_export_without_a_file_is_written_to_standard_output(world, capsys):
    a_conversation_everywhere(world)

    assert run("export", "--account", f"facebook:{PSID}", "--by", "Ada") == 0

    assert json.loads(capsys.readouterr().out)["conversations"][0]["conversation_id"] == PRIVATE


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "--tenancy", "TEN-999999", "--by", "Ada"],
        ["export", "--account", "myspace:1", "--by", "Ada"],
        ["export", "--account", "facebook:1", "--by", " "],
    ],
)
def test_an_unknown_subject_or_no_name_is_refused(world, argv, capsys):
    assert run(*argv) == 2
    assert capsys.readouterr().err
    assert audit(world) == []


def test_the_operators_name_is_required(world):
    with pytest.raises(SystemExit):
        run("erase", "--conversation", PRIVATE)


def test_an_erasure_not_confirmed_erases_nothing(world, capsys):
    a_conversation_everywhere(world)

    assert run("erase", "--conversation", PRIVATE, "--by", "Ada", answer="no") == 1

    assert "Nothing erased" in capsys.readouterr().out
    assert len(world["events"].events(PRIVATE)) == 2
    assert audit(world) == []


@pytest.mark.parametrize("argv, answer", [(["--yes"], ""), ([], "yes")])
def test_an_erasure_prints_counts_only_and_is_audited(world, capsys, argv, answer):
    a_conversation_everywhere(world)

    assert run("erase", "--conversation", PRIVATE, "--by", "Ada", *argv, answer=answer) == 0

    out = capsys.readouterr().out
    assert "tracker events: 2" in out and "outbox messages: 1" in out
    assert not any(detail in out for detail in DETAILS)
    assert world["events"].events(PRIVATE) == []
    [entry] = audit(world)
    assert (entry.staff, entry.action) == ("Ada", "conversation_erased")
    assert PSID not in entry.subject


def test_the_retention_command_erases_conversations_older_than_two_years(world, capsys):
    settled(world, a_conversation_everywhere(world))
    said(world, "twitter-private-x-1", "recent", at=NOW + timedelta(days=700))
    later = NOW + timedelta(days=2 * 365 + 2)

    assert retention_cli.main([], clock=lambda: later) == 0

    out = capsys.readouterr().out
    assert "Erased 1 conversations quiet for more than 24 months" in out
    assert world["events"].events(PRIVATE) == []
    assert world["events"].events("twitter-private-x-1")[0]["text"] == "recent"
    assert retention_cli.main([], clock=lambda: later) == 0
    assert "Erased 0 conversations" in capsys.readouterr().out
