"""In sandbox mode nothing leaves the machine: no staff alert is emailed or posted to a
chat webhook, by the Rasa server's outbox loops or by the staff app's (P2, P12)."""

import asyncio
from datetime import datetime, timezone

import pytest
import yaml

from bot.alerts.alerts import AlertListener, AlertWatcher, alert_deliverers, configured_alerts
from bot.alerts.sending import alert_sender
from bot.events import Operation
from bot.handoff.handoffs import Conversation, HandoffRepository, Reason
from bot.handoff.service import HandoffService
from bot.outbox import Outbox
from bot.outbox_worker import OutboxWorker
from bot.sandbox.mode import sandbox_env
from bot.settings import Settings
from bot.store import connect
from tests.alert_receivers import SmtpInbox, WebhookReceiver
from tests.helpers import CALENDAR, ROOT, TEAMS, keys_environment

ON_CALL = "oncall@assoc.example"
NOW = datetime.now(timezone.utc)


@pytest.fixture
def receivers():
    with SmtpInbox() as inbox, WebhookReceiver() as hook:
        yield inbox, hook


def settings_for(tmp_path, inbox, hook, sandbox):
    association = yaml.safe_load((ROOT / "association.yml").read_text())
    association["alerts"] = {
        "on_call": {"email": [ON_CALL], "webhook": ["env:ALERT_WEBHOOK_ON_CALL"]}
    }
    (tmp_path / "association.yml").write_text(yaml.safe_dump(association))
    environ = {
        **(sandbox_env(5080) if sandbox else {}),
        "ASSOCIATION_FILE": str(tmp_path / "association.yml"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        **keys_environment(),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(inbox.port),
        "SMTP_FROM": "alerts@assoc.example",
        "SMTP_STARTTLS": "off",
        "ALERT_WEBHOOK_ON_CALL": hook.url(),
    }
    return Settings.from_env(environ, dotenv_path=tmp_path / "none")


async def run_for_a_while(sender):
    sender.start()
    await asyncio.sleep(1.5)
    await sender.stop()


def send_all(worker):
    for _ in range(10):
        if not worker.run_once():
            return


@pytest.mark.parametrize("sandbox, told", [(False, True), (True, False)])
def test_an_urgent_handoff_alerts_on_call_except_in_sandbox_mode(
    tmp_path, receivers, sandbox, told
):
    inbox, hook = receivers
    settings = settings_for(tmp_path, inbox, hook, sandbox)
    engine = connect(settings.database_url, settings.data_keys())
    box = Outbox(engine)
    # As the Rasa server's runtime has it: the listener, the watcher and the worker.
    alerts = configured_alerts(settings, box, CALENDAR, TEAMS.names)
    service = HandoffService(engine, CALENDAR, TEAMS, listeners=(AlertListener(alerts),))
    tenant = Conversation("facebook-private-p1", "facebook", "private", "p1")
    service.open(Reason.EMERGENCY, tenant, NOW)
    AlertWatcher(HandoffRepository(engine), alerts, CALENDAR).run_once(NOW)
    send_all(OutboxWorker(box, alert_deliverers(settings, alerts.config), lambda: NOW))
    assert bool(inbox.to(ON_CALL)) is told
    assert bool(hook.posts) is told


def test_in_sandbox_mode_an_alert_already_in_the_store_is_left_unsent(tmp_path, receivers):
    # A store given explicitly (DATABASE_URL) may hold an alert a real run queued.
    inbox, hook = receivers
    settings = settings_for(tmp_path, inbox, hook, sandbox=True)
    box = Outbox(connect(settings.database_url, settings.data_keys()))
    for operation, target in (
        (Operation.ALERT_EMAIL, ON_CALL),
        (Operation.ALERT_WEBHOOK, "env:ALERT_WEBHOOK_ON_CALL"),
    ):
        box.enqueue(f"alerts-{target}", "alerts", operation, target, NOW, text="Urgent\n\nbody")
    alerts = configured_alerts(settings, box, CALENDAR, TEAMS.names)
    send_all(OutboxWorker(box, alert_deliverers(settings, alerts.config), lambda: NOW))
    # And the staff app's own alert loops, as it runs them.
    asyncio.run(run_for_a_while(alert_sender(settings, lambda: NOW)))
    assert inbox.to(ON_CALL) == [] and hook.posts == []
