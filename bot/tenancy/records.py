"""Tenancy records: who may discuss a tenancy, its rent account and its repairs (P4).

Records come from a YAML file (the fictional demo tenancies in `demo/tenancies.yml`,
or an export from the housing management system). Loading hashes every person's
security answers; names and dates of birth are not stored in clear. The address is
stored encrypted (P9), and a tenancy named by its address is found by its keyed postcode.
So are the rent figures (as text: this module turns them back into numbers), the
repairs and a contact's relationship; a tenancy's id is derived from a keyed HMAC of
its reference, since a plain hash of a million-valued reference is reversed by trying
every one.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Iterable, List, Tuple
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import Engine

from bot.keys import DataKeys
from bot.store import (
    as_aware,
    keys_of,
    rent_payments,
    repairs,
    tenancies,
    tenancy_people,
    to_utc,
)
from bot.tenancy import answers as identity_answers
from bot.tenancy.answers import Locator
from bot.tenancy.security_question import HashScheme

# Stable ids: reloading a file keeps each tenancy's id, and so its locks and audit
# (a tenancy's from its keyed reference, `tenancy_id`; a person's from that and its place).
ID_NAMESPACE = uuid.UUID("3b0f6a52-8a5e-4d0c-9a53-2f6d1c1f7e10")
UK = ZoneInfo("Europe/London")


class Role(str, Enum):
    """How a person is connected to a tenancy."""

    TENANT = "tenant"
    AUTHORISED_CONTACT = "authorised_contact"


class Matter(str, Enum):
    """The tenancy matters the assistant discusses."""

    RENT = "rent"
    REPAIRS = "repairs"


@dataclass(frozen=True)
class Person:
    """Someone who may discuss a tenancy: a listed tenant, or a contact the tenant
    authorised for some matters."""

    id: str
    tenancy_id: str
    role: Role
    relationship: str | None
    authorised_for: frozenset[Matter]

    def may_discuss(self, matter: Matter) -> bool:
        """Listed tenants discuss everything; contacts what the tenant authorised."""
        return self.role is Role.TENANT or matter in self.authorised_for

    def describe(self) -> str:
        """Who this is, without naming them: "tenant" or "authorised contact (son)"."""
        if self.role is Role.TENANT:
            return "tenant"
        return f"authorised contact ({self.relationship})" if self.relationship else "contact"


@dataclass(frozen=True)
class Tenancy:
    """A tenancy and its rent account balance (pence owed; negative is in credit)."""

    id: str
    reference: str
    address_line: str
    town: str
    postcode: str
    answers_scheme: HashScheme
    rent_balance_pence: int
    rent_as_of: date


@dataclass(frozen=True)
class Payment:
    """A payment into the rent account."""

    paid_on: date
    amount_pence: int
    method: str


@dataclass(frozen=True)
class Repair:
    """A repair job on the tenancy; appointment times in UTC."""

    job_number: str
    description: str
    status: str
    reported_on: date
    appointment_start: datetime | None
    appointment_end: datetime | None


class TenancyRepository:
    """Tenancy records in the project's store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def find(self, locator: Locator) -> Tenancy | None:
        """The one tenancy `locator` names, or None.

        A postcode and first line that fit more than one tenancy name none.
        """
        if locator.reference:
            query = select(tenancies).where(tenancies.c.reference == locator.reference)
        elif locator.postcode and locator.address:
            # A row stored before the postcode was keyed has none: its postcode is
            # compared here, decrypted, until the records are loaded again.
            query = select(tenancies).where(
                or_(
                    tenancies.c.postcode_key == locator.postcode,
                    tenancies.c.postcode_key.is_(None),
                )
            )
        else:
            return None
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        if not locator.reference:
            rows = [
                row
                for row in rows
                if row.postcode == locator.postcode
                and identity_answers.same_address_line(row.address_key, locator.address)
            ]
        return _tenancy(rows[0]) if len(rows) == 1 else None

    def get(self, tenancy_id: str) -> Tenancy | None:
        """The tenancy with this id, or None."""
        with self._engine.connect() as connection:
            row = connection.execute(select(tenancies).where(tenancies.c.id == tenancy_id)).first()
        return _tenancy(row) if row else None

    def people(self, tenancy_id: str) -> List[Tuple[Person, bytes]]:
        """Everyone who may discuss the tenancy, each with their answers' digest."""
        query = (
            select(tenancy_people)
            .where(tenancy_people.c.tenancy_id == tenancy_id)
            .order_by(tenancy_people.c.id)
        )
        with self._engine.connect() as connection:
            return [
                (_person(row), base64.b64decode(row.answers_digest))
                for row in connection.execute(query)
            ]

    def person(self, person_id: str) -> Person | None:
        """The person with this id, or None."""
        query = select(tenancy_people).where(tenancy_people.c.id == person_id)
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        return _person(row) if row else None

    def last_payments(self, tenancy_id: str, limit: int = 1) -> List[Payment]:
        """The latest payments into the rent account, newest first."""
        query = (
            select(rent_payments)
            .where(rent_payments.c.tenancy_id == tenancy_id)
            .order_by(rent_payments.c.paid_on.desc(), rent_payments.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as connection:
            return [
                Payment(paid_on=row.paid_on, amount_pence=int(row.amount_pence), method=row.method)
                for row in connection.execute(query)
            ]

    def repairs(self, tenancy_id: str) -> List[Repair]:
        """The tenancy's repair jobs, most recently reported first."""
        query = (
            select(repairs)
            .where(repairs.c.tenancy_id == tenancy_id)
            .order_by(repairs.c.reported_on.desc(), repairs.c.id.desc())
        )
        with self._engine.connect() as connection:
            return [
                Repair(
                    job_number=row.job_number,
                    description=row.description,
                    status=row.status,
                    reported_on=row.reported_on,
                    appointment_start=as_aware(row.appointment_start),
                    appointment_end=as_aware(row.appointment_end),
                )
                for row in connection.execute(query)
            ]

    def count(self) -> int:
        """How many tenancies the store holds."""
        with self._engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(tenancies)).scalar_one()

    def replace(self, record: dict[str, Any], work_factor: int = 2**15) -> str:
        """Store one tenancy from its file record, replacing any with its reference.

        Returns the tenancy reference. Raises ValueError for a record that is not
        complete or whose answers cannot be read.
        """
        rows = _rows(record, work_factor, keys_of(self._engine.dialect))
        tenancy_id = rows["tenancy"]["id"]
        reference = rows["tenancy"]["reference"]
        with self._engine.begin() as connection:
            # A row an earlier release stored under another id goes too.
            held = select(tenancies.c.id).where(tenancies.c.reference == reference)
            ids = {tenancy_id, *connection.execute(held).scalars()}
            for table in (tenancy_people, rent_payments, repairs):
                connection.execute(delete(table).where(table.c.tenancy_id.in_(ids)))
            connection.execute(delete(tenancies).where(tenancies.c.id.in_(ids)))
            connection.execute(tenancies.insert().values(**rows["tenancy"]))
            for table, key in (
                (tenancy_people, "people"),
                (rent_payments, "payments"),
                (repairs, "repairs"),
            ):
                if rows[key]:
                    connection.execute(table.insert(), rows[key])
        return rows["tenancy"]["reference"]


def load_tenancies(
    path: Path, repository: TenancyRepository, work_factor: int = 2**15
) -> List[str]:
    """Load every tenancy in the YAML file at `path`; returns their references."""
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return [repository.replace(record, work_factor) for record in document.get("tenancies", [])]


def tenancy_id(reference: str, keys: DataKeys) -> str:
    """The id of the tenancy `reference` (canonical, "TEN-204817") under `keys`: the
    same at every load, and not found from the reference without LOOKUP_KEY."""
    digest = keys.lookup(reference, "tenancy").split(":", 1)[1]
    return str(uuid.UUID(digest[:32]))


def person_id(tenancy: str, role: str, position: int) -> str:
    """The id of the person at `position` among the tenancy's people of `role`."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{tenancy}/{role}/{position}"))


def _rows(record: dict[str, Any], work_factor: int, keys: DataKeys) -> dict[str, Any]:
    """The store's rows for one file record, security answers hashed."""
    reference = identity_answers.tenancy_reference(str(record["reference"]))
    address = record["address"]
    postcode = identity_answers.postcode(str(address["postcode"]))
    if not reference or not postcode:
        raise ValueError(f"tenancy {record.get('reference')!r}: bad reference or postcode")
    tenancy = tenancy_id(reference, keys)
    scheme = HashScheme.fresh(n=work_factor)
    rent = record["rent"]
    people = [
        _person_row(tenancy, scheme, Role.TENANT, position, person)
        for position, person in enumerate(record.get("tenants") or [])
    ] + [
        _person_row(tenancy, scheme, Role.AUTHORISED_CONTACT, position, person)
        for position, person in enumerate(record.get("authorised_contacts") or [])
    ]
    if not any(row["role"] == Role.TENANT.value for row in people):
        raise ValueError(f"tenancy {reference}: no listed tenant")
    return {
        "tenancy": {
            "id": tenancy,
            "reference": reference,
            "address_line": address["line"],
            "address_key": identity_answers.address_line(address["line"]),
            "town": address.get("town", ""),
            "postcode": postcode,
            "postcode_key": postcode,
            "answers_scheme": scheme.encode(),
            "rent_balance_pence": str(_pence(rent["balance"])),
            "rent_as_of": _date(rent["as_of"]),
        },
        "people": people,
        "payments": [
            {
                "tenancy_id": tenancy,
                "paid_on": _date(payment["date"]),
                "amount_pence": str(_pence(payment["amount"])),
                "method": payment.get("method", ""),
            }
            for payment in rent.get("payments") or []
        ],
        "repairs": [
            {
                "tenancy_id": tenancy,
                "job_number": str(job["job"]),
                "description": job["description"],
                "status": job["status"],
                "reported_on": _date(job["reported"]),
                "appointment_start": _uk_time((job.get("appointment") or {}).get("start")),
                "appointment_end": _uk_time((job.get("appointment") or {}).get("end")),
            }
            for job in record.get("repairs") or []
        ],
    }


def _person_row(
    tenancy_id: str, scheme: HashScheme, role: Role, position: int, person: dict[str, Any]
) -> dict[str, Any]:
    name = identity_answers.full_name(str(person["name"]))
    born = _date(person["date_of_birth"])
    if not name:
        raise ValueError(f"tenancy {tenancy_id}: a name must have at least two words")
    matters = [Matter(m) for m in person.get("authorised_for") or []]
    if role is Role.AUTHORISED_CONTACT and not matters:
        raise ValueError(f"tenancy {tenancy_id}: a contact must be authorised for something")
    return {
        # Named by place in the record, never by name: an id is not a security answer.
        "id": person_id(tenancy_id, role.value, position),
        "tenancy_id": tenancy_id,
        "role": role.value,
        "relationship": person.get("relationship"),
        "authorised_for": ",".join(m.value for m in matters),
        "answers_digest": base64.b64encode(scheme.digest(name, born)).decode(),
    }


def _tenancy(row) -> Tenancy:
    return Tenancy(
        id=row.id,
        reference=row.reference,
        address_line=row.address_line,
        town=row.town,
        postcode=row.postcode,
        answers_scheme=HashScheme.decode(row.answers_scheme),
        rent_balance_pence=int(row.rent_balance_pence),
        rent_as_of=row.rent_as_of,
    )


def _person(row) -> Person:
    return Person(
        id=row.id,
        tenancy_id=row.tenancy_id,
        role=Role(row.role),
        relationship=row.relationship,
        authorised_for=frozenset(Matter(m) for m in _split(row.authorised_for)),
    )


def _split(text: str) -> Iterable[str]:
    return [part for part in text.split(",") if part]


def _pence(amount: Any) -> int:
    return int(round(float(amount) * 100))


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _uk_time(value: Any) -> datetime | None:
    """A UK wall-clock time from the file ("2026-11-26T08:00"), in UTC."""
    if value is None:
        return None
    local = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return to_utc(local if local.tzinfo else local.replace(tzinfo=UK))
