"""Reading answers to the security questions: one canonical form per answer (P4)."""

from datetime import date

import pytest

from bot.tenancy import answers
from bot.tenancy.answers import Locator

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    "text",
    [
        "TEN-204817",
        "ten204817",
        "TEN 204817",
        "tenancy ref 204817",
        "my tenancy reference is TEN-204817",
        "Tenancy reference number: 204817",
        "204817",
        "ref 204817 thanks",
    ],
)
def test_tenancy_references_in_every_shape_are_one_reference(text):
    assert answers.tenancy_reference(text) == "TEN-204817"


@pytest.mark.parametrize("text", ["TEN-20481", "2048171", "14 Elm Road", "often 204 817", ""])
def test_text_without_a_six_digit_reference_has_none(text):
    assert answers.tenancy_reference(text) is None


@pytest.mark.parametrize("text", ["LS6 2AB", "ls62ab", "LS6  2ab", "my postcode is ls6 2AB ok"])
def test_postcodes_with_or_without_the_space_are_one_postcode(text):
    assert answers.postcode(text) == "LS6 2AB"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("14 Elm Road, LS6 2AB", Locator(postcode="LS6 2AB", address="14 elm road")),
        ("ls62ab 14 elm rd.", Locator(postcode="LS6 2AB", address="14 elm road")),
        (
            "Flat 3, Ashdown Ct, M14 5RT",
            Locator(postcode="M14 5RT", address="flat 3 ashdown court"),
        ),
        ("ten 204817", Locator(reference="TEN-204817")),
    ],
)
def test_a_locator_is_a_reference_or_a_postcode_with_an_address(text, expected):
    assert answers.locator(text) == expected


@pytest.mark.parametrize("text", ["LS6 2AB", "my postcode is LS6 2AB", "dunno", "Elm Road"])
def test_a_postcode_alone_or_an_address_alone_locates_nothing(text):
    assert answers.locator(text) is None


@pytest.mark.parametrize(
    "recorded, typed, same",
    [
        ("14 elm road", "14 elm road", True),
        ("14 elm road", "14 elm road leeds", True),
        ("14 elm road", "my address is 14 elm road", True),
        ("14 elm road", "114 elm road", False),
        ("14 elm road", "14 elm", False),
        ("flat 3 ashdown court", "flat 13 ashdown court", False),
    ],
)
def test_the_first_line_on_record_must_appear_word_for_word(recorded, typed, same):
    assert answers.same_address_line(recorded, typed) is same


@pytest.mark.parametrize(
    "text",
    [
        "Sarah O'Neill",
        "sarah oneill",
        "  SARAH   O’NEILL ",
        "My name is Sarah O'Neill",
        "it's sarah o'neill",
        "I'm Sarah O'Neill",
    ],
)
def test_names_differ_only_in_case_spacing_and_apostrophes(text):
    assert answers.full_name(text) == "sarah oneill"


def test_accents_and_hyphens_do_not_make_a_different_name():
    assert answers.full_name("Zoë Smith-Jones") == answers.full_name("zoe smith jones")


def test_names_in_other_scripts_are_kept():
    assert answers.full_name("Иван Петров") == "иван петров"


@pytest.mark.parametrize(
    "text",
    ["Sarah", "no thanks", "stop please", "can I talk to someone", "12/03/1985", "I smell gas"],
)
def test_replies_that_are_not_a_full_name(text):
    assert answers.full_name(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "12/03/1985",
        "12/3/85",
        "12-03-1985",
        "12.03.1985",
        "12 March 1985",
        "12th march 85",
        "12th of March, 1985",
        "March 12th 1985",
        "mar 12 1985",
        "dob 12/03/1985",
        "born on the 12th March 1985",
        "1985-03-12",
    ],
)
def test_dates_of_birth_in_every_style_are_one_date(text):
    assert answers.date_of_birth(text, TODAY) == date(1985, 3, 12)


@pytest.mark.parametrize(
    "text, expected",
    [("01/02/03", date(2003, 2, 1)), ("1/2/26", date(2026, 2, 1)), ("1/2/27", date(1927, 2, 1))],
)
def test_two_digit_years_are_the_latest_not_after_today(text, expected):
    assert answers.date_of_birth(text, TODAY) == expected


@pytest.mark.parametrize(
    "text", ["31/02/1985", "12/13/1985", "12 March", "01/01/2030", "yesterday", "", "TEN-204817"]
)
def test_impossible_future_or_partial_dates_are_not_dates_of_birth(text):
    assert answers.date_of_birth(text, TODAY) is None


@pytest.mark.parametrize(
    "text, stop",
    [
        ("stop", True),
        ("STOP please", True),
        ("cancel", True),
        ("never mind", True),
        ("nevermind", True),
        ("forget it", True),
        ("no thanks", True),
        ("i dont want to do this", True),
        ("Stopford", False),
        ("Sarah Stopford", False),
        ("TEN-204817", False),
        ("12/04/1958", False),
        ("Margaret Thompson", False),
    ],
)
def test_a_stop_is_read_by_words(text, stop):
    assert answers.is_stop(text) is stop
