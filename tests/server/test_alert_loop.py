"""The Rasa server's runtime watches handoffs for alerts by itself, from start-up, and
sends them through its outbox loops: a crash that lost an urgent alert, or a deadline
missed, reaches staff without anyone running a command (P2, P3, P12)."""

from datetime import datetime, timezone
from types import SimpleNamespace

import yaml

from bot.channels.wiring import build_runtime
from bot.handoff.handoffs import Conversation, Reason
from bot.handoff.service import HandoffService
from bot.settings import Settings, SmtpSettings
from bot.store import connect
from tests.alert_receivers import SmtpInbox
from tests.helpers import CALENDAR, ROOT, TEAMS, settings_keys, store_keys, until

ON_CALL = "oncall@assoc.example"


async def test_the_runtime_sends_the_urgent_alert_a_crash_lost(tmp_path):
    association = yaml.safe_load((ROOT / "association.yml").read_text())
    association["alerts"] = {"on_call": {"email": [ON_CALL]}}
    (tmp_path / "association.yml").write_text(yaml.safe_dump(association))
    database = f"sqlite:///{tmp_path / 'store.db'}"
    # Stored by a process that died before any listener heard of it.
    tenant = Conversation("facebook-private-p1", "facebook", "private", "p1")
    now = datetime.now(timezone.utc)
    handoff = HandoffService(connect(database, store_keys()), CALENDAR, TEAMS).open(
        Reason.EMERGENCY, tenant, now
    )
    with SmtpInbox() as inbox:
        smtp = SmtpSettings("127.0.0.1", inbox.port, sender="alerts@assoc.example", starttls=False)
        settings = Settings(
            tmp_path / "association.yml", database_url=database, smtp=smtp, **settings_keys()
        )
        runtime = build_runtime(settings)
        runtime.start(SimpleNamespace(ctx=SimpleNamespace(agent=None)), None)
        try:
            assert await until(lambda: inbox.to(ON_CALL), 10)
        finally:
            await runtime.stop()
    [mail] = inbox.to(ON_CALL)
    assert handoff.id in mail.get_content()
