"""An installation upgraded from the release that kept everything in clear is brought
under protection at start, with nothing to remember (P9): what an attacker with a copy
of the files would read is gone, and the product still finds every strike, promise,
identity check and lock by the ids it is given.
"""

import hashlib
import io
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from bot.keys import DataKeys, new_encryption_key, new_lookup_key
from bot.moderation.log import ModerationLog
from bot.outbox import PENDING, Outbox
from bot.protection.conversations import TrackerEvents
from bot.protection.upgrade import upgrade
from bot.screening.follow_ups import FollowUps
from bot.settings import Settings
from bot.store import connect, handoffs, identity_attempts, identity_subjects
from bot.tenancy import records
from bot.tenancy.answers import locator
from bot.tenancy.identity import Account, IdentityChecks
from bot.tenancy.identity_locks import locked_until
from bot.tenancy.masking import HIDDEN
from bot.tenancy.records import TenancyRepository
from bot.tenancy.security_question import HashScheme, Sealer
from scripts import keys as keys_command
from scripts import run as run_command
from tests.helpers import ROOT, TEST_WORK_FACTOR, on_disk

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
WHEN = "2026-11-23 09:00:00"
AUTHOR = "commenter-5551234"
ACCOUNT = Account("facebook", "psid-7770001")
WORDS = "my phone is 07700 900123 and I live at 14 Elm Road"
LEGACY_LOCATOR = "locator:" + hashlib.sha256(b"ref:204817").hexdigest()
CLEAR = (AUTHOR, ACCOUNT.user_id, "07700 900123", "14 Elm Road", LEGACY_LOCATOR[8:])
# A dead letter of the release before: sealed under its OUTBOX_KEY (bot/outbox.py).
LETTER = "Your repair is booked for Tuesday at 9"
INTENT = "report_antisocial_behaviour"

events = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


def legacy_keys():
    """Keys as the settings give them: with the release before's OUTBOX_KEY, to decrypt."""
    outbox_key = Fernet.generate_key().decode()
    return DataKeys.ephemeral().with_older([outbox_key]), outbox_key


def previous_release(tmp_path, keys, outbox_key):
    """A store and a tracker store as the release before wrote them: every row plain,
    but a dead letter sealed under `outbox_key`."""
    store = connect(f"sqlite:///{tmp_path / 'store.db'}", keys)
    tracker = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    events.create(tracker)
    with tracker.begin() as connection:
        # As Rasa's SQL store wrote them: the intent's and the action's names beside them.
        connection.execute(
            events.insert(),
            [
                {
                    "sender_id": "c3",  # conversation ids stay in clear: the tracker's keys
                    "type_name": "user",
                    "timestamp": 1.0,
                    "intent_name": INTENT,
                    "action_name": None,
                    "data": json.dumps(
                        {
                            "event": "user",
                            "timestamp": 1.0,
                            "text": WORDS,
                            "parse_data": {"intent": {"name": INTENT, "confidence": 1.0}},
                        }
                    ),
                },
                {
                    "sender_id": "c3",
                    "type_name": "action",
                    "timestamp": 2.0,
                    "intent_name": None,
                    "action_name": "utter_antisocial_behaviour_reported",
                    "data": json.dumps(
                        {
                            "event": "action",
                            "timestamp": 2.0,
                            "name": "utter_antisocial_behaviour_reported",
                        }
                    ),
                },
            ],
        )
    sealed = Fernet(outbox_key).encrypt(json.dumps({"text": LETTER, "fallback": None}).encode())
    statements = [
        "INSERT INTO handoffs (id, conversation_id, platform, surface, reason, team, priority,"
        " state, created_at, acknowledge_by, reply_by, updated_at, summary) VALUES ('h1',"
        f" 'c1', 'facebook', 'private', 'asked', 'housing', 'normal', 'open', '{WHEN}',"
        f" '{WHEN}', '{WHEN}', '{WHEN}', '{json.dumps({'words': WORDS})}')",
        "INSERT INTO moderation_actions (at, platform, author_id, target, action, reason,"
        f" state, key) VALUES ('{WHEN}', 'facebook', '{AUTHOR}', 'post-1', 'strike',"
        " 'abuse: a strike', 'done', 'k-old')",
        "INSERT INTO follow_ups (platform, author_id, conversation_id, awaits, promised_at,"
        f" key) VALUES ('facebook', '{AUTHOR}', 'c2', 'staff_named', '{WHEN}', 'k-promise')",
        "INSERT INTO identity_attempts (at, platform, account, conversation_id, outcome)"
        f" VALUES ('{WHEN}', 'facebook', '{ACCOUNT.key}', 'c3', 'failed')",
        "INSERT INTO identity_subjects (subject, failures, counting_since, locked_until)"
        f" VALUES ('account:{ACCOUNT.key}', 0, NULL, '2026-11-23 10:20:00')",
        "INSERT INTO identity_subjects (subject, failures, counting_since, locked_until)"
        f" VALUES ('{LEGACY_LOCATOR}', 2, '{WHEN}', NULL)",
        "INSERT INTO strike_locks (person, counted) VALUES ('facebook:" + AUTHOR + "', 1)",
        "INSERT INTO outbox (id, conversation_id, platform, operation, target, text, author,"
        " state, attempts, created_at, next_attempt_at, last_error) VALUES (7, 'c4',"
        f" 'facebook', 'messenger_send', 'psid-1', '{sealed.decode()}', 'assistant', 'dead', 1,"
        f" '{WHEN}', '{WHEN}', 'window closed')",
    ]
    with store.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    return store, tracker


def raw_values(engine):
    values = []
    with engine.connect() as connection:
        for table in sa.inspect(engine).get_table_names():
            for row in connection.exec_driver_sql(f'SELECT * FROM "{table}"'):
                values.extend(str(v) for v in row if v is not None)
    return "\n".join(values)


def in_clear(tmp_path, store, tracker):
    """What of CLEAR the live rows or the files' bytes still hold."""
    files = on_disk(tmp_path / "store.db") + on_disk(tmp_path / "tracker.db")
    rows = raw_values(store) + raw_values(tracker)
    return [v for v in CLEAR if v in rows or v.encode() in files]


def test_an_upgraded_installation_holds_nothing_in_clear_and_still_finds_everything(tmp_path):
    keys, outbox_key = legacy_keys()
    store, tracker = previous_release(tmp_path, keys, outbox_key)
    assert in_clear(tmp_path, store, tracker) == list(CLEAR)

    done = upgrade(store, keys, tracker)

    assert in_clear(tmp_path, store, tracker) == []
    assert done.deleted == {"identity_subjects": 1}
    # The product reads every one back, found by the raw ids.
    with store.connect() as connection:
        summary = connection.execute(sa.select(handoffs.c.summary)).scalar_one()
        attempts = connection.execute(
            sa.select(sa.func.count())
            .select_from(identity_attempts)
            .where(identity_attempts.c.account == ACCOUNT.key)
        ).scalar_one()
        lock = locked_until(connection, f"account:{ACCOUNT.key}", NOW)
        subjects = connection.execute(sa.select(identity_subjects.c.subject)).scalars().all()
    assert json.loads(summary)["words"] == WORDS
    assert attempts == 1
    assert lock is not None
    assert len(subjects) == 1
    checks = IdentityChecks(store, TenancyRepository(store), HashScheme.fresh(n=TEST_WORK_FACTOR))
    assert checks.account_locked_until(ACCOUNT, NOW) is not None
    log = ModerationLog(store, Outbox(store))
    assert len(log.strikes("facebook", AUTHOR)) == 1
    entry = log.entries(author_id=AUTHOR)[0]
    assert entry.author_id == AUTHOR  # staff still read whose post it was
    promise = FollowUps(store, log.accounts).pending(
        "facebook", AUTHOR, NOW + timedelta(hours=1), "k-next"
    )
    assert promise is not None and promise.conversation_id == "c2"
    with tracker.connect() as connection:
        data = connection.execute(sa.select(events.c.data).order_by(events.c.id)).scalars().first()
    assert json.loads(keys.decrypt(data))["text"] == WORDS


def test_the_upgrade_changes_nothing_the_second_time(tmp_path):
    keys, outbox_key = legacy_keys()
    store, tracker = previous_release(tmp_path, keys, outbox_key)
    upgrade(store, keys, tracker)
    before = raw_values(store) + raw_values(tracker)

    again = upgrade(store, keys, tracker)

    assert not again.anything
    assert raw_values(store) + raw_values(tracker) == before


def test_values_under_an_older_key_are_left_for_rotation(tmp_path):
    old, outbox_key = legacy_keys()
    store, tracker = previous_release(tmp_path, old, outbox_key)
    upgrade(store, old, tracker)
    with store.connect() as connection:
        sealed = connection.exec_driver_sql("SELECT summary FROM handoffs").scalar_one()
    newer = DataKeys([new_encryption_key(), *old.encryption_keys], new_lookup_key())

    upgrade(connect(f"sqlite:///{tmp_path / 'store.db'}", newer), newer)

    # A process started before the new key was added must still read it.
    with store.connect() as connection:
        assert connection.exec_driver_sql("SELECT summary FROM handoffs").scalar_one() == sealed


@pytest.fixture
def installation(tmp_path, monkeypatch):
    """An earlier release's store and tracker store, and the settings `make run` reads."""
    encryption, lookup, outbox_key = new_encryption_key(), new_lookup_key(), new_encryption_key()
    keys = DataKeys([encryption], lookup).with_older([outbox_key])
    store, tracker = previous_release(tmp_path, keys, outbox_key)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: bot.channels.tracker_store.EncryptedSQLTrackerStore\n"
        f"  dialect: sqlite\n  db: {tmp_path / 'tracker.db'}\n"
    )
    environment = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "ENCRYPTION_KEYS": encryption,
        "LOOKUP_KEY": lookup,
        "OUTBOX_KEY": outbox_key,
        "ENDPOINTS_FILE": str(endpoints),
        "ASSOCIATION_FILE": str(ROOT / "association.yml"),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return store, tracker


def sends_the_dead_letter(settings):
    """Whether staff, sending the earlier release's dead letter again, send its words."""
    box = Outbox(connect(settings.database_url, settings.data_keys()))
    assert box.send_again(7, NOW)
    return [m.text for m in box.messages(PENDING)] == [LETTER]


def test_make_run_protects_an_upgraded_store_before_the_servers_start(tmp_path, installation):
    store, tracker = installation
    run_command.upgrade_store(Settings.from_env())
    assert in_clear(tmp_path, store, tracker) == []
    assert sends_the_dead_letter(Settings.from_env())


def test_the_keys_command_upgrades_too(tmp_path, installation):
    store, tracker = installation
    assert keys_command.main(["upgrade"], out=io.StringIO(), env_file=tmp_path / ".env") == 0
    assert in_clear(tmp_path, store, tracker) == []
    assert sends_the_dead_letter(Settings.from_env())


def test_old_tracker_rows_lose_the_names_that_say_what_the_tenant_came_about(tmp_path):
    keys, outbox_key = legacy_keys()
    store, tracker = previous_release(tmp_path, keys, outbox_key)
    # A row an earlier key rotation encrypted, its names left as they were.
    later = {"event": "user", "timestamp": 3.0, "text": "again", "parse_data": {}}
    with tracker.begin() as connection:
        connection.execute(
            events.insert().values(
                sender_id="c3",
                type_name="user",
                timestamp=3.0,
                intent_name=INTENT,
                data=keys.encrypt(json.dumps(later)),
            )
        )
    assert INTENT.encode() in (tmp_path / "tracker.db").read_bytes()

    upgrade(store, keys, tracker)

    assert INTENT.encode() not in (tmp_path / "tracker.db").read_bytes()
    assert "antisocial" not in raw_values(tracker)
    conversation = TrackerEvents(tracker, keys).events("c3")
    assert [e.get("text") for e in conversation] == [WORDS, None, "again"]
    assert conversation[0]["parse_data"]["intent"]["name"] == INTENT


def test_a_sealed_answer_still_to_hide_keeps_its_mark_and_nothing_else_does(tmp_path):
    keys, outbox_key = legacy_keys()
    store, tracker = previous_release(tmp_path, keys, outbox_key)
    slots = [
        ("security_name", Sealer(Sealer.new_key()).seal(["security_name", "jane smith"])),
        ("security_locator", HIDDEN),
        ("identity_status", "unverified"),
    ]
    with tracker.begin() as connection:
        for position, (name, value) in enumerate(slots):
            event = {"event": "slot", "timestamp": 3.0 + position, "name": name, "value": value}
            connection.execute(
                events.insert().values(
                    sender_id="c5",
                    type_name="slot",
                    timestamp=3.0 + position,
                    action_name=name,  # Rasa's SQL store wrote every slot's name
                    data=json.dumps(event),
                )
            )

    upgrade(store, keys, tracker)

    with tracker.connect() as connection:
        marks = connection.execute(
            sa.select(events.c.action_name).where(events.c.sender_id == "c5")
        ).scalars()
        assert list(marks) == ["security_name", None, None]
    # The mark is what the check's end goes by to hide the answer.
    assert TrackerEvents(tracker, keys).hide_sealed_answers("c5") == 1


def test_a_start_on_a_protected_store_reads_none_of_its_encrypted_values(tmp_path):
    keys, outbox_key = legacy_keys()
    store, tracker = previous_release(tmp_path, keys, outbox_key)
    upgrade(store, keys, tracker)
    selects = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append((conn.engine, statement, parameters))

    for engine in (store, tracker):
        sa.event.listen(engine, "before_cursor_execute", record)
    upgrade(store, keys, tracker)
    for engine in (store, tracker):
        sa.event.remove(engine, "before_cursor_execute", record)

    # What each of those queries fetched (the second run changed nothing).
    assert selects
    fetched = []
    for engine, statement, parameters in selects:
        with engine.connect() as connection:
            for row in connection.exec_driver_sql(statement, parameters):
                fetched.extend(str(v) for v in row if v is not None)
    assert [v for v in fetched if v.startswith("fernet:")] == []


def test_a_tenancy_under_the_earlier_releases_id_moves_with_everything_kept_by_it(tmp_path):
    keys = DataKeys.ephemeral()
    store = connect(f"sqlite:///{tmp_path / 'store.db'}", keys)
    # The earlier release's ids: a plain hash of the reference, and of that for a person.
    old = str(uuid.uuid5(records.ID_NAMESPACE, "TEN-111111"))
    person = records.person_id(old, "tenant", 0)
    scheme = HashScheme.fresh(n=TEST_WORK_FACTOR).encode()
    statements = [
        "INSERT INTO tenancies (id, reference, address_line, address_key, town, postcode,"
        f" answers_scheme, rent_balance_pence, rent_as_of) VALUES ('{old}', 'TEN-111111',"
        f" '9 Oak Street', '9 oak street', 'York', 'YO1 7HH', '{scheme}', 4321, '2026-11-01')",
        "INSERT INTO tenancy_people (id, tenancy_id, role, relationship, authorised_for,"
        f" answers_digest) VALUES ('{person}', '{old}', 'tenant', NULL, '', 'AAAA')",
        "INSERT INTO rent_payments (tenancy_id, paid_on, amount_pence, method) VALUES"
        f" ('{old}', '2026-10-26', 9550, 'Standing Order')",
        "INSERT INTO repairs (tenancy_id, job_number, description, status, reported_on)"
        f" VALUES ('{old}', 'R-1', 'Dripping shower', 'Completed', '2026-10-02')",
        "INSERT INTO identity_attempts (at, platform, account, conversation_id, tenancy_id,"
        f" person_id, outcome) VALUES ('{WHEN}', 'facebook', 'facebook:u1', 'c1', '{old}',"
        f" '{person}', 'verified')",
        "INSERT INTO identity_subjects (subject, failures, counting_since, locked_until)"
        f" VALUES ('tenancy:{old}', 0, NULL, '2026-11-23 10:20:00')",
    ]
    with store.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)

    upgrade(store, keys)
    upgrade(store, keys)  # nothing more the second time

    dump = raw_values(store)
    for clear in (old, person, "Standing Order", "Dripping shower"):
        assert clear not in dump, clear
    with store.connect() as connection:
        figures = connection.exec_driver_sql(
            "SELECT rent_balance_pence FROM tenancies UNION ALL"
            " SELECT amount_pence FROM rent_payments"
        ).scalars()
        assert all(str(v).startswith("fernet:") for v in figures)
    repository = TenancyRepository(store)
    found = repository.find(locator("TEN-111111"))
    assert found.id == records.tenancy_id("TEN-111111", keys)
    assert found.rent_balance_pence == 4321
    assert repository.find(locator("9 Oak Street YO1 7HH")).id == found.id
    assert [(p.amount_pence, p.method) for p in repository.last_payments(found.id)] == [
        (9550, "Standing Order")
    ]
    assert [r.description for r in repository.repairs(found.id)] == ["Dripping shower"]
    [(tenant, _)] = repository.people(found.id)
    with store.connect() as connection:
        attempt = connection.execute(sa.select(identity_attempts)).one()
        assert locked_until(connection, f"tenancy:{found.id}", NOW) is not None
    assert (attempt.tenancy_id, attempt.person_id) == (found.id, tenant.id)
