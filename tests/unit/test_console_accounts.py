"""Staff accounts (bot/console/accounts.py): scrypt hashes, roles and teams, the lock."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.console.accounts import (
    AccountError,
    LoginRefused,
    Role,
    StaffAccounts,
    StaffMember,
    hash_password,
    teams_without_roles,
    verify_password,
)
from bot.store import connect, staff_accounts
from tests.helpers import TEAMS

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


@pytest.fixture()
def accounts():
    return StaffAccounts(connect("sqlite://"), work_factor=2**4)


def test_a_password_is_kept_as_a_salted_scrypt_hash():
    stored = hash_password("a long password")
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**17), "8", "1")  # OWASP's minimum
    assert "a long password" not in stored
    assert hash_password("a long password") != stored  # a fresh salt each time
    assert verify_password("a long password", stored)
    assert not verify_password("a long passworD", stored)
    assert not verify_password("a long password", "plain$text")


def test_accounts_hash_at_owasps_cost_by_default_and_old_hashes_still_sign_in():
    engine = connect("sqlite://")
    accounts = StaffAccounts(engine)
    accounts.create("Ann", "a long password", Role.ADMIN, NOW)
    with engine.connect() as connection:
        stored = connection.execute(select(staff_accounts.c.password_hash)).scalar_one()
    assert stored.split("$")[1:4] == [str(2**17), "8", "1"]
    assert accounts.authenticate("Ann", "a long password", NOW).name == "Ann"
    # A hash made at the earlier cost (n=2**14) keeps verifying with its own parameters.
    with engine.begin() as connection:
        connection.execute(
            staff_accounts.update().values(password_hash=hash_password("old password 1", n=2**14))
        )
    assert accounts.authenticate("Ann", "old password 1", NOW).name == "Ann"


def test_each_role_sees_its_own_team_and_admin_sees_every_team():
    team_roles = [role for role in Role if role not in (Role.ADMIN, Role.TRAINER)]
    assert {role.team for role in team_roles} == set(TEAMS.names)
    repairs = StaffMember("Tom", Role.REPAIRS)
    assert repairs.sees("Repairs") and not repairs.sees("Communications")
    assert not repairs.is_admin
    admin = StaffMember("Ann", Role.ADMIN)
    assert admin.team is None and admin.is_admin
    assert all(admin.sees(team) for team in TEAMS.names)


def test_a_trainer_works_for_no_team_and_every_team_still_has_a_role():
    trainer = StaffMember("Tess", Role.TRAINER)
    assert trainer.team is None and trainer.is_trainer and not trainer.is_admin
    assert not any(trainer.sees(team) for team in TEAMS.names)
    assert Role.TRAINER.label == "Trainer" and Role.ADMIN.label == "Admin"
    assert teams_without_roles(TEAMS.names) == []
    assert teams_without_roles([*TEAMS.names, "Trainer", "None"]) == ["Trainer", "None"]


@pytest.mark.parametrize(
    "text", ["customer_experience", "Customer Experience", "CUSTOMER-EXPERIENCE"]
)
def test_a_role_is_named_by_its_value_or_its_team(text):
    assert Role.parse(text) is Role.CUSTOMER_EXPERIENCE


def test_names_are_unique_and_passwords_long_enough(accounts):
    accounts.create("Priya", "priya password", Role.COMMUNICATIONS, NOW)
    with pytest.raises(AccountError, match="already"):
        accounts.create("Priya", "another password", Role.ADMIN, NOW)
    with pytest.raises(AccountError, match="at least 10"):
        accounts.create("Tom", "short", Role.REPAIRS, NOW)
    with pytest.raises(AccountError):
        accounts.create("<script>", "long enough password", Role.REPAIRS, NOW)


def test_five_failures_in_a_row_lock_for_fifteen_minutes_and_success_resets(accounts):
    accounts.create("Priya", "priya password", Role.COMMUNICATIONS, NOW)
    for _ in range(4):
        with pytest.raises(LoginRefused):
            accounts.authenticate("Priya", "wrong", NOW)
    accounts.authenticate("Priya", "priya password", NOW)  # the count starts again
    for _ in range(5):
        with pytest.raises(LoginRefused):
            accounts.authenticate("Priya", "wrong", NOW)
    with pytest.raises(LoginRefused) as locked:
        accounts.authenticate("Priya", "priya password", NOW + timedelta(minutes=14, seconds=59))
    assert locked.value.why == "locked"
    assert (
        accounts.authenticate("Priya", "priya password", NOW + timedelta(minutes=15)).name
        == "Priya"
    )


def test_a_reset_password_unlocks_and_a_disabled_account_is_refused(accounts):
    accounts.create("Priya", "priya password", Role.COMMUNICATIONS, NOW)
    for _ in range(5):
        with pytest.raises(LoginRefused):
            accounts.authenticate("Priya", "wrong", NOW)
    accounts.set_password("Priya", "new password 1")
    assert accounts.authenticate("Priya", "new password 1", NOW).name == "Priya"
    accounts.disable("Priya")
    with pytest.raises(LoginRefused) as refused:
        accounts.authenticate("Priya", "new password 1", NOW)
    assert refused.value.why == "disabled"
    assert accounts.member("Priya") is None


def test_every_refusal_says_the_same(accounts):
    accounts.create("Priya", "priya password", Role.COMMUNICATIONS, NOW)
    said = set()
    for name, password in [("Nobody", "priya password"), ("Priya", "wrong")]:
        with pytest.raises(LoginRefused) as refused:
            accounts.authenticate(name, password, NOW)
        said.add(str(refused.value))
    assert len(said) == 1
