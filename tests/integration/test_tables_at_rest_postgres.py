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
from bot.store import connect
from bot.tenancy.answers import locator
from tests.unit.test_tables_at_rest import (  # noqa: F401 (collected here on PostgreSQL)
    assert_none_in_clear,
    demo,
    test_follow_ups_are_found_by_keyed_author_ids,
    test_handoff_summaries_and_refusals_are_encrypted_and_staff_still_read_them,
    test_identity_checks_count_by_keyed_subjects,
    test_intake_keeps_the_message_encrypted_until_it_is_processed,
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
