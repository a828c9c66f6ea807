"""End to end: an emergency reported on Messenger out of hours (a Saturday night, on a
faked clock) makes an email reach the on-call address on a real SMTP server, at once,
with the handoff's id and nothing of the tenant (P2, P9, P12)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.handoff.handoffs import HandoffRepository, Priority, Reason
from bot.store import connect
from scripts.fake_platforms import facebook_webhook
from tests.alert_receivers import SmtpInbox
from tests.e2e.platforms import (
    PAGE,
    assistant_with_platforms,
    message,
    new_user,
    sent_to,
    to_facebook,
    wait_for,
)
from tests.helpers import ROOT, store_keys

UK = ZoneInfo("Europe/London")
# Saturday 28 November 2026, 11pm in London (GMT): nobody is monitoring (P1).
SATURDAY_NIGHT = datetime(2026, 11, 28, 23, 0, tzinfo=UK)
ON_CALL = "on-call@brookfield.e2e.example"
CONSOLE = "https://staff.brookfield.e2e.example"
PHONE = "07700 900123"


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("alerts")
    association = yaml.safe_load((ROOT / "association.yml").read_text())
    association["alerts"] = {"on_call": {"email": [ON_CALL]}}
    path = tmp / "association.yml"
    path.write_text(yaml.safe_dump(association))
    env = {
        "ASSOCIATION_FILE": str(path),
        "ASSISTANT_FAKE_NOW": SATURDAY_NIGHT.isoformat(),
        "STAFF_CONSOLE_URL": CONSOLE,
    }
    with SmtpInbox() as inbox:
        with assistant_with_platforms(tmp, env, mail=inbox) as (assistant, platforms, _):
            repository = HandoffRepository(
                connect(f"sqlite:///{tmp / 'assistant.db'}", store_keys())
            )
            yield assistant, platforms, inbox, repository


def test_an_out_of_hours_emergency_emails_the_on_call_address(running):
    assistant, platforms, inbox, repository = running
    psid = new_user()
    words = f"water is pouring through my ceiling from the flat above, call me on {PHONE}"
    status, _, _ = to_facebook(assistant, facebook_webhook(PAGE, messaging=[message(psid, words)]))
    assert status == 200

    # At once: well before the watcher's next sweep, a minute after start-up.
    assert wait_for(lambda: inbox.to(ON_CALL), 30), "no alert reached the on-call address"
    [mail] = inbox.to(ON_CALL)
    handoff = repository.open_for(f"facebook-private-{psid}")
    assert (handoff.reason, handoff.priority) == (Reason.EMERGENCY, Priority.URGENT)
    # Opened on the faked clock: a Saturday night, out of hours.
    assert abs(handoff.created_at - SATURDAY_NIGHT) < timedelta(minutes=10)

    text = f"{mail['Subject']}\n{mail.get_content()}"
    assert f"{CONSOLE}/conversations/{handoff.id}" in text
    assert "Urgent handoff" in mail["Subject"] and "emergency" in text and "Repairs" in text
    for personal in (PHONE, "900123", "ceiling", "flat above", psid):
        assert personal not in text

    # The tenant was given the emergency numbers at once (P2).
    assert wait_for(lambda: sent_to(platforms, psid), 30)
    told = "\n".join(
        (c.body or {}).get("message", {}).get("text", "") for c in sent_to(platforms, psid)
    )
    assert "01632 960 999" in told
    assert len(inbox.to(ON_CALL)) == 1
