"""Every process reads what the others wrote: each connects with its settings' keys (P9).

The Rasa server writes a tenant's message encrypted; the action server, the staff app
and the commands read it back. Were any of them to connect with keys of its own,
what the others stored would be unreadable to it.
"""

from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.alerts.sending import alert_sender
from bot.channels.wiring import build_runtime
from bot.events import InboundEvent, Operation
from bot.handoff.handoffs import Conversation, HandoffRepository, Reason, Summary, plan
from bot.intake import IntakeStore
from bot.keys import new_encryption_key, new_lookup_key
from bot.moderation.log import Action, ModerationLog, Subject
from bot.outbox import PENDING, Outbox
from bot.settings import Settings
from bot.store import connect
from bot.tenancy.answers import locator
from bot.tenancy.records import TenancyRepository
from scripts import intake as intake_command
from scripts import moderation as moderation_command
from scripts import outbox as outbox_command
from scripts import run as run_command
from tests.helpers import CALENDAR, DEMO_TENANCIES, ROOT, on_disk

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
WORDS = "Call me on 07700 900123 at 14 Elm Road LS6 2AB"


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """Settings as every process reads them from the environment."""
    environment = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "ENCRYPTION_KEYS": new_encryption_key(),
        "LOOKUP_KEY": new_lookup_key(),
        "ASSOCIATION_FILE": str(ROOT / "association.yml"),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env()


def shared(settings):
    """The store as another process opens it, with the same settings."""
    return connect(settings.database_url, settings.data_keys())


def in_clear(settings, words: str) -> bool:
    """Whether `words` are in the store's file as an attacker with a copy reads it."""
    return words.encode() in on_disk(Path(settings.database_url.removeprefix("sqlite:///")))


def test_the_rasa_servers_intake_is_read_by_another_process(settings):
    runtime = build_runtime(settings)
    runtime.intake.accept(
        [InboundEvent("facebook", "message", "m1", "private", "u1", WORDS, NOW)], NOW
    )
    assert not in_clear(settings, "07700 900123")
    (claimed,) = IntakeStore(shared(settings)).claim(NOW)
    assert claimed.event.text == WORDS


def test_the_action_servers_handoffs_are_read_by_the_staff_app(settings):
    from actions import dependencies

    cached = (dependencies.settings, dependencies.engine, dependencies.handoff_repository)
    for function in cached:
        function.cache_clear()
    try:
        summary = Summary("repair", "report_repair", WORDS)
        conversation = Conversation("facebook:private:u1", "facebook", "private", "u1")
        handoff = plan(Reason.REQUEST_HUMAN, conversation, NOW, CALENDAR, "Repairs", summary)
        dependencies.handoff_repository().add(handoff)
    finally:
        for function in cached:
            function.cache_clear()
    assert not in_clear(settings, "07700 900123")
    assert HandoffRepository(shared(settings)).get(handoff.id).summary == summary


def test_the_alert_sender_reads_the_handoffs_the_others_wrote(settings):
    summary = Summary("repair", "report_repair", WORDS)
    conversation = Conversation("facebook:private:u1", "facebook", "private", "u1")
    HandoffRepository(shared(settings)).add(
        plan(Reason.REQUEST_HUMAN, conversation, NOW, CALENDAR, "Repairs", summary)
    )
    sender = alert_sender(settings, lambda: NOW)
    # Reading the queue decrypts each summary: under other keys, the sweep raises.
    assert sender._watcher.run_once(NOW) >= 0


def test_the_outbox_command_sends_a_dead_letter_again(settings, capsys):
    box = Outbox(shared(settings))
    message_id = box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "u1", NOW, text=WORDS)
    box.dead(message_id, "refused")
    assert outbox_command.main(["send-again", str(message_id)]) == 0
    assert not in_clear(settings, "07700 900123")
    assert [m.text for m in box.messages(PENDING)] == [WORDS]


def test_the_intake_command_lists_what_was_set_aside(settings, capsys):
    intake = IntakeStore(shared(settings))
    intake.accept([InboundEvent("facebook", "message", "m1", "private", "u1", WORDS, NOW)], NOW)
    (claimed,) = intake.claim(NOW)
    for _ in range(10):
        if intake.failed(claimed, NOW, "the model server was down"):
            break
        (claimed,) = intake.claim(datetime(2027, 1, 1, tzinfo=timezone.utc))
    assert intake_command.main(["failed"]) == 0
    assert "the model server was down" in capsys.readouterr().out


def test_the_moderation_command_lists_the_log(settings, capsys):
    engine = shared(settings)
    ModerationLog(engine, Outbox(engine)).record(
        NOW, Subject("facebook", "u1", "c1", "comment-1"), Action.HIDE, "swearing at staff"
    )
    assert moderation_command.main(["list", "--author", "u1"]) == 0
    assert "swearing at staff" in capsys.readouterr().out


def test_make_run_loads_the_demo_tenancies_for_the_servers_to_find(settings):
    run_command.load_demo_tenancies(settings, DEMO_TENANCIES)
    assert not in_clear(settings, "14 Elm Road")
    found = TenancyRepository(shared(settings)).find(locator("14 Elm Road LS6 2AB"))
    assert found is not None and found.reference == "TEN-204817"
