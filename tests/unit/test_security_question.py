"""Security answers hashed at rest and sealed in flight (P4)."""

import hmac
from datetime import date, datetime, timezone

import pytest
from cryptography.fernet import Fernet

from bot.tenancy import security_question
from bot.tenancy.security_question import HashScheme, Sealer, is_sealed, matching_index

BORN = date(1985, 3, 12)


def test_a_scheme_is_written_down_and_read_back():
    scheme = HashScheme.fresh(n=2**4)
    assert HashScheme.decode(scheme.encode()) == scheme
    assert scheme.encode().startswith("scrypt$16$8$1$")


def test_the_default_cost_is_slow_scrypt():
    assert HashScheme.fresh().n >= 2**15


def test_an_unknown_scheme_is_refused():
    with pytest.raises(ValueError):
        HashScheme.decode("md5$1$1$1$c2FsdA==")


def test_salts_make_the_same_answers_hash_differently():
    one, two = HashScheme.fresh(n=2**4), HashScheme.fresh(n=2**4)
    assert one.digest("sarah oneill", BORN) != two.digest("sarah oneill", BORN)
    assert one.digest("sarah oneill", BORN) == one.digest("sarah oneill", BORN)


def test_name_and_date_both_count():
    scheme = HashScheme.fresh(n=2**4)
    right = scheme.digest("sarah oneill", BORN)
    assert scheme.digest("sarah oneil", BORN) != right
    assert scheme.digest("sarah oneill", date(1985, 3, 13)) != right


def test_matching_compares_every_digest_in_constant_time(monkeypatch):
    calls = []
    compare = hmac.compare_digest

    def counting(a, b):
        calls.append(1)
        return compare(a, b)

    monkeypatch.setattr(security_question.hmac, "compare_digest", counting)
    recorded = [b"a" * 32, b"b" * 32, b"c" * 32]
    assert matching_index(b"a" * 32, recorded) == 0
    assert len(calls) == 3
    assert matching_index(b"z" * 32, recorded) is None


def test_sealed_values_open_only_with_their_key_and_hide_the_value():
    sealer = Sealer(Sealer.new_key())
    sealed = sealer.seal(["security_name", "sarah oneill"])
    assert is_sealed(sealed)
    assert "sarah" not in sealed
    assert sealer.open(sealed) == ["security_name", "sarah oneill"]
    assert Sealer(Fernet.generate_key()).open(sealed) is None


@pytest.mark.parametrize("forged", ["sarah oneill", "sealed:not-a-token", None, 42, ["x"]])
def test_anything_not_sealed_by_us_opens_to_nothing(forged):
    assert Sealer(Sealer.new_key()).open(forged) is None


def test_a_tampered_seal_opens_to_nothing():
    sealer = Sealer(Sealer.new_key())
    sealed = sealer.seal({"person_id": "p1"})
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    assert sealer.open(tampered) is None


def test_a_sealed_value_says_when_it_was_sealed_and_a_forged_one_does_not():
    sealer = Sealer(Sealer.new_key())
    at = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    sealed = sealer.seal(["security_name", "margaret thompson"], at=at)
    assert sealer.sealed_at(sealed) == at
    assert sealer.open(sealed) == ["security_name", "margaret thompson"]
    assert Sealer(Sealer.new_key()).sealed_at(sealed) is None
    assert sealer.sealed_at("margaret thompson") is None
