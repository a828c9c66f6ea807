"""What a verified tenant is told: money, dates and appointment windows in UK terms."""

from datetime import date, datetime, timezone

import pytest

from bot.tenancy import disclosure
from bot.tenancy.records import Payment, Repair, Tenancy
from bot.tenancy.security_question import HashScheme
from tests.helpers import UK


def tenancy(balance):
    scheme = HashScheme(salt=b"0" * 16, n=2**4)
    return Tenancy("t", "TEN-1", "1 A Rd", "Leeds", "LS1 1AA", scheme, balance, date(2026, 11, 16))


@pytest.mark.parametrize(
    "pence, said",
    [
        (12345, "£123.45 in arrears"),
        (-2000, "£20.00 in credit"),
        (0, "£0.00: nothing is owed"),
        (123456789, "£1,234,567.89 in arrears"),
    ],
)
def test_the_balance_says_which_way_it_lies(pence, said):
    assert disclosure.rent_balance(tenancy(pence)) == said


def test_the_last_payment_is_the_newest_or_none():
    payments = [Payment(date(2026, 11, 9), 9550, "Direct Debit")]
    assert disclosure.last_payment(payments) == "£95.50 by Direct Debit on Monday 9 November 2026"
    assert disclosure.last_payment([]) == "no payments on record"


def test_repairs_list_each_job_with_its_appointment_in_uk_time():
    summer = Repair(
        "R-1",
        "Leaking Tap",
        "Appointment booked",
        date(2026, 6, 1),
        datetime(2026, 6, 3, 7, 0, tzinfo=timezone.utc),
        datetime(2026, 6, 3, 11, 30, tzinfo=timezone.utc),
    )
    waiting = Repair("R-2", "Extractor fan", "Waiting for parts", date(2026, 6, 2), None, None)
    assert disclosure.repairs_list([summer, waiting], UK).splitlines() == [
        "• R-1, leaking tap: appointment booked. "
        "Appointment: Wednesday 3 June 2026, 8am to 12:30pm",
        "• R-2, extractor fan: waiting for parts",
    ]
