"""End to end: no security answer reaches the servers' logs, even at DEBUG and when an
action fails in the middle of a check (P4, P5).

Rasa and rasa_sdk log the message text, slot candidates, events and, when an action
fails, the error with its SQL parameters; all of it is withheld for a turn that
answers a security question.
"""

import uuid

import pytest
from sqlalchemy import text

from bot.store import connect
from bot.tenancy.records import TenancyRepository, load_tenancies
from bot.tenancy.security_question import Sealer
from scripts.processes import send
from tests.helpers import DEMO_TENANCIES, assistant_in, store_keys

ANSWERS = ("tenancy ref 318552", "Priya Sharma", "23/07/1990")
# Every form an answer takes in the servers: typed, canonical, and in SQL parameters.
FORMS = ("318552", "priya sharma", "priya", "23/07/1990", "1990-07-23")


@pytest.fixture(scope="module")
def debug_logging(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("identity-logs")
    database_url = f"sqlite:///{tmp / 'assistant.db'}"
    engine = connect(database_url, store_keys())
    load_tenancies(DEMO_TENANCIES, TenancyRepository(engine))
    env = {
        "DATABASE_URL": database_url,
        "SECURITY_ANSWERS_KEY": Sealer.new_key(),
        "LOG_LEVEL": "DEBUG",
    }
    with assistant_in(tmp, env) as assistant:
        yield assistant, engine, tmp


def test_an_action_failing_during_a_check_logs_no_answer(debug_logging):
    assistant, engine, tmp = debug_logging
    conversation = f"conversation-{uuid.uuid4().hex[:8]}"  # a private chat of its own

    def say(words):
        return " ".join(r.get("text", "") for r in send(assistant.rasa_url, conversation, words))

    assert "tenancy reference" in say("how much rent do i owe")
    say(ANSWERS[0])
    say(ANSWERS[1])
    # The store loses its tenancies: the check itself fails, with an SQL error.
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE tenancies"))
    say(ANSWERS[2])

    logs = b"\n".join(p.read_bytes() for p in (tmp / "logs").glob("*.log")).lower()
    assert b"debug" in logs  # the servers did log at DEBUG
    for form in FORMS:
        assert form.encode() not in logs, form
    assert b"withheld" in logs  # the failure was logged, without its details
