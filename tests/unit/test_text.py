"""Text normalisation before the detector and moderation read a post (P5, P7).

A disguise that a person reads straight through (a zero-width space, a non-breaking
space, full-width digits, a ligature) must not hide a detail or a word from them.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.moderation import ModerationRules, StaffMember, assess
from bot.privacy.normalise import fold_lookalikes, normalise


@pytest.mark.parametrize(
    "raw, plain",
    [
        ("fu\u200bcking", "fucking"),
        ("sh\u2060it\ufeff", "shit"),
        ("07700\u00a0900123", "07700 900123"),
        ("07700\u202f900\u2009123", "07700 900 123"),
        ("\uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff11\uff12\uff13", "07700 900123"),
        ("jo\u200b@example\u200c.com", "jo@example.com"),
        ("Ka\u200bren Holt", "Karen Holt"),
        ("\ufb01x the \ufb02at", "fix the flat"),
        ("soft\u00adhyphen", "softhyphen"),
        ("a\u3000b", "a b"),
        ("07700\u2011900123", "07700-900123"),
        ("cafe\u0301 on the corner", "caf\u00e9 on the corner"),
        ("plain ascii stays as it is", "plain ascii stays as it is"),
    ],
)
def test_a_disguise_a_reader_sees_through_is_undone(raw, plain):
    assert normalise(raw).text == plain


@pytest.mark.parametrize(
    "raw, found, meant",
    [
        # A ligature grows by one character; a zero-width space shrinks by one.
        ("\ufb01x it, call 07700 900123", "07700 900123", "07700 900123"),
        ("call 07700\u200b900123 pls", "07700900123", "07700\u200b900123"),
        ("\ufb01\ufb02 07700\u200b900123", "07700900123", "07700\u200b900123"),
        ("\u200b\u200bfu\u200bck", "fuck", "fu\u200bck"),
        ("\uff10\uff17\uff17 x", "077", "\uff10\uff17\uff17"),
        ("the \ufb01re", "fire", "\ufb01re"),
        # Part of a ligature stands for the whole of it.
        ("the \ufb01re", "ire", "\ufb01re"),
    ],
)
def test_a_place_in_the_normalised_text_maps_back_to_the_original(raw, found, meant):
    normal = normalise(raw)
    start = normal.text.index(found)
    begin, end = normal.original_span(start, start + len(found))
    assert raw[begin:end] == meant


def test_a_staff_name_split_by_a_zero_width_space_is_still_a_staff_name():
    rules = ModerationRules(staff=(StaffMember("Karen Holt"),))
    post = "Ka\u200bren Holt never rang me back"
    assert assess(normalise(post).text, rules).categories


def test_the_original_is_kept():
    assert normalise("a\u200bb").original == "a\u200bb"


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("ab 07@.") + ["\u200b", "\u00a0", "\ufb01", "\uff10", "\u0301", "\u2011", "é"]
        ),
        max_size=20,
    ),
    st.data(),
)
def test_every_part_of_the_normalised_text_maps_to_where_it_was_written(raw, data):
    normal = normalise(raw)
    start = data.draw(st.integers(0, len(normal.text)))
    end = data.draw(st.integers(start, len(normal.text)))
    begin, stop = normal.original_span(start, end)
    assert 0 <= begin <= stop <= len(raw)
    assert normal.text[start:end] in normalise(raw[begin:stop]).text


@pytest.mark.parametrize(
    "raw, plain",
    [
        ("\u0660\u0667\u0667", "077"),  # Arabic-Indic
        ("\u06f0\u06f7\u06f7", "077"),  # Extended Arabic-Indic
        ("\u0966\u096d\u096d", "077"),  # Devanagari
        ("\u09e6\u09ed\u09ed", "077"),  # Bengali
        ("\U0001d7ce\U0001d7d5", "07"),  # mathematical bold
        ("0\u03017\u0308", "07"),  # accents on digits
    ],
)
def test_a_digit_in_any_script_or_with_an_accent_reads_as_a_plain_digit(raw, plain):
    normal = normalise(raw)
    assert normal.text == plain
    assert normal.original_span(0, len(plain)) == (0, len(raw))


def test_a_ligature_with_an_accent_maps_back_as_a_whole():
    normal = normalise("0\ufb01\u0301")
    assert normal.text == "0fi\u0301" or normal.text == "0f\u00ed"
    assert normal.original_span(2, 3) == (1, 3)


@pytest.mark.parametrize(
    "raw, folded",
    [
        ("fu\u0441k", "fuck"),  # Cyrillic "с"
        ("K\u0430ren \u041dolt", "Karen Holt"),  # Cyrillic "а", "Н"
        ("\u1e30aren", "Karen"),
        ("b\u03bfll\u03bfcks", "bollocks"),  # Greek "ο"
        ("Za\u017c\u00f3\u0142\u0107", "Zazolc"),
        ("\u0414\u044f\u043a\u0443\u044e", "\u0414\u044fky\u044e"),  # a Ukrainian word
        ("stra\u00dfe \ufb01", "stra\u00dfe \ufb01"),  # no one Latin letter to be
    ],
)
def test_lookalikes_fold_to_plain_latin_letters_one_for_one(raw, folded):
    assert fold_lookalikes(raw) == folded
    assert len(fold_lookalikes(raw)) == len(raw)
