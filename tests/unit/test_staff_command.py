"""Staff accounts from the command line: `python -m scripts.staff`, and the first admin
account `make run` makes when there is none."""

import io
import stat
from datetime import datetime, timezone

import pytest

import scripts.staff as staff_cli
from bot.console.accounts import AccountError, LoginRefused, Role, StaffAccounts
from bot.console.audit import ConsoleAudit
from bot.keys import DataKeys, new_encryption_key, new_lookup_key
from bot.store import connect

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


@pytest.fixture()
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'assistant.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    # The command connects with the settings' keys (P9), as every process does.
    encryption_key, lookup_key = new_encryption_key(), new_lookup_key()
    monkeypatch.setenv("ENCRYPTION_KEYS", encryption_key)
    monkeypatch.setenv("LOOKUP_KEY", lookup_key)
    return connect(url, DataKeys([encryption_key], lookup_key))


def run(*argv, stdin="", answers=()):
    typed = iter(answers)
    return staff_cli.main(list(argv), stdin=io.StringIO(stdin), ask=lambda _prompt: next(typed))


def test_an_account_made_with_the_command_can_sign_in(store, capsys):
    assert run("add", "Priya", "--role", "communications", answers=["priya password 1"] * 2) == 0
    assert "Account Priya created (Communications)" in capsys.readouterr().out
    member = StaffAccounts(store).authenticate("Priya", "priya password 1", NOW)
    assert member.role is Role.COMMUNICATIONS and member.team == "Communications"


def test_a_trainer_account_is_made_with_the_command(store, capsys):
    code = run("add", "Tess", "--role", "trainer", "--password-stdin", stdin="tess pass 123\n")
    assert code == 0
    assert "Account Tess created (Trainer)" in capsys.readouterr().out
    member = StaffAccounts(store).authenticate("Tess", "tess pass 123", NOW)
    assert member.role is Role.TRAINER and member.team is None


def test_the_password_can_come_from_standard_input_for_scripts(store):
    code = run(
        "add", "Sam", "--role", "Customer Experience", "--password-stdin", stdin="sam pass 123\n"
    )
    assert code == 0
    assert StaffAccounts(store).authenticate("Sam", "sam pass 123", NOW).name == "Sam"


@pytest.mark.parametrize(
    "argv, answers, stdin, says",
    [
        (["add", "Eve", "--role", "boss"], [], "", "no role 'boss'"),
        (["add", "Eve", "--role", "admin"], ["first one 123", "second one 123"], "", "differ"),
        (["add", "Eve", "--role", "admin", "--password-stdin"], [], "short\n", "at least 10"),
        (["set-role", "Nobody", "admin"], [], "", "no account called Nobody"),
        (["disable", "Nobody"], [], "", "no account called Nobody"),
        (["set-password", "Nobody", "--password-stdin"], [], "x" * 12, "no account"),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(store, capsys, argv, answers, stdin, says):
    assert run(*argv, stdin=stdin, answers=answers) == 2
    assert says in capsys.readouterr().err
    assert StaffAccounts(store).all() == []


def test_list_set_role_disable_enable_and_set_password(store, capsys):
    run("add", "Tom", "--role", "repairs", "--password-stdin", stdin="tom password 1\n")
    assert run("set-role", "Tom", "neighbourhoods") == 0
    assert run("disable", "Tom") == 0
    capsys.readouterr()
    assert run("list") == 0
    assert "Tom" in (listed := capsys.readouterr().out) and "neighbourhoods" in listed
    assert "disabled" in listed
    accounts = StaffAccounts(store)
    with pytest.raises(LoginRefused):
        accounts.authenticate("Tom", "tom password 1", NOW)
    assert run("enable", "Tom") == 0
    assert run("set-password", "Tom", "--password-stdin", stdin="tom password 2\n") == 0
    assert accounts.authenticate("Tom", "tom password 2", NOW).role is Role.NEIGHBOURHOODS
    actions = [entry.action for entry in ConsoleAudit(store).entries()]
    assert "account_created" in actions and "account_password_reset" in actions
    assert all(entry.staff.startswith("command line") for entry in ConsoleAudit(store).entries())


def test_make_run_makes_a_first_admin_once_with_a_private_password_file(store, tmp_path):
    accounts = StaffAccounts(store)
    password_file = tmp_path / "var" / "console-admin-password"
    assert staff_cli.first_admin(accounts, password_file, NOW) == str(password_file)
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    password = [
        line for line in password_file.read_text().splitlines() if not line.startswith("#")
    ][0]
    assert len(password) >= 20
    assert accounts.authenticate("admin", password, NOW).is_admin
    # Next time there is an account: nothing is made, the file is left as it is.
    assert staff_cli.first_admin(accounts, password_file, NOW) is None
    assert password in password_file.read_text()
    assert [account.name for account in accounts.all()] == ["admin"]


def test_the_first_admins_password_file_is_never_overwritten(store, tmp_path):
    accounts = StaffAccounts(store, work_factor=2**4)
    password_file = tmp_path / "console-admin-password"
    password_file.write_text("someone else's file\n")
    with pytest.raises(AccountError, match="already there"):
        staff_cli.first_admin(accounts, password_file, NOW)
    assert password_file.read_text() == "someone else's file\n"
    assert accounts.all() == []  # no account whose password nobody was told


def test_the_first_admins_password_file_never_follows_a_link(store, tmp_path):
    accounts = StaffAccounts(store, work_factor=2**4)
    target = tmp_path / "elsewhere"
    target.write_text("kept\n")
    password_file = tmp_path / "console-admin-password"
    password_file.symlink_to(target)
    with pytest.raises(AccountError):
        staff_cli.first_admin(accounts, password_file, NOW)
    assert target.read_text() == "kept\n"
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "not-yet")
    with pytest.raises(AccountError):
        staff_cli.first_admin(accounts, dangling, NOW)
    assert not (tmp_path / "not-yet").exists()
    assert accounts.all() == []


def test_the_password_file_is_written_only_once_the_account_exists(store, tmp_path):
    accounts = StaffAccounts(store, work_factor=2**4)
    password_file = tmp_path / "console-admin-password"
    seen = []

    class Watching(StaffAccounts):
        def create(self, *args, **kwargs):
            seen.append(password_file.read_text() if password_file.exists() else None)
            return super().create(*args, **kwargs)

    watching = Watching(store, work_factor=2**4)
    assert staff_cli.first_admin(watching, password_file, NOW) == str(password_file)
    assert seen in ([None], [""])  # no password written before the account was made
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert [a.name for a in accounts.all()] == ["admin"]
