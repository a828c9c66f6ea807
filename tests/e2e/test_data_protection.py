"""End to end: what tenants tell the assistant is kept encrypted, never logged, can be
exported and erased, and survives a key rotation cut off halfway (P4, P9).

Two tenants write to the page on Messenger, through the signed webhook, to the servers
as `make run` starts them. One asks for a person, then gives a phone number, a date of
birth and an address while waiting; the other reports a repair (with the phone number in it) and answers
the security questions for a tenancy loaded for this test alone. Then the database files
(with their -wal and -journal files) and every server's log are read as bytes, the
subject commands export and erase, and the key command rotates.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, select

from bot.handoff.conversations import RasaConversations
from bot.handoff.handoffs import HandoffRepository, Reason
from bot.keys import DataKeys, is_encrypted
from bot.protection.subject import ERASED_ACTION
from bot.repairs.requests import RepairRequests
from bot.store import Encrypted, connect, console_audit, metadata
from bot.tenancy.masking import SECURITY_SLOTS
from bot.tenancy.records import TenancyRepository, load_tenancies
from bot.tenancy.security_question import is_sealed
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
from tests.helpers import ROOT, TEST_WORK_FACTOR

# Values that appear nowhere else in the project, so that finding one anywhere means
# this test's conversations put it there.
PHONE = "07942 615387"
DATE_OF_BIRTH = "19/06/1973"
ADDRESS = "27 Quillfeather Lane, Brackenby BD23 9QX"
# The security check's answers, for a tenancy of this test's own.
REFERENCE, NAME, BIRTH = "TEN-736094", "Ottoline Pemberfold", "3rd November 1947"
TENANCY = {
    "tenancies": [
        {
            "reference": REFERENCE,
            "address": {"line": "5 Yarrowgate Close", "town": "Kettlewick", "postcode": "HX7 4WQ"},
            "tenants": [{"name": NAME, "date_of_birth": "1947-11-03"}],
            "rent": {"balance": 12.5, "as_of": "2026-11-16", "payments": []},
            "repairs": [],
        }
    ]
}

# Every form each value could be kept in: as typed, lower case, digits only, and the
# forms the project's own parsers turn them into (dates as ISO, postcodes unspaced).
SAID = {
    "phone": (PHONE, "07942615387", "7942615387"),
    "date of birth": (DATE_OF_BIRTH, "19061973", "1973-06-19"),
    "address": (ADDRESS, "quillfeather", "bd23 9qx", "bd239qx"),
}
ANSWERS = {
    "name": (NAME, "pemberfold"),
    "date of birth answer": (BIRTH, "1947-11-03", "03/11/1947", "03111947"),
}
# The test tenancy's own contact details (tenancy records' contact details are encrypted).
TENANCY_CONTACT = {"tenancy address": ("5 Yarrowgate Close", "yarrowgate", "hx7 4wq", "hx74wq")}
# The tenancy reference is an answer too; the tenancy's own record holds it (it names the
# tenancy), so it is looked for everywhere but the project's store.
REFERENCE_FORMS = (REFERENCE, "736094")


def forms(groups):
    return {(kind, form.lower()) for kind, values in groups.items() for form in values}


def found_in(data: bytes, groups) -> list:
    """The (kind, form) of every value of `groups` found in `data`, case ignored."""
    lowered = data.lower()
    return sorted((kind, form) for kind, form in forms(groups) if form.encode() in lowered)


class Tenant:
    """A tenant writing to the page on Messenger, one message after the last reply."""

    def __init__(self, assistant, platforms):
        self.assistant, self.platforms = assistant, platforms
        self.user = new_user()
        self.conversation = f"facebook-private-{self.user}"

    def heard(self):
        return [
            ((call.body or {}).get("message") or {}).get("text") or ""
            for call in sent_to(self.platforms, self.user)
        ]

    def says(self, text, expect=None):
        """Send `text`; wait for a reply holding `expect` (any reply when None)."""
        before = len(self.heard())
        to_facebook(self.assistant, facebook_webhook(PAGE, messaging=[message(self.user, text)]))

        def answered():
            new = self.heard()[before:]
            return bool(new) and (expect is None or expect in " ".join(new))

        assert wait_for(answered, 60), (text, expect, self.heard())
        time.sleep(1)  # the rest of the replies to it
        return " ".join(self.heard()[before:])


def converse(assistant, platforms, engine, tmp):
    """Both conversations, through the Messenger webhook: (Rasa's API, said, repair)."""
    tenancy_file = tmp / "tenancy.yml"
    tenancy_file.write_text(yaml.safe_dump(TENANCY))
    load_tenancies(tenancy_file, TenancyRepository(engine), work_factor=TEST_WORK_FACTOR)
    rasa = RasaConversations(assistant.rasa_url, assistant.api_token)

    said = Tenant(assistant, platforms)
    said.says("can i speak to a real person please", "passed your conversation")
    # Paused for staff: what the tenant writes is kept for them as written, whatever the
    # model reads it as (were a security check to start, a date of birth would be sealed
    # as its answer, and this test is about what a tenant says).
    for text in (
        f"hello, my phone number is {PHONE}",
        f"my date of birth is {DATE_OF_BIRTH}",
        f"I have moved, my new address is {ADDRESS}",
        f"please ring me on {PHONE}",
    ):
        to_facebook(assistant, facebook_webhook(PAGE, messaging=[message(said.user, text)]))

        def kept(text=text):
            events = rasa.tracker(said.conversation)["events"]
            return any(e.get("event") == "user" and e.get("text") == text for e in events)

        assert wait_for(kept, 30), f"{text!r}, written while paused, was not kept"

    repair = Tenant(assistant, platforms)
    repair.says("my kitchen tap is leaking", "is it an emergency")
    repair.says("no", "What's wrong?")
    repair.says(f"the tap under the sink drips, ring me on {PHONE}", "Where in your home")
    repair.says("kitchen", "Since when")
    repair.says("since Monday", "anyone in your home vulnerable")
    repair.says("no", "tenancy reference")
    repair.says(REFERENCE, "full name")
    repair.says(NAME, "date of birth")
    repair.says(BIRTH, "aim to reply here by")
    return rasa, said, repair


@pytest.fixture(scope="module")
def protected(tmp_path_factory):
    """The assistant after both conversations: a dict of what the tests need."""
    tmp = tmp_path_factory.mktemp("data-protection")
    # At DEBUG: what no log may hold at INFO or above must not appear at DEBUG either,
    # Rasa's own lines about each message included.
    with assistant_with_platforms(tmp, {"LOG_LEVEL": "DEBUG"}) as (assistant, platforms, _):
        engine = connect(assistant.extra_env["DATABASE_URL"], assistant.keys())
        rasa, said, repair = converse(assistant, platforms, engine, tmp)
        yield {
            "assistant": assistant,
            "engine": engine,
            "rasa": rasa,
            "tmp": tmp,
            "said": said,
            "repair": repair,
        }


def database_files(tmp: Path) -> list[Path]:
    """The project's SQLite store and the tracker's, with their -wal and -journal files."""
    return sorted(p for p in tmp.iterdir() if re.search(r"\.db(-wal|-journal|-shm)?$", p.name))


def log_files(tmp: Path) -> list[Path]:
    return sorted((tmp / "logs").glob("*"))


def search(paths, groups) -> dict:
    """{file name: [(kind, form), ...]} for every file in `paths` holding a value."""
    found = {}
    for path in paths:
        hits = found_in(path.read_bytes(), groups)
        if hits:
            found[path.name] = hits
    return found


def subject(*arguments, env=None) -> subprocess.CompletedProcess:
    """`python -m scripts.subject ...`, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "scripts.subject", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def operator_env(assistant, **overrides) -> dict:
    """The environment the servers run in: the same store, tracker and keys."""
    env = {
        **os.environ,
        **assistant.data_keys,
        **assistant.extra_env,
        "ENDPOINTS_FILE": str(assistant.endpoints_file()),
    }
    env.update(overrides)
    return env


def export(assistant, account, env=None) -> str:
    done = subject(
        "export", "--account", account, "--by", "proof", env=env or operator_env(assistant)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    json.loads(done.stdout)  # JSON, as the issue says
    return done.stdout


def accounts(protected):
    return [f"facebook:{protected['said'].user}", f"facebook:{protected['repair'].user}"]


def test_the_conversations_are_kept_and_read_back_through_rasa(protected):
    # Not vacuous: what the searches below must not find in clear was kept, and Rasa's
    # HTTP API reads it back decrypted.
    rasa = protected["rasa"]
    said = json.dumps(rasa.tracker(protected["said"].conversation)["events"])
    assert PHONE in said and DATE_OF_BIRTH in said and ADDRESS in said
    handoffs = HandoffRepository(protected["engine"])
    assert handoffs.open_for(protected["said"].conversation).reason is Reason.REQUEST_HUMAN
    repair = handoffs.open_for(protected["repair"].conversation)
    assert repair.reason is Reason.REPAIR_REQUEST
    [request] = RepairRequests(protected["engine"]).for_conversation(
        protected["repair"].conversation
    )
    assert PHONE in request.what


def test_security_answers_are_masked_and_their_sealed_copies_gone_once_the_check_is_over(
    protected,
):
    events = protected["rasa"].tracker(protected["repair"].conversation)["events"]
    history = json.dumps(events).lower()
    assert found_in(history.encode(), {**ANSWERS, "reference": REFERENCE_FORMS}) == []
    assert "answer to a security question" in history  # the masked marker is left
    sealed = [
        e["name"]
        for e in events
        if e.get("event") == "slot" and e.get("name") in SECURITY_SLOTS and is_sealed(e["value"])
    ]
    assert sealed == [], f"sealed answers left in the history: {sealed}"


def test_no_database_file_holds_any_value_in_clear(protected):
    tmp = protected["tmp"]
    files = database_files(tmp)
    assert {"assistant.db", "tracker.db"} <= {p.name for p in files}
    assert search(files, {**SAID, **ANSWERS, **TENANCY_CONTACT}) == {}
    tracker_files = [p for p in files if p.name.startswith("tracker.db")]
    assert search(tracker_files, {"reference": REFERENCE_FORMS}) == {}


def test_the_identifiers_counted_and_locked_by_are_keyed_hmacs(protected):
    # A copy of the store does not tell which account or tenancy tried a check, nor
    # give a hash anyone could recompute: only the keyed HMACs (P9).
    store = sqlite3.connect(protected["tmp"] / "assistant.db")
    try:
        accounts = [a for (a,) in store.execute("SELECT account FROM identity_attempts")]
        subjects = [s for (s,) in store.execute("SELECT subject FROM identity_subjects")]
    finally:
        store.close()
    assert accounts, "the check left no attempt"
    assert [a for a in accounts + subjects if not a.startswith("hmac:")] == []
    assert not any(protected["repair"].user in value for value in accounts + subjects)


def test_no_log_of_any_server_holds_any_value(protected):
    logs = log_files(protected["tmp"])
    assert {"rasa.log", "actions.log", "console.log"} <= {p.name for p in logs}
    assert b" DEBUG " in (protected["tmp"] / "logs" / "rasa.log").read_bytes()
    assert search(logs, {**SAID, **ANSWERS, "reference": REFERENCE_FORMS}) == {}


def test_the_export_holds_every_value_decrypted_and_no_security_answer(protected):
    assistant = protected["assistant"]
    exported = "\n".join(export(assistant, account) for account in accounts(protected))
    for value in (PHONE, DATE_OF_BIRTH, ADDRESS):
        assert value in exported, value
    assert found_in(exported.encode(), ANSWERS) == []
    said = json.loads(export(assistant, accounts(protected)[0]))
    assert {"conversations", "moderation", "console_audit"} <= set(said)
    [conversation] = said["conversations"]
    assert ADDRESS in json.dumps(conversation["events"])
    assert [h["reason"] for h in conversation["handoffs"]] == [Reason.REQUEST_HUMAN.value]


# Rotation, on a copy of the store taken now (the servers go on with the old key).
BULK = 20_000


def copy_sqlite(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def events_table():
    return Table(
        "events",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("sender_id", String(255)),
        Column("type_name", String(255)),
        Column("timestamp", Text),
        Column("intent_name", String(255)),
        Column("action_name", String(255)),
        Column("data", Text),
    )


def encrypted_columns():
    return [
        (table, column)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Encrypted)
    ]


def stored_texts(store_url: str, tracker_url: str):
    """Every encrypted text as stored, raw: (where, value)."""
    raw = create_engine(store_url)
    found = []
    with raw.connect() as connection:
        for table, column in encrypted_columns():
            rows = connection.exec_driver_sql(
                f'SELECT "{column.name}" FROM "{table.name}" WHERE "{column.name}" IS NOT NULL'
            )
            found += [(f"{table.name}.{column.name}", row[0]) for row in rows]
    with create_engine(tracker_url).connect() as connection:
        rows = connection.exec_driver_sql("SELECT data FROM events")
        found += [("events.data", row[0]) for row in rows]
    return found


def keys_command(project: Path, *arguments, env) -> subprocess.Popen:
    """`python -m scripts.keys ...` as an operator runs it in `project`."""
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.keys", *arguments],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def operator_project(tmp: Path, settings: dict) -> Path:
    """A copy of the project's code with a `.env` of its own holding `settings`: the
    key command rewrites the `.env` beside the code, which must not be this checkout's."""
    project = tmp / "project"
    for part in ("bot", "scripts"):
        shutil.copytree(ROOT / part, project / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "association.yml", project / "association.yml")
    (project / ".env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    (project / ".env").chmod(0o600)
    return project


def env_keys(project: Path) -> list:
    return dotenv_values(project / ".env")["ENCRYPTION_KEYS"].split(",")


def test_a_rotation_killed_halfway_and_resumed_leaves_everything_readable_with_the_new_key(
    protected, tmp_path
):
    assistant = protected["assistant"]
    old, lookup = assistant.keys(), assistant.data_keys["LOOKUP_KEY"]
    store, tracker = tmp_path / "assistant.db", tmp_path / "tracker.db"
    copy_sqlite(protected["tmp"] / "assistant.db", store)
    copy_sqlite(protected["tmp"] / "tracker.db", tracker)
    store_url, tracker_url = f"sqlite:///{store}", f"sqlite:///{tracker}"
    # No process runs on the copy: the running assistant's records of the keys it holds
    # (which would rightly hold the rotation up) stay with the original.
    with sqlite3.connect(store) as connection:
        connection.execute("DELETE FROM key_holders")
    endpoints = yaml.safe_load(assistant.endpoints_file().read_text())
    endpoints["tracker_store"] = {**endpoints["tracker_store"], "db": str(tracker)}
    (tmp_path / "endpoints.yml").write_text(yaml.safe_dump(endpoints))

    # Enough rows that the rotation is still at work when it is killed.
    with create_engine(tracker_url).begin() as connection:
        rows = [
            {
                "sender_id": f"bulk-{n % 200}",
                "type_name": "user",
                "timestamp": str(1_700_000_000 + n),
                "data": old.encrypt(json.dumps({"event": "user", "text": f"bulk {n}"})),
            }
            for n in range(BULK)
        ]
        connection.execute(events_table().insert(), rows)
    total = len(stored_texts(store_url, tracker_url))

    settings = {
        "ENCRYPTION_KEYS": ",".join(old.encryption_keys),
        "LOOKUP_KEY": lookup,
        "DATABASE_URL": store_url,
        "ENDPOINTS_FILE": str(tmp_path / "endpoints.yml"),
    }
    project = operator_project(tmp_path, settings)
    env = {k: v for k, v in os.environ.items() if k not in settings}

    def rotated_so_far():
        keys = env_keys(project)
        if keys == list(old.encryption_keys):
            return 0  # the new key is not in .env yet
        newest = DataKeys(keys[:1], lookup)
        stored = stored_texts(store_url, tracker_url)
        return sum(1 for _, value in stored if is_encrypted(value) and newest.is_current(value))

    rotation = keys_command(project, "rotate", env=env)
    try:
        wait_for(lambda: rotation.poll() is not None or rotated_so_far() > 0, 120)
    finally:
        if rotation.poll() is None:
            os.killpg(rotation.pid, signal.SIGKILL)
        rotation.wait()
    assert rotation.returncode == -signal.SIGKILL, rotation.stderr.read()[-2000:]
    done = rotated_so_far()
    assert 0 < done < total, f"not cut off halfway: {done} of {total} values rotated"
    keys = env_keys(project)
    assert len(keys) == 2 and keys[1:] == list(old.encryption_keys)
    new = keys[0]
    # Halfway, everything still opens with the keys in .env, old and new.
    both = DataKeys(keys, lookup)
    for _, value in stored_texts(store_url, tracker_url):
        both.decrypt(value)

    resumed = keys_command(project, "rotate", "--resume", env=env)
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-3000:]
    retired = keys_command(project, "retire", env=env)
    _, err = retired.communicate(timeout=600)
    assert retired.returncode == 0, err[-3000:]
    assert env_keys(project) == [new]

    # Every stored value is encrypted under the new key, and opens with it alone.
    only_new = DataKeys([new], lookup)
    stored = stored_texts(store_url, tracker_url)
    assert len(stored) == total
    assert [where for where, value in stored if not only_new.is_current(value)] == []
    opened = [only_new.decrypt(value) for _, value in stored]
    assert sum(1 for text in opened if text.startswith('{"event": "user", "text": "bulk')) == BULK
    # The export, run with the new key alone, still holds every value decrypted.
    exported = "\n".join(
        export(assistant, account, env={**env, **settings, "ENCRYPTION_KEYS": new})
        for account in accounts(protected)
    )
    for value in (PHONE, DATE_OF_BIRTH, ADDRESS):
        assert value in exported, value


def test_after_erasure_no_value_is_found_anywhere(protected):
    assistant = protected["assistant"]
    env = operator_env(assistant)
    for tenant in (protected["said"], protected["repair"]):
        done = subject(
            "erase", "--conversation", tenant.conversation, "--yes", "--by", "proof", env=env
        )
        assert done.returncode == 0, done.stderr[-3000:]
    tmp = protected["tmp"]
    assert search(database_files(tmp), {**SAID, **ANSWERS, **TENANCY_CONTACT}) == {}
    assert search(log_files(tmp), {**SAID, **ANSWERS, "reference": REFERENCE_FORMS}) == {}
    exported = "\n".join(export(assistant, account) for account in accounts(protected))
    assert found_in(exported.encode(), {**SAID, **ANSWERS}) == []
    # Nothing left to read back either: decrypted, through Rasa's HTTP API.
    for tenant in (protected["said"], protected["repair"]):
        events = protected["rasa"].tracker(tenant.conversation)["events"]
        assert found_in(json.dumps(events).encode(), SAID) == []
    repairs = RepairRequests(protected["engine"])
    assert repairs.for_conversation(protected["repair"].conversation) == []
    handoffs = HandoffRepository(protected["engine"])
    assert handoffs.open_for(protected["said"].conversation) is None
    # The erasures happened, and that is kept: audited, naming no conversation in clear.
    with protected["engine"].connect() as connection:
        audited = connection.execute(
            select(console_audit.c.subject).where(console_audit.c.action == ERASED_ACTION)
        ).all()
    assert len(audited) >= 2
    assert not any("facebook-private" in (subject or "") for (subject,) in audited)
