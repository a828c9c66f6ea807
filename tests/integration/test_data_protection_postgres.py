"""On PostgreSQL: what tenants tell the assistant is kept encrypted, and can be exported
and erased (P9).

The servers run as `make run` starts them, with the project's store (DATABASE_URL) and
Rasa's tracker store (endpoints.yml, `dialect: postgresql`) both in the throwaway
PostgreSQL of `make postgres-test`; the same conversations as
tests/e2e/test_data_protection.py go through the Messenger webhook. Then a `pg_dump` of
the database, and every server's log, are searched for what the tenants typed.
It needs the trained model (`make postgres-test` trains first).
"""

from __future__ import annotations

import glob
import os
import subprocess

import pytest
from sqlalchemy.engine import make_url

from bot.store import connect
from tests.e2e.platforms import assistant_with_platforms
from tests.e2e.test_data_protection import (
    ADDRESS,
    ANSWERS,
    DATE_OF_BIRTH,
    PHONE,
    REFERENCE_FORMS,
    SAID,
    converse,
    found_in,
    log_files,
    operator_env,
    search,
    subject,
)

URL = os.environ.get("TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="needs TEST_POSTGRES_URL: run `make postgres-test`")


def tracker_store_settings(url: str) -> dict:
    """endpoints.yml's tracker store settings for the database at `url`."""
    parsed = make_url(url)
    settings = {
        "dialect": "postgresql",
        "url": parsed.host,  # Rasa reads the host from `url`
        "port": parsed.port,
        "db": parsed.database,
        "username": parsed.username,
    }
    if parsed.password:
        settings["password"] = parsed.password
    return settings


def pg_dump(url: str) -> bytes:
    """The whole database, as `pg_dump` writes it (schema and rows)."""
    [binary] = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))[-1:]
    parsed = make_url(url)
    command = [
        binary,
        "--host",
        parsed.host,
        "--port",
        str(parsed.port),
        "--username",
        parsed.username,
        "--no-password",
        parsed.database,
    ]
    env = {**os.environ, **({"PGPASSWORD": parsed.password} if parsed.password else {})}
    done = subprocess.run(command, capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def on_postgres(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("data-protection-postgres")
    with assistant_with_platforms(
        tmp, {"DATABASE_URL": URL, "LOG_LEVEL": "DEBUG"}, tracker_store=tracker_store_settings(URL)
    ) as (assistant, platforms, _):
        engine = connect(URL, assistant.keys())
        rasa, said, repair = converse(assistant, platforms, engine, tmp)
        yield {"assistant": assistant, "tmp": tmp, "rasa": rasa, "said": said, "repair": repair}


def dumped_events(dump: bytes, conversation: str) -> int:
    """How many rows of Rasa's events table the dump holds for `conversation`."""
    rows, inside = 0, False
    for line in dump.splitlines():
        if line.startswith(b"COPY public.events "):
            inside = True
        elif inside and line == b"\\.":
            inside = False
        elif inside and conversation.encode() in line:
            rows += 1
    return rows


def test_the_conversations_are_in_postgresql_and_read_back_through_rasa(on_postgres):
    events = on_postgres["rasa"].tracker(on_postgres["said"].conversation)["events"]
    said = " ".join(e.get("text") or "" for e in events)
    assert PHONE in said and DATE_OF_BIRTH in said and ADDRESS in said
    dump = pg_dump(URL)
    # Rasa's events are in this database, not in a file somewhere: not vacuous.
    assert dumped_events(dump, on_postgres["said"].conversation) > 5
    assert dumped_events(dump, on_postgres["repair"].conversation) > 5


def test_a_dump_of_the_database_holds_no_value_in_clear(on_postgres):
    dump = pg_dump(URL)
    assert found_in(dump, {**SAID, **ANSWERS}) == []
    logs = log_files(on_postgres["tmp"])
    assert search(logs, {**SAID, **ANSWERS, "reference": REFERENCE_FORMS}) == {}


def accounts(running):
    return [f"facebook:{running['said'].user}", f"facebook:{running['repair'].user}"]


def exported(running) -> str:
    env = operator_env(running["assistant"])
    outputs = []
    for account in accounts(running):
        done = subject("export", "--account", account, "--by", "proof", env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        outputs.append(done.stdout)
    return "\n".join(outputs)


def test_the_export_holds_every_value_and_no_security_answer(on_postgres):
    export = exported(on_postgres)
    for value in (PHONE, DATE_OF_BIRTH, ADDRESS):
        assert value in export, value
    assert found_in(export.encode(), ANSWERS) == []


def test_after_erasure_no_value_is_in_the_database(on_postgres):
    env = operator_env(on_postgres["assistant"])
    for tenant in (on_postgres["said"], on_postgres["repair"]):
        done = subject(
            "erase", "--conversation", tenant.conversation, "--yes", "--by", "proof", env=env
        )
        assert done.returncode == 0, done.stderr[-3000:]
    dump = pg_dump(URL)
    assert found_in(dump, {**SAID, **ANSWERS}) == []
    assert dumped_events(dump, on_postgres["said"].conversation) == 0
    assert dumped_events(dump, on_postgres["repair"].conversation) == 0
    assert found_in(exported(on_postgres).encode(), {**SAID, **ANSWERS}) == []
