"""The project's own tables keep no personal detail in clear (P9).

Each table is written through the product's own classes, with the details a tenant
sends (a phone number, an address, a date of birth), then the raw database is read
as an attacker with a copy of the file would read it: none of them is there. The
product still reads every one back: staff see the summary, a dead letter is sent
again, a tenancy is found by its postcode and address, strikes and identity checks
still count.
"""

import hashlib
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect

from bot.events import InboundEvent, Operation
from bot.handoff.audit import HandoffAudit
from bot.handoff.handoffs import Conversation, HandoffRepository, Reason, Summary, plan
from bot.intake import IntakeStore
from bot.keys import DataKeys
from bot.moderation.log import Action, ModerationLog, Subject
from bot.moderation.strikes import Sanction
from bot.outbox import DEAD, PENDING, Call, Outbox
from bot.repairs.requests import RepairRequests, new_request
from bot.repairs.triage import Photos
from bot.screening.follow_ups import Awaits, FollowUps
from bot.store import connect
from bot.tenancy.answers import locator
from bot.tenancy.identity import Account, Answers, IdentityChecks, Outcome
from bot.tenancy.identity_locks import locator_subject
from bot.tenancy.records import TenancyRepository, load_tenancies
from bot.tenancy.security_question import HashScheme
from tests.helpers import CALENDAR, DEMO_TENANCIES, TEST_WORK_FACTOR

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
PHONE = "07700 900123"
ADDRESS = "14 Elm Road"
POSTCODE = "LS6 2AB"
BIRTHDAY = "12/04/1958"
PERSONAL = (PHONE, ADDRESS, POSTCODE, BIRTHDAY)
WORDS = f"Call me on {PHONE}, I live at {ADDRESS} {POSTCODE}, born {BIRTHDAY}"


@pytest.fixture
def keys():
    return DataKeys.ephemeral()


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def engine(url, keys):
    return connect(url, keys)


def raw_dump(engine) -> str:
    """Every value of every table, as the database file holds it."""
    values = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.exec_driver_sql(f'SELECT * FROM "{table}"'):
                values.extend(str(v) for v in row if v is not None)
    return "\n".join(values)


def assert_none_in_clear(engine, *details):
    dump = raw_dump(engine)
    found = [d for d in details if d.lower() in dump.lower()]
    assert found == [], f"in clear in the store: {found}"


def message(event_id, text_, author="u1", platform="facebook", surface="private"):
    return InboundEvent(platform, "message", event_id, surface, author, text_, NOW)


def test_handoff_summaries_and_refusals_are_encrypted_and_staff_still_read_them(engine):
    repository = HandoffRepository(engine)
    summary = Summary("repair", "report_repair", WORDS, {"where in the home": ADDRESS})
    conversation = Conversation("facebook:private:u1", "facebook", "private", "u1")
    handoff = repository.add(
        plan(Reason.REQUEST_HUMAN, conversation, NOW, CALENDAR, "Repairs", summary)
    )
    repository.reply_refused(handoff.id, "sam", NOW, f"could not reach {PHONE}")

    assert_none_in_clear(engine, *PERSONAL)
    read = repository.get(handoff.id)
    assert read.summary == summary
    assert read.reply_failed == f"could not reach {PHONE}"
    (refused,) = [
        e for e in HandoffAudit(engine).entries(handoff.id) if e.action == "reply_refused"
    ]
    assert refused.details == {"error": f"could not reach {PHONE}"}


def test_repair_requests_are_encrypted_and_read_back(engine):
    requests = RepairRequests(engine)
    request = new_request(
        "c1", None, f"leak, ring {PHONE}", f"kitchen at {ADDRESS}", BIRTHDAY, True, Photos(), NOW
    )
    requests.add(request)

    assert_none_in_clear(engine, *PERSONAL)
    (read,) = requests.for_conversation("c1")
    assert (read.what, read.where, read.since) == (request.what, request.where, request.since)


def test_the_outbox_text_fallback_and_errors_are_encrypted_and_a_dead_letter_goes_again(
    engine,
):
    box = Outbox(engine)
    fallback = (Call(Operation.X_FOLLOW, "x1"), Call(Operation.PUBLIC_REPLY, "t1", WORDS))
    message_id = box.enqueue(
        "c1", "twitter", Operation.X_DM, "x1", NOW, text=WORDS, fallback=fallback
    )
    assert_none_in_clear(engine, *PERSONAL)
    assert box.messages(PENDING)[0].text == WORDS

    box.dead(message_id, f"refused: {PHONE}")
    assert_none_in_clear(engine, *PERSONAL)
    assert box.messages(DEAD)[0].last_error == f"refused: {PHONE}"

    assert box.send_again(message_id, NOW)
    (again,) = box.messages(PENDING)
    assert again.text == WORDS and again.fallback == fallback
    assert_none_in_clear(engine, *PERSONAL)


def test_a_dead_letter_sealed_under_the_retired_outbox_key_is_sent_again(url):
    outbox_key = Fernet.generate_key().decode()
    keys = DataKeys.ephemeral().with_older([outbox_key])
    engine = connect(url, keys)
    box = Outbox(engine)
    message_id = box.enqueue("c1", "facebook", Operation.MESSENGER_SEND, "u1", NOW, text=WORDS)
    # As the release before wrote a dead letter: its text and fallback sealed under
    # OUTBOX_KEY, as a bare Fernet token.
    sealed = Fernet(outbox_key).encrypt(json.dumps({"text": WORDS, "fallback": None}).encode())
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE outbox SET state = 'dead', text = ?, fallback = NULL WHERE id = ?",
            (sealed.decode(), message_id),
        )

    assert box.send_again(message_id, NOW)
    assert box.messages(PENDING)[0].text == WORDS
    assert_none_in_clear(engine, *PERSONAL)


def test_intake_keeps_the_message_encrypted_until_it_is_processed(engine):
    intake = IntakeStore(engine)
    intake.accept([message("m1", WORDS)], NOW)
    assert_none_in_clear(engine, *PERSONAL)

    (claimed,) = intake.claim(NOW)
    assert claimed.event.text == WORDS
    intake.failed(claimed, NOW, f"boom near {PHONE}")
    assert_none_in_clear(engine, *PERSONAL)
    (again,) = intake.claim(NOW + timedelta(hours=1))
    assert again.event.text == WORDS


def test_the_moderation_log_keeps_its_reasons_and_authors_unreadable(engine):
    log = ModerationLog(engine, Outbox(engine))
    author = "1234567890123"
    subject = Subject("facebook", author, "facebook:public:1234567890123", "comment-9")
    reason = f"abuse of staff, see {PHONE}"
    log.record(NOW, subject, Action.HIDE, reason)
    log.judge(NOW, subject, lambda history: Sanction(strike=True, reason="abuse"), "abusive", "k1")

    dump = raw_dump(engine)
    assert PHONE not in dump
    # The author's id is kept only where blocking or undoing needs it, and encrypted
    # there: no column counts or locks by it in clear.
    assert_none_in_clear(engine, f"facebook:{author}")
    with engine.connect() as connection:
        authors = [
            r[0] for r in connection.exec_driver_sql("SELECT author_id FROM moderation_actions")
        ]
    assert author not in authors
    assert [e.reason for e in log.entries(action=Action.HIDE)] == [reason]
    assert {e.author_id for e in log.entries(author_id=author)} == {author}
    assert len(log.strikes("facebook", author)) == 1


def test_strikes_count_across_linked_accounts_by_keyed_ids(engine):
    log = ModerationLog(engine, Outbox(engine))
    log.link("facebook", "commenter-1", "psid-1")
    log.judge(
        NOW,
        Subject("facebook", "commenter-1", "c", "comment-1"),
        lambda h: Sanction(strike=True, reason="abuse"),
        "abusive",
        "k1",
    )
    decided = []
    log.judge(
        NOW,
        Subject("facebook", "psid-1", "c2", None),
        lambda h: decided.append(h) or Sanction(strike=True, reason="abuse"),
        "abusive",
        "k2",
    )
    assert len(decided[0].strikes) == 1
    with engine.connect() as connection:
        people = [r[0] for r in connection.exec_driver_sql("SELECT person FROM strike_locks")]
    assert people and not any("commenter-1" in p or "psid-1" in p for p in people)


def test_follow_ups_are_found_by_keyed_author_ids(engine):
    log = ModerationLog(engine, Outbox(engine))
    log.link("facebook", "commenter-1", "psid-1")
    follow_ups = FollowUps(engine, log.accounts)
    follow_ups.promise("facebook", "commenter-1", "c1", Awaits.STAFF_NAMED, NOW, "k1")
    with engine.connect() as connection:
        authors = [r[0] for r in connection.exec_driver_sql("SELECT author_id FROM follow_ups")]
    assert "commenter-1" not in authors

    pending = follow_ups.pending("facebook", "psid-1", NOW, "k2")
    assert pending is not None and pending.awaits is Awaits.STAFF_NAMED
    follow_ups.passed_on(pending, "h1", NOW, "k2")
    assert follow_ups.pending("facebook", "psid-1", NOW, "k3") is None


def demo(engine):
    repository = TenancyRepository(engine)
    load_tenancies(DEMO_TENANCIES, repository, work_factor=TEST_WORK_FACTOR)
    return repository


def test_tenancy_contact_details_are_encrypted_and_the_tenancy_still_found(engine):
    repository = demo(engine)
    assert_none_in_clear(engine, "14 Elm Road", "LS6 2AB", "Leeds", "Ashdown Court", "M14 5RT")
    found = repository.find(locator("14 Elm Road LS6 2AB"))
    assert found is not None and found.reference == "TEN-204817"
    assert (found.address_line, found.town, found.postcode) == ("14 Elm Road", "Leeds", "LS6 2AB")
    assert repository.find(locator("TEN-318552")).postcode == "M14 5RT"
    assert repository.find(locator("15 Elm Road LS6 2AB")) is None


def test_identity_checks_count_by_keyed_subjects(engine):
    repository = demo(engine)
    checks = IdentityChecks(engine, repository, HashScheme.fresh(n=TEST_WORK_FACTOR))
    account = Account("facebook", "alice-42")
    wrong = Answers(locator("14 Elm Road LS6 2AB"), "margaret thomson", date(1958, 4, 12))
    outcomes = [checks.attempt(account, "c1", wrong, NOW).outcome for _ in range(3)]
    assert outcomes == [Outcome.FAILED, Outcome.FAILED, Outcome.LOCKED]

    dump = raw_dump(engine)
    # The old subjects: an unsalted SHA-256 of the locator, reversed by trying every
    # reference or address; and the account in clear.
    canonical = "address:LS6 2AB|14"
    assert hashlib.sha256(canonical.encode()).hexdigest() not in dump
    assert "alice-42" not in dump
    assert locator_subject(wrong.locator) not in dump
    assert checks.account_locked_until(account, NOW) is not None


def test_an_upgraded_store_reads_the_rows_written_before_encryption(url, keys):
    engine = connect(url, keys)
    # Rows as the release before wrote them: plain text, no keyed column.
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO repair_requests (id, conversation_id, what, where_in_home, since, "
            "vulnerable, photo_count, photo_kinds, created_at) "
            "VALUES ('r1', 'c1', 'tap', 'kitchen', 'monday', 0, 0, '', '2026-11-23 10:00:00')"
        )
        connection.exec_driver_sql(
            "INSERT INTO tenancies (id, reference, address_line, address_key, town, "
            "postcode, answers_scheme, rent_balance_pence, rent_as_of) VALUES "
            "('t1', 'TEN-111111', '9 Oak Street', '9 oak street', 'York', 'YO1 7HH', "
            f"'{HashScheme.fresh(n=TEST_WORK_FACTOR).encode()}', 0, '2026-11-01')"
        )
    engine = connect(url, keys)
    assert RepairRequests(engine).for_conversation("c1")[0].what == "tap"
    found = TenancyRepository(engine).find(locator("9 Oak Street YO1 7HH"))
    assert found is not None and found.id == "t1"


def raw_column(engine, table, column):
    with engine.connect() as connection:
        return [r[0] for r in connection.exec_driver_sql(f'SELECT "{column}" FROM "{table}"')]


TENANCY_FIELDS = [
    ("tenancies", "rent_balance_pence"),
    ("tenancy_people", "relationship"),
    ("rent_payments", "amount_pence"),
    ("rent_payments", "method"),
    ("repairs", "description"),
    ("repairs", "job_number"),
]


def test_rent_repairs_and_relationships_are_encrypted_and_the_tenant_still_reads_them(engine):
    repository = demo(engine)
    assert_none_in_clear(
        engine, "Leaking kitchen tap", "Broken fence panel", "Direct Debit", "Universal Credit"
    )
    for table, column in TENANCY_FIELDS:
        stored = [v for v in raw_column(engine, table, column) if v is not None]
        assert stored and all(str(v).startswith("fernet:") for v in stored), (table, column)

    found = repository.find(locator("TEN-204817"))
    assert found.rent_balance_pence == 12345
    (latest,) = repository.last_payments(found.id)
    assert (latest.amount_pence, latest.method) == (9550, "Direct Debit")
    assert [r.description for r in repository.repairs(found.id)][0] == "Leaking kitchen tap"
    assert [r.job_number for r in repository.repairs(found.id)][0] == "R-30117"
    assert {p.describe() for p, _ in repository.people(found.id)} == {
        "tenant",
        "authorised contact (son)",
    }
    assert repository.find(locator("TEN-318552")).rent_balance_pence == -2000


def test_a_tenancy_id_is_not_a_plain_hash_of_its_reference_and_stays_across_reloads(url, keys):
    import uuid

    from bot.tenancy import records

    repository = demo(connect(url, keys))
    first = repository.find(locator("TEN-204817")).id
    # A plain hash of a reference is reversed by trying its million values.
    assert first != str(uuid.uuid5(records.ID_NAMESPACE, "TEN-204817"))
    assert repository.find(locator("TEN-204817")).id == first
    assert demo(connect(url, keys)).find(locator("TEN-204817")).id == first
    other = f"sqlite:///{url.removeprefix('sqlite:///')}.other"
    assert demo(connect(other, DataKeys.ephemeral())).find(locator("TEN-204817")).id != first
