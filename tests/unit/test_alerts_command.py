"""Operators can sweep for due alerts by hand: `python -m scripts.alerts`."""

from datetime import datetime
from zoneinfo import ZoneInfo

import yaml

import scripts.alerts as alerts_cli
from bot.handoff.handoffs import Conversation, Reason
from bot.handoff.service import HandoffService
from bot.store import connect
from tests.alert_receivers import SmtpInbox
from tests.helpers import CALENDAR, ROOT, TEAMS, keys_environment, store_keys

UK = ZoneInfo("Europe/London")
THURSDAY_1520 = datetime(2026, 11, 19, 15, 20, tzinfo=UK)
CX = "cx-leads@assoc.example"


def test_the_command_sends_a_missed_deadline_alert_once(tmp_path, monkeypatch, capsys):
    association = yaml.safe_load((ROOT / "association.yml").read_text())
    association["alerts"] = {"teams": {"Customer Experience": {"email": [CX]}}}
    (tmp_path / "association.yml").write_text(yaml.safe_dump(association))
    database = f"sqlite:///{tmp_path / 'store.db'}"
    tenant = Conversation("facebook-private-p1", "facebook", "private", "p1")
    # Its acknowledge-by time (Friday 20 November 2026, 09:20) has passed.
    handoff = HandoffService(connect(database, store_keys()), CALENDAR, TEAMS).open(
        Reason.COMPLAINT, tenant, THURSDAY_1520
    )
    with SmtpInbox() as inbox:
        for name, value in {
            "DATABASE_URL": database,
            "ASSOCIATION_FILE": str(tmp_path / "association.yml"),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(inbox.port),
            "SMTP_FROM": "alerts@assoc.example",
            "SMTP_STARTTLS": "off",
            **keys_environment(),
        }.items():
            monkeypatch.setenv(name, value)
        assert alerts_cli.main([]) == 0
        assert alerts_cli.main([]) == 0
    assert [handoff.id in m.get_content() for m in inbox.to(CX)] == [True]
    assert "not acknowledged in time" in inbox.to(CX)[0]["Subject"]
    assert "Queued 1 staff alerts." in capsys.readouterr().out
