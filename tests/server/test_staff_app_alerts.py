"""The staff app sends staff alerts by itself: with the Facebook and X channels both
off (their settings not given), the Rasa server's channel loops do not run, and an
urgent handoff must still reach the on-call contacts (P2, P12)."""

import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone

import yaml

from bot.alerts.alerts import AlertListener, configured_alerts
from bot.handoff.handoffs import Conversation, Reason
from bot.handoff.service import HandoffService
from bot.outbox import Outbox
from bot.settings import Settings, SmtpSettings
from bot.store import connect
from tests.alert_receivers import SmtpInbox
from tests.helpers import CALENDAR, ROOT, TEAMS, keys_environment, settings_keys, store_keys

ON_CALL = "oncall@assoc.example"
PLATFORM_SETTINGS = ("FACEBOOK_", "TWITTER_", "SMTP_", "STAFF_API", "RASA_API", "ALERT_WEBHOOK_")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_the_staff_app_emails_on_call_with_both_platform_channels_off(tmp_path):
    association = yaml.safe_load((ROOT / "association.yml").read_text())
    association["alerts"] = {"on_call": {"email": [ON_CALL]}}
    (tmp_path / "association.yml").write_text(yaml.safe_dump(association))
    database = f"sqlite:///{tmp_path / 'store.db'}"
    with SmtpInbox() as inbox:
        smtp = SmtpSettings("127.0.0.1", inbox.port, sender="alerts@assoc.example", starttls=False)
        settings = Settings(
            tmp_path / "association.yml", database_url=database, smtp=smtp, **settings_keys()
        )
        engine = connect(database, store_keys())
        # As the action server raises it: the alert is queued in the outbox, for
        # whichever process has an alert sender.
        alerts = configured_alerts(settings, Outbox(engine), CALENDAR, TEAMS.names)
        service = HandoffService(engine, CALENDAR, TEAMS, listeners=(AlertListener(alerts),))
        tenant = Conversation("rest-tenant", "facebook", "private", "p1")
        handoff = service.open(Reason.EMERGENCY, tenant, datetime.now(timezone.utc))

        keep = {k: v for k, v in os.environ.items() if not k.startswith(PLATFORM_SETTINGS)}
        env = {
            **keep,
            "ASSOCIATION_FILE": str(tmp_path / "association.yml"),
            "DATABASE_URL": database,
            "CONSOLE_HOST": "127.0.0.1",
            "CONSOLE_PORT": str(free_port()),
            "RASA_API_TOKEN": "rasa-token-0123456789abcdef",
            "STAFF_API_TOKENS": "Sam:sam-token-0123456789abcdef",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(inbox.port),
            "SMTP_FROM": "alerts@assoc.example",
            "SMTP_STARTTLS": "off",
            **keys_environment(),
        }
        # No Facebook or X settings in the environment: neither channel is on.
        staff_app = subprocess.Popen(
            [sys.executable, "-m", "bot.console"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            assert wait_for(lambda: inbox.to(ON_CALL) or staff_app.poll() is not None, 30)
            assert staff_app.poll() is None, staff_app.stderr.read().decode()
        finally:
            staff_app.terminate()
            staff_app.wait(timeout=15)
    [mail] = inbox.to(ON_CALL)
    assert handoff.id in mail.get_content()
    assert "Urgent handoff" in mail["Subject"]
