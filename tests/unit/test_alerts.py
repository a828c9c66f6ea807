"""Staff are told (P2, P3): an urgent handoff alerts on call at once, in hours and out;
a deadline 30 working minutes away, or missed, alerts the handoff's team; each alert
once, by email (a real SMTP server on loopback) and webhook, with no personal detail."""

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import requests

from bot.alerts.alerts import AlertListener, Alerts, AlertWatcher
from bot.alerts.channels import ALERTS, alert_deliverer, smtp_sender, webhook_poster
from bot.alerts.config import AlertConfig, Recipients, Webhook
from bot.alerts.deadlines import AlertKind, due_alerts, working_time_between
from bot.handoff.handoffs import Conversation, Reason
from bot.handoff.service import HandoffService
from bot.outbox import SENT, Outbox
from bot.outbox_worker import OutboxWorker
from bot.settings import SmtpSettings
from bot.store import connect
from tests.alert_receivers import SmtpInbox, WebhookReceiver
from tests.helpers import CALENDAR, TEAMS, UK, Clock

SATURDAY_NIGHT = datetime(2026, 11, 28, 23, 0, tzinfo=UK)
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=UK)
THURSDAY_1520 = datetime(2026, 11, 19, 15, 20, tzinfo=UK)
FRIDAY_1600 = datetime(2026, 11, 20, 16, 0, tzinfo=UK)
ON_CALL = ("oncall@assoc.example", "duty.manager@assoc.example")
CX = "cx-leads@assoc.example"
REPAIRS = "repairs-leads@assoc.example"
CONSOLE = "https://staff.assoc.example"
# What a tenant wrote: none of it may reach an alert.
WORDS = "Water pouring through the ceiling!! I'm Sarah Okafor, call me on 07700 900123"
PSID = "psid-8812345"
TENANT = Conversation(f"facebook-private-{PSID}", "facebook", "private", PSID)


@pytest.fixture
def receivers():
    with SmtpInbox() as inbox, WebhookReceiver() as hook_a, WebhookReceiver() as hook_b:
        yield inbox, hook_a, hook_b


@pytest.fixture
def alerting(tmp_path, receivers):
    """(handoff service with the alert listener, watcher, worker, clock, receivers)."""
    inbox, hook_a, hook_b = receivers
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    box = Outbox(engine)
    hooks = (
        Webhook("env:ALERT_WEBHOOK_A", hook_a.url()),
        Webhook("env:ALERT_WEBHOOK_B", hook_b.url()),
    )
    config = AlertConfig(
        on_call=Recipients(emails=ON_CALL, webhooks=hooks),
        teams={
            "Customer Experience": Recipients(emails=(CX,)),
            "Repairs": Recipients(emails=(REPAIRS,)),
        },
    )
    alerts = Alerts(box, config, CALENDAR, console_url=CONSOLE)
    service = HandoffService(engine, CALENDAR, TEAMS, listeners=[AlertListener(alerts)])
    service.engine = engine
    smtp = SmtpSettings(
        host="127.0.0.1", port=inbox.port, sender="alerts@assoc.example", starttls=False
    )
    deliver = alert_deliverer(
        smtp_sender(smtp), webhook_poster(requests.Session()), config.webhooks()
    )
    clock = Clock(SATURDAY_NIGHT)
    worker = OutboxWorker(box, {ALERTS: deliver}, clock)
    watcher = AlertWatcher(service.repository, alerts, CALENDAR)
    return service, watcher, worker, clock, box, receivers


def send_all(worker):
    while worker.run_once():
        pass


def subjects(inbox, address):
    return [m["Subject"] for m in inbox.to(address)]


@pytest.mark.parametrize("now", [SATURDAY_NIGHT, TUESDAY_MORNING], ids=["out_of_hours", "in_hours"])
def test_an_emergency_alerts_every_on_call_address_and_webhook_at_once(alerting, now):
    service, _, worker, clock, _, (inbox, hook_a, hook_b) = alerting
    clock.now = now
    handoff = service.open(Reason.EMERGENCY, TENANT, now, intent="report_emergency", words=WORDS)
    send_all(worker)
    for address in ON_CALL:
        [mail] = inbox.to(address)
        assert handoff.id in mail.get_content()
        assert "Urgent handoff" in mail["Subject"]
    for hook in (hook_a, hook_b):
        [post] = hook.posts
        assert handoff.id in post["text"] and "Urgent handoff" in post["text"]
    assert inbox.to(REPAIRS) == []  # the team hears of deadlines; on call hears at once


def test_a_waiting_handoff_raised_to_an_emergency_alerts_on_call(alerting):
    service, _, worker, _, _, (inbox, _, _) = alerting
    first = service.open(Reason.REQUEST_HUMAN, TENANT, SATURDAY_NIGHT, words="Still waiting")
    send_all(worker)
    assert inbox.messages == []
    raised = service.open(Reason.EMERGENCY, TENANT, SATURDAY_NIGHT, words=WORDS)
    send_all(worker)
    assert raised.id == first.id
    assert [first.id in m.get_content() for m in inbox.to(ON_CALL[0])] == [True]


def test_an_alert_names_the_handoff_and_nothing_of_the_tenant(alerting):
    service, _, worker, _, _, (inbox, hook_a, _) = alerting
    handoff = service.open(Reason.EMERGENCY, TENANT, SATURDAY_NIGHT, words=WORDS)
    send_all(worker)
    [mail] = inbox.to(ON_CALL[0])
    [post] = hook_a.posts
    for text in (mail["Subject"] + "\n" + mail.get_content(), post["text"]):
        assert f"{CONSOLE}/conversations/{handoff.id}" in text
        assert "emergency" in text and "Repairs" in text and "urgent" in text
        assert "Acknowledge by:" in text
        for personal in ("07700", "900123", "Sarah", "Okafor", "ceiling", PSID, "facebook"):
            assert personal not in text
        # Not even the redacted summary: staff read that in the console.
        assert handoff.summary.words not in text


def test_a_crash_between_storing_and_alerting_loses_no_urgent_alert(alerting):
    service, watcher, worker, clock, _, (inbox, _, _) = alerting
    # The handoff was stored, and the process died before its listener queued the alert.
    unheard = HandoffService(service.engine, CALENDAR, TEAMS)
    handoff = unheard.open(Reason.EMERGENCY, TENANT, SATURDAY_NIGHT, words=WORDS)
    clock.now = SATURDAY_NIGHT + timedelta(minutes=1)
    assert watcher.run_once(clock.now) == len(ON_CALL) + 2
    assert watcher.run_once(clock.now + timedelta(minutes=1)) == 0
    send_all(worker)
    assert [handoff.id in m.get_content() for m in inbox.to(ON_CALL[1])] == [True]


def test_the_listener_and_the_watcher_together_alert_once(alerting):
    service, watcher, worker, _, _, (inbox, hook_a, _) = alerting
    service.open(Reason.EMERGENCY, TENANT, SATURDAY_NIGHT, words=WORDS)
    for minutes in range(1, 5):
        watcher.run_once(SATURDAY_NIGHT + timedelta(minutes=minutes))
    send_all(worker)
    assert len(inbox.to(ON_CALL[0])) == 1 and len(hook_a.posts) == 1


def sweep(watcher, worker, clock, now):
    clock.now = now
    watcher.run_once(now)
    send_all(worker)


def test_a_deadline_across_the_close_is_warned_of_30_working_minutes_before(alerting):
    """Handed over Thursday 15:20: acknowledge by Friday 09:20 (1h40 on Thursday, 20
    minutes on Friday), so the team is warned at 16:50 on Thursday."""
    service, watcher, worker, clock, _, (inbox, _, _) = alerting
    handoff = service.open(Reason.COMPLAINT, TENANT, THURSDAY_1520, words="Still no reply")
    assert handoff.acknowledge_by == datetime(2026, 11, 20, 9, 20, tzinfo=UK)
    sweep(watcher, worker, clock, datetime(2026, 11, 19, 16, 49, tzinfo=UK))
    assert subjects(inbox, CX) == []
    sweep(watcher, worker, clock, datetime(2026, 11, 19, 16, 50, tzinfo=UK))
    [warning] = subjects(inbox, CX)
    assert "within 30 working minutes" in warning
    for later in (
        datetime(2026, 11, 19, 23, 0, tzinfo=UK),
        datetime(2026, 11, 20, 9, 19, tzinfo=UK),
    ):
        sweep(watcher, worker, clock, later)
    assert len(subjects(inbox, CX)) == 1
    sweep(watcher, worker, clock, datetime(2026, 11, 20, 9, 20, tzinfo=UK))
    assert "not acknowledged in time" in subjects(inbox, CX)[-1]
    sweep(watcher, worker, clock, datetime(2026, 11, 20, 9, 21, tzinfo=UK))
    assert len(subjects(inbox, CX)) == 2
    assert all(inbox.to(a) == [] for a in ON_CALL)  # a normal handoff: its team only


def test_a_deadline_over_the_weekend_is_warned_of_on_monday_not_friday(alerting):
    """Handed over Friday 16:00: acknowledge by Monday 10:00; warned at 09:30 on Monday."""
    service, watcher, worker, clock, _, (inbox, _, _) = alerting
    handoff = service.open(Reason.COMPLAINT, TENANT, FRIDAY_1600, words="Still no reply")
    assert handoff.acknowledge_by == datetime(2026, 11, 23, 10, 0, tzinfo=UK)
    for quiet in (
        datetime(2026, 11, 20, 16, 59, tzinfo=UK),
        datetime(2026, 11, 21, 12, 0, tzinfo=UK),
        datetime(2026, 11, 23, 9, 29, tzinfo=UK),
    ):
        sweep(watcher, worker, clock, quiet)
    assert subjects(inbox, CX) == []
    sweep(watcher, worker, clock, datetime(2026, 11, 23, 9, 30, tzinfo=UK))
    assert len(subjects(inbox, CX)) == 1
    sweep(watcher, worker, clock, datetime(2026, 11, 23, 10, 0, tzinfo=UK))
    assert "not acknowledged in time" in subjects(inbox, CX)[-1]


def test_an_acknowledged_handoff_raises_no_deadline_alert():
    handoff = HandoffService(connect("sqlite://"), CALENDAR, TEAMS).open(
        Reason.COMPLAINT, TENANT, THURSDAY_1520
    )
    late = handoff.acknowledge_by + timedelta(hours=1)
    assert due_alerts(handoff, late, CALENDAR) == (AlertKind.BREACHED,)
    acknowledged = replace(handoff, acknowledged_at=handoff.acknowledge_by - timedelta(minutes=5))
    assert due_alerts(acknowledged, late, CALENDAR) == ()


def test_a_compliment_needs_no_reply_and_raises_no_deadline_alert(alerting):
    service, watcher, worker, clock, box, (inbox, _, _) = alerting
    handoff = service.open(Reason.COMPLIMENT, TENANT, THURSDAY_1520, words="Thanks to Dave")
    sweep(watcher, worker, clock, handoff.acknowledge_by + timedelta(days=3))
    assert inbox.messages == [] and box.messages() == []


def test_an_urgent_handoffs_deadline_alerts_its_team_and_on_call(alerting):
    service, watcher, worker, clock, _, (inbox, _, _) = alerting
    handoff = service.open(Reason.EMERGENCY, TENANT, SATURDAY_NIGHT, words=WORDS)
    sweep(watcher, worker, clock, handoff.acknowledge_by)
    assert ["not acknowledged in time" in s for s in subjects(inbox, REPAIRS)] == [True]
    assert len(subjects(inbox, ON_CALL[0])) == 2  # at once, then the breach


def test_a_team_with_nobody_to_alert_falls_back_to_on_call(alerting):
    service, watcher, worker, clock, _, (inbox, _, _) = alerting
    handoff = service.open(Reason.REQUEST_HUMAN, TENANT, THURSDAY_1520)  # Communications
    sweep(watcher, worker, clock, handoff.acknowledge_by)
    assert len(subjects(inbox, ON_CALL[0])) == 1


def test_working_time_is_counted_in_uk_time_across_the_clock_change():
    # 29 March 2026: the clocks go forward; Friday 16:00 to Monday 10:00 is 2 working hours.
    friday, monday = (
        datetime(2026, 3, 27, 16, 0, tzinfo=UK),
        datetime(2026, 3, 30, 10, 0, tzinfo=UK),
    )
    assert working_time_between(CALENDAR, friday, monday) == timedelta(hours=2)


def test_every_sent_alert_is_marked_sent_once(alerting):
    service, _, worker, _, box, _ = alerting
    service.open(Reason.EMERGENCY, TENANT, SATURDAY_NIGHT, words=WORDS)
    send_all(worker)
    assert [m.state for m in box.messages()] == [SENT] * (len(ON_CALL) + 2)


def test_an_urgent_handoff_is_not_warned_of_as_well_as_alerted(alerting):
    """Due 30 minutes after it opens: the alert at once stands for the warning."""
    service, watcher, worker, clock, _, (inbox, _, _) = alerting
    service.open(Reason.EMERGENCY, TENANT, SATURDAY_NIGHT, words=WORDS)
    for minutes in (1, 10, 29):
        sweep(watcher, worker, clock, SATURDAY_NIGHT + timedelta(minutes=minutes))
    assert len(inbox.to(ON_CALL[0])) == 1 and inbox.to(REPAIRS) == []


def test_the_sweep_records_a_missed_deadline_as_missed(alerting):
    service, watcher, worker, clock, _, _ = alerting
    handoff = service.open(Reason.COMPLAINT, TENANT, THURSDAY_1520, words="Still no reply")
    sweep(watcher, worker, clock, handoff.acknowledge_by - timedelta(minutes=1))
    assert service.repository.get(handoff.id).acknowledge_met is None
    sweep(watcher, worker, clock, handoff.acknowledge_by + timedelta(minutes=1))
    assert service.repository.get(handoff.id).acknowledge_met is False
