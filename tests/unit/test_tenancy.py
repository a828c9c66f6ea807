"""Tenancy records: loaded from a file, answers hashed, found by reference or address."""

import re
from datetime import date

import pytest

from bot.keys import DataKeys
from bot.store import connect
from bot.tenancy.answers import locator
from bot.tenancy.records import Matter, Role, TenancyRepository, load_tenancies
from tests.helpers import DEMO_TENANCIES, TEST_WORK_FACTOR, demo_tenancies, on_disk

# Every demo answer, in the shapes a careless store might keep it.
DEMO_ANSWERS = [
    "Margaret",
    "Thompson",
    "margaret thompson",
    "1958-04-12",
    "12/04/1958",
    "1958",
    "Daniel",
    "1986-09-14",
    "Priya",
    "Sharma",
    "1990-07-23",
    "Walsh",
    "1988-11-02",
    "Okafor",
    "1979-01-30",
    "Grace",
    "1982-06-05",
]


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine, repository = demo_tenancies(url)
    return tmp_path / "store.db", repository


def test_names_and_dates_of_birth_are_never_stored_in_clear(store):
    path, _ = store
    content = on_disk(path).lower()
    for answer in DEMO_ANSWERS:
        assert not held_in_clear(answer, content), answer


def held_in_clear(answer: str, content: bytes) -> bool:
    """Whether `answer` is in `content` (lowercased). A bare year, all digits, counts only
    standing on its own: inside a longer run of letters and digits (a UUID's hex, an
    encrypted token) four digits turn up by chance, as a CI run once found "1958"."""
    needle = answer.lower().encode()
    if needle.isdigit():
        return re.search(rb"(?<![0-9a-z])" + needle + rb"(?![0-9a-z])", content) is not None
    return needle in content


def test_a_tenancy_is_found_by_its_reference_in_any_shape(store):
    _, repository = store
    assert repository.find(locator("tenancy ref 204817")).address_line == "14 Elm Road"
    assert repository.find(locator("TEN-999999")) is None


def test_a_tenancy_is_found_by_postcode_and_first_line(store):
    _, repository = store
    found = repository.find(locator("flat 3 ashdown ct manchester m145rt"))
    assert found.reference == "TEN-318552"
    assert repository.find(locator("Flat 4, Ashdown Court, M14 5RT")) is None
    assert repository.find(locator("14 Elm Road, M14 5RT")) is None


def test_an_address_that_fits_two_tenancies_finds_neither(tmp_path):
    repository = TenancyRepository(connect(f"sqlite:///{tmp_path / 's.db'}"))
    for reference, line in (("TEN-100001", "2 High Street"), ("TEN-100002", "Flat 1, 2 High St")):
        repository.replace(_record(reference, line), work_factor=TEST_WORK_FACTOR)
    assert repository.find(locator("Flat 1, 2 High Street, AB1 2CD")) is None
    assert repository.find(locator("2 high street ab12cd")).reference == "TEN-100001"


def test_people_have_roles_and_contacts_only_what_the_tenant_authorised(store):
    _, repository = store
    tenancy = repository.find(locator("TEN-204817"))
    people = {person.role: person for person, _ in repository.people(tenancy.id)}
    tenant, son = people[Role.TENANT], people[Role.AUTHORISED_CONTACT]
    assert tenant.may_discuss(Matter.RENT) and tenant.may_discuss(Matter.REPAIRS)
    assert son.may_discuss(Matter.RENT) and not son.may_discuss(Matter.REPAIRS)
    assert son.describe() == "authorised contact (son)"
    assert repository.person(son.id) == son


def test_rent_and_repairs_come_back_newest_first(store):
    _, repository = store
    tenancy = repository.find(locator("TEN-204817"))
    assert tenancy.rent_balance_pence == 12345
    payments = repository.last_payments(tenancy.id, limit=2)
    assert [p.paid_on for p in payments] == [date(2026, 11, 9), date(2026, 10, 26)]
    jobs = repository.repairs(tenancy.id)
    assert [j.job_number for j in jobs] == ["R-30117", "R-29980"]
    assert jobs[0].appointment_start.isoformat() == "2026-12-03T08:00:00+00:00"


def test_loading_again_replaces_and_keeps_ids(store):
    _, repository = store
    before = repository.find(locator("TEN-204817"))
    load_tenancies(DEMO_TENANCIES, repository, work_factor=TEST_WORK_FACTOR)
    assert repository.count() == 3
    assert repository.find(locator("TEN-204817")).id == before.id
    assert len(repository.repairs(before.id)) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"reference": "204"},
        {"address": {"line": "1 A Road", "town": "X", "postcode": "nowhere"}},
        {"tenants": []},
        {"tenants": [{"name": "Cher", "date_of_birth": "1946-05-20"}]},
        {"authorised_contacts": [{"name": "Al Jones", "date_of_birth": "1990-01-01"}]},
    ],
)
def test_incomplete_records_are_refused(tmp_path, change):
    repository = TenancyRepository(connect(f"sqlite:///{tmp_path / 's.db'}"))
    with pytest.raises((ValueError, KeyError)):
        repository.replace({**_record("TEN-100001", "2 High Street"), **change}, TEST_WORK_FACTOR)


def _record(reference, line):
    return {
        "reference": reference,
        "address": {"line": line, "town": "Leeds", "postcode": "AB1 2CD"},
        "tenants": [{"name": "Alex Example", "date_of_birth": "1970-01-01"}],
        "rent": {"balance": 0, "as_of": "2026-11-16"},
    }


def test_a_persons_id_says_nothing_of_their_name(tmp_path):
    # A name-derived id could be recovered from a list of common names.
    import yaml

    record = yaml.safe_load(DEMO_TENANCIES.read_text())["tenancies"][0]
    ids = []
    # The store's keys, the same at every load: a tenancy's id comes from its keyed reference.
    keys = DataKeys.ephemeral()
    for name in ("Margaret Thompson", "Joan Baker"):
        record["tenants"][0]["name"] = name
        path = tmp_path / f"{len(ids)}.yml"
        path.write_text(yaml.safe_dump({"tenancies": [record]}))
        repository = TenancyRepository(connect(f"sqlite:///{tmp_path / 'store.db'}", keys))
        load_tenancies(path, repository, work_factor=TEST_WORK_FACTOR)
        tenancy = repository.find(locator(record["reference"]))
        ids.append(sorted(person.id for person, _ in repository.people(tenancy.id)))
    assert ids[0] == ids[1]
