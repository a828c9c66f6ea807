"""Dead letters staff dismiss (P12): set aside for good, kept for the record, never sent."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.events import Operation
from bot.keys import DataKeys, new_encryption_key, new_lookup_key
from bot.outbox import DEAD, DISMISSED, PENDING, Outbox, PlatformError
from bot.outbox_worker import OutboxWorker
from bot.store import connect, outbox

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
KEY = "1lhd2hM6T-1Fwz6I3wGcpTMqyKMqGZrMvdZo7EDF8mY="


@pytest.fixture
def engine(tmp_path):
    return connect(f"sqlite:///{tmp_path / 'store.db'}")


def refuse(message, now):
    raise PlatformError("HTTP 403: this person's DMs are closed", transient=False)


def a_dead_letter(box: Outbox, text: str = "call me on 07700 900123") -> int:
    dead = box.enqueue("c", "twitter", Operation.X_DM, "u1", NOW, text=text)
    OutboxWorker(box, {"twitter": refuse}, lambda: NOW).run_once()
    assert [m.state for m in box.messages()] == [DEAD]
    return dead


def row(engine, message_id):
    with engine.connect() as connection:
        return connection.execute(select(outbox).where(outbox.c.id == message_id)).first()


def test_a_dismissed_dead_letter_leaves_the_dead_letters_and_is_kept_without_its_words(engine):
    box = Outbox(engine, key=KEY)
    dead = a_dead_letter(box)
    later = NOW + timedelta(hours=1)

    assert box.dismiss(dead, later) is True

    assert box.messages(DEAD) == []
    [kept] = box.messages(DISMISSED)
    assert (kept.id, kept.operation, kept.target) == (dead, Operation.X_DM, "u1")
    assert "DMs are closed" in kept.last_error  # why it failed stays on the record
    stored = row(engine, dead)
    assert stored.text is None  # nothing can send it now: even the sealed words go
    assert stored.dismissed_at is not None


def test_a_dismissed_letter_cannot_be_sent_again_nor_dismissed_twice(engine):
    box = Outbox(engine, key=KEY)
    dead = a_dead_letter(box)
    assert box.dismiss(dead, NOW)

    assert box.send_again(dead, NOW) is False
    assert box.dismiss(dead, NOW) is False
    assert box.claim(NOW + timedelta(days=1)) is None


def test_only_a_dead_letter_can_be_dismissed(engine):
    box = Outbox(engine, key=KEY)
    waiting = box.enqueue("c", "twitter", Operation.X_DM, "u1", NOW, text="hello")

    assert box.dismiss(waiting, NOW) is False
    assert box.dismiss(9999, NOW) is False
    assert [m.state for m in box.messages()] == [PENDING]
    assert box.claim(NOW).id == waiting  # still goes out


def test_the_outbox_command_dismisses_a_dead_letter(tmp_path, monkeypatch, capsys):
    import scripts.outbox as outbox_cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    encryption_key, lookup_key = new_encryption_key(), new_lookup_key()
    monkeypatch.setenv("ENCRYPTION_KEYS", encryption_key)
    monkeypatch.setenv("LOOKUP_KEY", lookup_key)
    keys = DataKeys([encryption_key], lookup_key)
    box = Outbox(connect(f"sqlite:///{tmp_path / 'store.db'}", keys))
    dead = a_dead_letter(box)

    assert outbox_cli.main(["dismiss", str(dead)]) == 0
    assert f"{dead} is dismissed" in capsys.readouterr().out
    assert [m.id for m in box.messages(DISMISSED)] == [dead]
    assert outbox_cli.main(["dismiss", str(dead)]) == 2  # not a dead letter any more
    assert "not a dead letter" in capsys.readouterr().err
