"""Alerts reach staff by email (a real SMTP server on loopback) and webhook (a local
receiver), through the outbox: an outage delays them and loses none (P12)."""

from datetime import datetime, timedelta, timezone

import pytest
import requests

from bot.alerts.channels import ALERTS, alert_deliverer, smtp_sender, webhook_poster
from bot.alerts.config import AlertConfig, load_alerts, parse_alerts
from bot.association import ConfigError
from bot.events import Operation
from bot.outbox import DEAD, PENDING, SENT, Outbox
from bot.outbox_worker import OutboxWorker
from bot.settings import Settings, SmtpSettings
from bot.store import connect
from tests.alert_receivers import SmtpInbox, WebhookReceiver
from tests.helpers import Clock

NOW = datetime(2026, 11, 28, 23, 0, tzinfo=timezone.utc)
TEAMS = ("Communications", "Customer Experience", "Repairs", "Neighbourhoods")
TEXT = "[urgent] Urgent handoff: emergency, Repairs\nHandoff: h-1\nReason: emergency"


@pytest.fixture
def box(tmp_path):
    return Outbox(connect(f"sqlite:///{tmp_path / 'store.db'}"))


def smtp(port):
    return SmtpSettings(host="127.0.0.1", port=port, sender="alerts@assoc.example", starttls=False)


def worker(box, clock, port, webhooks=None):
    deliver = alert_deliverer(
        smtp_sender(smtp(port)), webhook_poster(requests.Session()), webhooks or {}
    )
    return OutboxWorker(box, {ALERTS: deliver}, clock)


def queue_email(box, address, text=TEXT, key="alert:urgent:h-1"):
    return box.enqueue(
        f"alerts-email-{address}",
        ALERTS,
        Operation.ALERT_EMAIL,
        address,
        NOW,
        text=text,
        dedupe_key=f"{key}:{address}",
    )


def test_an_alert_email_reaches_the_mail_server_with_its_subject_and_text(box):
    with SmtpInbox() as inbox:
        queue_email(box, "oncall@assoc.example")
        assert worker(box, Clock(NOW), inbox.port).run_once()
    [mail] = inbox.to("oncall@assoc.example")
    assert mail["Subject"] == "[urgent] Urgent handoff: emergency, Repairs"
    assert mail["From"] == "alerts@assoc.example"
    assert "Handoff: h-1" in mail.get_content()
    assert [m.state for m in box.messages()] == [SENT]


def test_a_mail_server_that_is_down_delays_the_alert_and_loses_none(box):
    clock = Clock(NOW)
    inbox = SmtpInbox()  # its port is free: nothing listens yet
    queue_email(box, "oncall@assoc.example")
    sender = worker(box, clock, inbox.port)
    for _ in range(3):
        assert sender.run_once()
        [waiting] = box.messages()
        assert waiting.state == PENDING and "SMTP" in waiting.last_error
        clock.now += timedelta(minutes=5)
    with inbox:
        assert sender.run_once()
        assert not sender.run_once()
    assert len(inbox.to("oncall@assoc.example")) == 1
    assert [m.state for m in box.messages()] == [SENT]


def test_alert_email_without_smtp_settings_waits_rather_than_dying(box):
    queue_email(box, "oncall@assoc.example")
    deliver = alert_deliverer(smtp_sender(SmtpSettings()), webhook_poster(requests.Session()), {})
    assert OutboxWorker(box, {ALERTS: deliver}, Clock(NOW)).run_once()
    [waiting] = box.messages()
    assert waiting.state == PENDING and "SMTP_HOST" in waiting.last_error


def test_a_worker_without_the_alert_deliverer_leaves_alerts_alone(box):
    """A worker that cannot send alerts (a console's, say) must not claim them: it
    would put them off with backoff, or in the end dead-letter them."""
    queue_email(box, "oncall@assoc.example")
    clock = Clock(NOW)
    platforms_only = OutboxWorker(box, {"facebook": lambda m, now: "x"}, clock)
    assert not platforms_only.run_once()
    with SmtpInbox() as inbox:
        assert worker(box, clock, inbox.port).run_once()
    assert len(inbox.to("oncall@assoc.example")) == 1


def test_a_webhook_gets_the_json_slack_and_teams_take(box):
    with WebhookReceiver() as hook:
        box.enqueue(
            "alerts-webhook-env:ALERT_WEBHOOK_ON_CALL",
            ALERTS,
            Operation.ALERT_WEBHOOK,
            "env:ALERT_WEBHOOK_ON_CALL",
            NOW,
            text=TEXT,
            dedupe_key="k",
        )
        sender = worker(box, Clock(NOW), 1, {"env:ALERT_WEBHOOK_ON_CALL": hook.url("/T0/B0/xyz")})
        assert sender.run_once()
    assert hook.posts == [{"text": TEXT}]
    assert hook.paths == ["/T0/B0/xyz"]


@pytest.mark.parametrize(("status", "state"), [(503, PENDING), (429, PENDING), (404, DEAD)])
def test_a_webhook_that_fails_is_retried_unless_it_is_gone(box, status, state):
    with WebhookReceiver() as hook:
        hook.status = status
        box.enqueue("c", ALERTS, Operation.ALERT_WEBHOOK, "w", NOW, text=TEXT, dedupe_key="k")
        assert worker(box, Clock(NOW), 1, {"w": hook.url()}).run_once()
    [message] = box.messages()
    assert message.state == state
    assert hook.url() not in (message.last_error or "")


def settings_with(tmp_path, alerts_yaml, env=None):
    path = tmp_path / "association.yml"
    path.write_text(alerts_yaml)
    variables = Settings.from_env(env or {}, tmp_path / "absent.env").alert_webhooks
    return load_alerts(path, TEAMS, variables)


def test_recipients_come_from_association_yml_and_webhook_addresses_from_the_environment(
    tmp_path,
):
    config = settings_with(
        tmp_path,
        """
alerts:
  on_call:
    email: [oncall@assoc.example, Duty.Manager@assoc.example]
    webhook: [env:ALERT_WEBHOOK_ON_CALL]
  teams:
    Repairs:
      email: [repairs@assoc.example]
      webhook: [https://hooks.example/services/T0/B0/written-in-the-file]
""",
        {"ALERT_WEBHOOK_ON_CALL": "https://hooks.example/services/T0/B0/secret"},
    )
    assert config.on_call.emails == ("oncall@assoc.example", "duty.manager@assoc.example")
    [on_call_hook] = config.on_call.webhooks
    assert on_call_hook.key == "env:ALERT_WEBHOOK_ON_CALL"
    assert on_call_hook.url == "https://hooks.example/services/T0/B0/secret"
    [repairs_hook] = config.teams["Repairs"].webhooks
    # The store and logs know a written address only by a digest.
    assert "written-in-the-file" not in repairs_hook.key
    assert "secret" not in repr(config)


def test_no_alerts_section_alerts_nobody(tmp_path):
    assert settings_with(tmp_path, "name: x\n") == AlertConfig()


@pytest.mark.parametrize(
    ("section", "env", "message"),
    [
        ("teams: {Repairz: {email: [a@b.example]}}", {}, r"unknown teams \['Repairz'\].*Repairs"),
        (
            "on_call: {webhook: [env:ALERT_WEBHOOK_GONE]}",
            {},
            "ALERT_WEBHOOK_GONE, which is not set",
        ),
        ("on_call: {webhook: [env:FACEBOOK_APP_SECRET]}", {}, "must be named ALERT_WEBHOOK_"),
        ("on_call: {email: [not-an-address]}", {}, "not an email address"),
        ("on_call: {webhook: [ftp://x.example/h]}", {}, "http"),
        ("on_call: {pager: [1]}", {}, "only `email` and `webhook`"),
    ],
)
def test_a_mistake_in_the_alerts_section_fails_at_load_with_what_to_fix(section, env, message):
    import yaml

    with pytest.raises(ConfigError, match=message):
        parse_alerts(yaml.safe_load(section), TEAMS, env)


def test_alert_email_logs_in_when_a_user_is_set_and_waits_on_a_wrong_password(box):
    clock = Clock(NOW)
    with SmtpInbox(login=("alerts", "right-password")) as inbox:
        queue_email(box, "oncall@assoc.example")
        # (aiosmtpd answers a wrong login by going quiet: a short timeout keeps this quick.)
        wrong = SmtpSettings(
            "127.0.0.1", inbox.port, "alerts", "wrong-password", "alerts@assoc.example", False, 1.0
        )
        deliver = alert_deliverer(smtp_sender(wrong), webhook_poster(requests.Session()), {})
        assert OutboxWorker(box, {ALERTS: deliver}, clock).run_once()
        [waiting] = box.messages()
        assert waiting.state == PENDING and "right-password" not in waiting.last_error
        assert inbox.messages == []
        right = SmtpSettings(
            "127.0.0.1", inbox.port, "alerts", "right-password", "alerts@assoc.example", False
        )
        deliver = alert_deliverer(smtp_sender(right), webhook_poster(requests.Session()), {})
        clock.now += timedelta(minutes=5)
        assert OutboxWorker(box, {ALERTS: deliver}, clock).run_once()
    assert inbox.logins == ["alerts"]
    assert len(inbox.to("oncall@assoc.example")) == 1


def test_the_mail_and_console_settings_are_read_from_the_environment(tmp_path):
    settings = Settings.from_env(
        {
            "SMTP_HOST": "smtp.assoc.example",
            "SMTP_PORT": "2525",
            "SMTP_USER": "alerts",
            "SMTP_PASSWORD": "pw",
            "SMTP_FROM": "alerts@assoc.example",
            "SMTP_STARTTLS": "off",
            "STAFF_CONSOLE_URL": "https://staff.assoc.example/",
            "ALERT_WEBHOOK_ON_CALL": "https://hooks.example/a",
            "OTHER_SECRET": "not for webhooks",
        },
        tmp_path / "absent.env",
    )
    assert settings.smtp == SmtpSettings(
        "smtp.assoc.example", 2525, "alerts", "pw", "alerts@assoc.example", False
    )
    assert settings.staff_console_url == "https://staff.assoc.example"
    assert settings.alert_webhooks == {"ALERT_WEBHOOK_ON_CALL": "https://hooks.example/a"}
    defaults = Settings.from_env({}, tmp_path / "absent.env").smtp
    assert (defaults.port, defaults.starttls, defaults.missing()) == (
        587,
        True,
        ["SMTP_HOST", "SMTP_FROM"],
    )
