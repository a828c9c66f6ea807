"""Staff accounts for the console: a name, a role, and a password kept only as a hash.

Passwords are hashed with scrypt (n=2**17, r=8, p=1: OWASP's minimum; a 16-byte random
salt), stored as `scrypt$n$r$p$salt$hash` (base64), and compared in constant time. A
hash is checked with the parameters stored with it, so hashes made at an earlier cost
keep working. A sign-in that fails
says the same whatever went wrong (no such name, wrong password, account locked or
disabled), so the answer never tells a stranger which names exist. Five failures in a
row lock the account for 15 minutes (P9: who sees private messages is controlled).

Roles follow the teams (association.yml `teams:`): a member of staff sees their team's
queue; admin sees every team and manages accounts. A trainer works for no team: they see
the trainer pages only (/trainers/: what the assistant missed, the NLU report), as admin
does too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import cached_property
from typing import Iterable, List

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.store import as_aware, staff_accounts, to_utc

# scrypt's cost, OWASP's minimum: 128 MiB and a fraction of a second a check.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
# The most memory a check may take: enough for n up to 2**18 at r=8, p=1.
SCRYPT_MAXMEM = 2**29
SALT_BYTES = 16
HASH_BYTES = 32
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
MAX_NAME_LENGTH = 64
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
# What a refused sign-in says, whatever the reason: it gives away no name.
REFUSED = (
    "That name and password did not work. After 5 failed attempts in a row an account"
    " is locked for 15 minutes."
)


class Role(str, Enum):
    """What a member of staff may see and do: their team's work, everything (admin), or
    the trainer pages only (trainer)."""

    COMMUNICATIONS = "communications"
    CUSTOMER_EXPERIENCE = "customer_experience"
    REPAIRS = "repairs"
    NEIGHBOURHOODS = "neighbourhoods"
    ADMIN = "admin"
    TRAINER = "trainer"

    @property
    def team(self) -> str | None:
        """The team this role works for, as association.yml names it; None for admin
        (every team) and for a trainer (no team)."""
        return _TEAMS[self]

    @property
    def label(self) -> str:
        """The role as people call it."""
        return self.team or self.value.capitalize()

    @classmethod
    def parse(cls, text: str) -> Role:
        """The role named by `text`: its value ("customer_experience") or its team name
        ("Customer Experience"), in any case.

        Raises:
            AccountError: no role is called that.
        """
        wanted = text.strip().lower().replace(" ", "_").replace("-", "_")
        for role in cls:
            if wanted == role.value:
                return role
        names = ", ".join(role.value for role in cls)
        raise AccountError(f"no role {text!r}; the roles are {names}")


_TEAMS = {
    Role.COMMUNICATIONS: "Communications",
    Role.CUSTOMER_EXPERIENCE: "Customer Experience",
    Role.REPAIRS: "Repairs",
    Role.NEIGHBOURHOODS: "Neighbourhoods",
    Role.ADMIN: None,
    Role.TRAINER: None,
}


def teams_without_roles(team_names: Iterable[str]) -> List[str]:
    """The configured teams (association.yml `teams:`) no role works for: their staff
    could never see their queue. The roles are fixed in this module, so a team renamed or
    added in association.yml needs a role here too."""
    covered = {role.team for role in Role if role.team is not None}
    return [name for name in team_names if name not in covered]


# Who answers for the association's accounts: reads the moderation log and undoes what
# moderation did, and sends again or dismisses the calls the platforms refused (admin too).
ACCOUNT_KEEPERS = (Role.COMMUNICATIONS, Role.CUSTOMER_EXPERIENCE)


@dataclass(frozen=True)
class StaffMember:
    """A signed-in member of staff."""

    name: str
    role: Role

    @property
    def team(self) -> str | None:
        """Their team's name; None for admin, who works across every team."""
        return self.role.team

    @property
    def is_trainer(self) -> bool:
        """Whether they see the trainer pages only (no team, no queue)."""
        return self.role is Role.TRAINER

    @property
    def is_admin(self) -> bool:
        """Whether they manage accounts and see every team."""
        return self.role is Role.ADMIN

    def has(self, *roles: Role) -> bool:
        """Whether their role is one of `roles` (admin has every role)."""
        return self.is_admin or self.role in roles

    def sees(self, team: str) -> bool:
        """Whether `team`'s queue and conversations are theirs to see."""
        return self.is_admin or self.team == team


@dataclass(frozen=True)
class Account:
    """A staff account as the accounts page lists it (never the hash)."""

    name: str
    role: Role
    created_at: datetime
    failed_logins: int
    locked_until: datetime | None
    disabled: bool

    def locked(self, now: datetime) -> bool:
        """Whether it is locked after failed sign-ins at `now`."""
        return self.locked_until is not None and self.locked_until > now


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why."""


class LoginRefused(Exception):
    """A sign-in failed. `str()` is what the person is told (the same for every
    reason); `why` is for the audit only: "unknown", "password", "locked", "disabled"."""

    def __init__(self, why: str) -> None:
        super().__init__(REFUSED)
        self.why = why


def hash_password(password: str, n: int = SCRYPT_N, salt: bytes | None = None) -> str:
    """`password` as stored: `scrypt$n$r$p$salt$hash`, base64, a fresh salt each time."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, n, SCRYPT_R, SCRYPT_P)
    return "$".join(["scrypt", str(n), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        found = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=SCRYPT_MAXMEM,
        dklen=HASH_BYTES,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def check_name(name: str) -> str:
    """`name` stripped, if it can name an account.

    Raises:
        AccountError: empty, too long, or with characters that do not belong in a name.
    """
    name = name.strip()
    if not name:
        raise AccountError("a name is needed")
    if len(name) > MAX_NAME_LENGTH:
        raise AccountError(f"a name is at most {MAX_NAME_LENGTH} characters")
    if not all(c.isalnum() or c in " .-_'@" for c in name):
        raise AccountError("a name holds letters, digits, spaces and . - _ ' @ only")
    return name


def check_password(password: str) -> str:
    """`password`, if it is long enough to keep.

    Raises:
        AccountError: shorter than 10 characters (or absurdly long).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password is at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"a password is at most {MAX_PASSWORD_LENGTH} characters")
    return password


class StaffAccounts:
    """Staff accounts in the project's store.

    Args:
        engine: the project's store.
        work_factor: scrypt's n for new hashes (tests use a small one; the product 2**17).
    """

    def __init__(self, engine: Engine, work_factor: int = SCRYPT_N) -> None:
        self._engine = engine
        self._n = work_factor

    @cached_property
    def _decoy(self) -> str:
        # Checked when the name is unknown, so that answer takes as long as a wrong
        # password. Made at the first sign-in, not when the app is built.
        return hash_password(secrets.token_urlsafe(16), n=self._n)

    def create(self, name: str, password: str, role: Role, now: datetime) -> StaffMember:
        """A new account.

        Raises:
            AccountError: the name is taken or unusable, or the password too short.
        """
        name = check_name(name)
        row = {
            "name": name,
            "role": Role(role).value,
            "password_hash": hash_password(check_password(password), n=self._n),
            "created_at": to_utc(now),
            "failed_logins": 0,
            "locked_until": None,
            "disabled": 0,
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(staff_accounts.insert().values(**row))
        except IntegrityError as error:
            raise AccountError(f"there is already an account called {name}") from error
        return StaffMember(name, Role(role))

    def authenticate(self, name: str, password: str, now: datetime) -> StaffMember:
        """The member of staff `name`, if `password` is theirs and the account is usable.

        A wrong password counts a failure; the fifth in a row locks the account for 15
        minutes, and while locked even the right password is refused. A success clears
        the count.

        Raises:
            LoginRefused: for any reason; its message is the same for all of them.
        """
        refused: LoginRefused | None = None
        with self._engine.begin() as connection:
            row = connection.execute(
                select(staff_accounts).where(staff_accounts.c.name == name.strip())
            ).first()
            if row is None:
                verify_password(password, self._decoy)
                raise LoginRefused("unknown")
            account = _account(row._mapping)
            matches = verify_password(password, row._mapping["password_hash"])
            where = staff_accounts.c.name == account.name
            if account.disabled:
                refused = LoginRefused("disabled")
            elif account.locked(now):
                refused = LoginRefused("locked")
            elif not matches:
                failures = account.failed_logins + 1
                values = {"failed_logins": failures}
                if failures >= MAX_FAILURES:
                    values = {"failed_logins": 0, "locked_until": to_utc(now + LOCK_FOR)}
                connection.execute(staff_accounts.update().where(where).values(**values))
                refused = LoginRefused("password")
            else:
                connection.execute(
                    staff_accounts.update().where(where).values(failed_logins=0, locked_until=None)
                )
        # Raised once the transaction is committed: the failure counted stays counted.
        if refused is not None:
            raise refused
        return StaffMember(account.name, account.role)

    def member(self, name: str) -> StaffMember | None:
        """The member of staff `name` as they are now, or None if the account is gone
        or disabled (their sessions then end)."""
        account = self.get(name)
        if account is None or account.disabled:
            return None
        return StaffMember(account.name, account.role)

    def get(self, name: str) -> Account | None:
        """The account called `name`, or None."""
        with self._engine.connect() as connection:
            row = connection.execute(
                select(staff_accounts).where(staff_accounts.c.name == name)
            ).first()
        return _account(row._mapping) if row is not None else None

    def all(self) -> List[Account]:
        """Every account, by name."""
        with self._engine.connect() as connection:
            rows = connection.execute(select(staff_accounts).order_by(staff_accounts.c.name))
            return [_account(row._mapping) for row in rows]

    def any(self) -> bool:
        """Whether there is at least one account."""
        with self._engine.connect() as connection:
            return connection.execute(select(staff_accounts.c.name).limit(1)).first() is not None

    def set_password(self, name: str, password: str) -> None:
        """Give `name` a new password; it also unlocks the account.

        Raises:
            AccountError: no such account, or the password is too short.
        """
        stored = hash_password(check_password(password), n=self._n)
        self._update(name, password_hash=stored, failed_logins=0, locked_until=None)

    def set_role(self, name: str, role: Role) -> None:
        """Give `name` another role.

        Raises:
            AccountError: no such account.
        """
        self._update(name, role=Role(role).value)

    def disable(self, name: str) -> None:
        """Stop `name` from signing in (their sessions end at their next request).

        Raises:
            AccountError: no such account.
        """
        self._update(name, disabled=1)

    def enable(self, name: str) -> None:
        """Let `name` sign in again.

        Raises:
            AccountError: no such account.
        """
        self._update(name, disabled=0, failed_logins=0, locked_until=None)

    def _update(self, name: str, **values: object) -> None:
        with self._engine.begin() as connection:
            done = connection.execute(
                staff_accounts.update().where(staff_accounts.c.name == name).values(**values)
            )
        if done.rowcount == 0:
            raise AccountError(f"there is no account called {name}")


def _account(row) -> Account:
    return Account(
        name=row["name"],
        role=Role(row["role"]),
        created_at=as_aware(row["created_at"]),
        failed_logins=row["failed_logins"],
        locked_until=as_aware(row["locked_until"]),
        disabled=bool(row["disabled"]),
    )
