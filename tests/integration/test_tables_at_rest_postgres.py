"""The project's own tables on PostgreSQL keep no personal detail in clear (P9), and a
store an older release made (narrow columns for what was kept in clear) takes the
ciphertext.

Run through `make postgres-test`, which starts a throwaway PostgreSQL on loopback. Each
test has a schema of its own, so that the other PostgreSQL tests' rows stay apart.
"""

import os

import pytest
from sqlalchemy import create_engine

from bot.keys import DataKeys
from bot.protection.upgrade import upgrade
from bot.store import connect
from bot.tenancy.answers import locator
from bot.tenancy.records import TenancyRepository, tenancy_id
from tests.unit.test_tables_at_rest import (  # noqa: F401 (collected here on PostgreSQL)
    assert_none_in_clear,
    demo,
    test_follow_ups_are_found_by_keyed_author_ids,
    test_handoff_summaries_and_refusals_are_encrypted_and_staff_still_read_them,
    test_identity_checks_count_by_keyed_subjects,
    test_intake_keeps_the_message_encrypted_until_it_is_processed,
    test_rent_repairs_and_relationships_are_encrypted_and_the_tenant_still_reads_them,
    test_repair_requests_are_encrypted_and_read_back,
    test_strikes_count_across_linked_accounts_by_keyed_ids,
    test_tenancy_contact_details_are_encrypted_and_the_tenancy_still_found,
    test_the_moderation_log_keeps_its_reasons_and_authors_unreadable,
    test_the_outbox_text_fallback_and_errors_are_encrypted_and_a_dead_letter_goes_again,
)

URL = os.environ.get("TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="needs TEST_POSTGRES_URL: run `make postgres-test`")
SCHEMA = "tables_at_rest"

# The tenancies table as the release before made it: the address in clear, in columns
# sized for it.
OLDER_TENANCIES = f"""
CREATE TABLE {SCHEMA}.tenancies (
    id VARCHAR(36) PRIMARY KEY,
    reference VARCHAR(16) NOT NULL UNIQUE,
    address_line VARCHAR(255) NOT NULL,
    address_key VARCHAR(255) NOT NULL,
    town VARCHAR(128) NOT NULL,
    postcode VARCHAR(16) NOT NULL,
    answers_scheme VARCHAR(128) NOT NULL,
    rent_balance_pence INTEGER NOT NULL,
    rent_as_of DATE NOT NULL
)
"""
OLDER_PAYMENTS = f"""
CREATE TABLE {SCHEMA}.rent_payments (
    id SERIAL PRIMARY KEY,
    tenancy_id VARCHAR(36) NOT NULL REFERENCES {SCHEMA}.tenancies (id),
    paid_on DATE NOT NULL,
    amount_pence INTEGER NOT NULL,
    method VARCHAR(64) NOT NULL
)
"""


def fresh_schema(*statements):
    admin = create_engine(URL, future=True)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        connection.exec_driver_sql(f"CREATE SCHEMA {SCHEMA}")
        for statement in statements:
            connection.exec_driver_sql(statement)
    admin.dispose()
    return f"{URL}?options=-csearch_path%3D{SCHEMA}"


@pytest.fixture
def keys():
    return DataKeys.ephemeral()


@pytest.fixture
def url():
    return fresh_schema()


@pytest.fixture
def engine(url, keys):
    engine = connect(url, keys)
    assert engine.dialect.name == "postgresql"
    return engine


def test_an_older_stores_narrow_columns_take_the_encrypted_address(keys):
    engine = connect(fresh_schema(OLDER_TENANCIES), keys)
    repository = demo(engine)
    assert_none_in_clear(engine, "14 Elm Road", "LS6 2AB", "Leeds")
    found = repository.find(locator("14 Elm Road LS6 2AB"))
    assert found is not None and found.postcode == "LS6 2AB"


def test_an_older_stores_tenancy_is_upgraded_in_place(keys):
    old = "5a5b1155-396a-5e6f-aa9d-eb2cca149f5c"
    url = fresh_schema(
        OLDER_TENANCIES,
        OLDER_PAYMENTS,
        f"INSERT INTO {SCHEMA}.tenancies VALUES ('{old}', 'TEN-111111', '9 Oak Street',"
        " '9 oak street', 'York', 'YO1 7HH', 'scrypt$2$8$1$c2FsdA==', 4321, '2026-11-01')",
        f"INSERT INTO {SCHEMA}.rent_payments (tenancy_id, paid_on, amount_pence, method)"
        f" VALUES ('{old}', '2026-10-26', 9550, 'Standing Order')",
    )
    engine = connect(url, keys)

    upgrade(engine, keys)

    assert_none_in_clear(engine, old, "9 Oak Street", "YO1 7HH", "Standing Order")
    with engine.connect() as connection:
        figures = connection.exec_driver_sql(
            "SELECT rent_balance_pence FROM tenancies UNION ALL"
            " SELECT amount_pence FROM rent_payments"
        ).scalars()
        assert all(v.startswith("fernet:") for v in figures)
    repository = TenancyRepository(engine)
    found = repository.find(locator("9 Oak Street YO1 7HH"))
    assert found.id == tenancy_id("TEN-111111", keys) and found.rent_balance_pence == 4321
    [payment] = repository.last_payments(found.id)
    assert (payment.amount_pence, payment.method) == (9550, "Standing Order")
