"""End to end: no personal detail a tenant sends reaches any server's log (P9, P5).

Tenants write a phone number, an email address, a date of birth and an address in
Messenger, through the fake platforms, to the assistant as `make run` starts it (the
Rasa server, the action server and the staff app). Then every log file of every
server is searched for each value, as typed and as digits only: none is there. Once
with the servers at their default log level, and once with Rasa's `--debug` level
(LOG_LEVEL=DEBUG, which is what `--debug` sets; COLOREDLOGS_LOG_LEVEL=DEBUG, which is
what it sets for the action server's handler) and the libraries' too
(LOG_LEVEL_LIBRARIES=DEBUG: Sanic's access log, the HTTP clients).
"""

import pytest

from scripts.fake_platforms import facebook_webhook
from tests.e2e.platforms import (
    PAGE,
    assistant_with_platforms,
    message,
    new_user,
    sent_to,
    to_facebook,
    wait_for,
)

MESSAGES = (
    "hi, my phone number is 07700 900461",
    "you can email me at jo.bramley@example.org",
    "my date of birth is 14/03/1986",
    "I live at 27 Larkspur Road and the boiler is broken",
)
# Every form each value may take in a log: as typed, digits only, as a parsed date.
FORMS = (
    "07700 900461",
    "07700900461",
    "7700900461",
    "900461",
    "jo.bramley@example.org",
    "jo.bramley",
    "14/03/1986",
    "14031986",
    "1986-03-14",
    "27 larkspur road",
    "larkspur",
)
LEVELS = {
    "default": {},
    "debug": {
        "LOG_LEVEL": "DEBUG",
        "COLOREDLOGS_LOG_LEVEL": "DEBUG",
        "LOG_LEVEL_LIBRARIES": "DEBUG",
    },
}


@pytest.fixture(scope="module", params=sorted(LEVELS))
def logs_after_conversations(request, tmp_path_factory):
    """The servers' log files after the tenants wrote, the servers stopped."""
    tmp = tmp_path_factory.mktemp(f"logs-{request.param}")
    with assistant_with_platforms(tmp, LEVELS[request.param]) as (assistant, platforms, _):
        for text in MESSAGES:
            psid = new_user()  # a conversation each: none waits behind a handoff
            webhook = facebook_webhook(PAGE, messaging=[message(psid, text)])
            assert to_facebook(assistant, webhook)[0] == 200
            assert wait_for(lambda p=psid: sent_to(platforms, p), 90), text
    return request.param, sorted((tmp / "logs").glob("*.log"))


def test_no_personal_detail_a_tenant_sent_is_in_any_log(logs_after_conversations):
    level, files = logs_after_conversations
    assert {f.stem for f in files} >= {"rasa", "actions", "console"}
    logs = {f.name: f.read_bytes().lower() for f in files}
    if level == "debug":
        for server in ("rasa.log", "actions.log"):
            assert b" debug " in logs[server], server  # it did log at DEBUG
    for name, text in logs.items():
        for form in FORMS:
            assert form.encode() not in text, f"{form!r} is in {name}"
