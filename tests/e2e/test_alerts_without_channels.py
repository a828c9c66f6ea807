"""End to end: with Facebook and X both off (no platform settings: local REST chat
only), an emergency still emails the on-call address at once; the staff app sends the
alert, which the Rasa server's channel loops, off with the channels, do not (P2, P12)."""

import secrets
import uuid

import pytest
import yaml

from bot.channels.rest import rest_conversation_id
from bot.handoff.handoffs import HandoffRepository, Priority, Reason
from bot.store import connect
from scripts.processes import free_port, send
from tests.alert_receivers import SmtpInbox
from tests.e2e.platforms import wait_for
from tests.helpers import ROOT, assistant_in, store_keys

ON_CALL = "on-call@brookfield.e2e.example"


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("alerts_without_channels")
    association = yaml.safe_load((ROOT / "association.yml").read_text())
    association["alerts"] = {"on_call": {"email": [ON_CALL]}}
    path = tmp / "association.yml"
    path.write_text(yaml.safe_dump(association))
    with SmtpInbox() as inbox:
        env = {
            "ASSOCIATION_FILE": str(path),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(inbox.port),
            "SMTP_FROM": "alerts@e2e.example",
            "SMTP_STARTTLS": "off",
        }
        assistant = assistant_in(
            tmp,
            env,
            api_token=secrets.token_hex(16),
            console_port=free_port(),
            staff_tokens="Sam:sam-token-0123456789abcdef",
        )
        with assistant:
            repository = HandoffRepository(
                connect(f"sqlite:///{tmp / 'assistant.db'}", store_keys())
            )
            yield assistant, inbox, repository


def test_an_emergency_over_rest_chat_emails_on_call_with_both_channels_off(running):
    assistant, inbox, repository = running
    tenant = f"tenant-{uuid.uuid4().hex[:8]}"
    told = send(assistant.rasa_url, tenant, "water is pouring through my ceiling from upstairs")
    assert "01632 960 999" in "\n".join(r.get("text", "") for r in told)
    handoff = repository.open_for(rest_conversation_id(tenant))
    assert (handoff.reason, handoff.priority) == (Reason.EMERGENCY, Priority.URGENT)

    assert wait_for(lambda: inbox.to(ON_CALL), 30), "no alert reached the on-call address"
    [mail] = inbox.to(ON_CALL)
    assert handoff.id in mail.get_content()
    assert "ceiling" not in mail.get_content()
