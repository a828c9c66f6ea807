"""X's count of a post's length (twitter-text config v3), and the limits of each platform.

The expected counts are those of twitter-text, X's own reference implementation.
"""

import unicodedata

import pytest

from bot.events import Operation, Platform, Surface
from bot.platforms.limits import MAX_X_POST
from bot.platforms.registry import KITS, limit_for, limit_of
from bot.platforms.x.text import weighted_length


@pytest.mark.parametrize(
    "text, length",
    [
        ("hello", 5),
        ("", 0),
        ("café", 4),
        # Decomposed, it is normalised first: still four.
        (unicodedata.normalize("NFD", "café"), 4),
        ("Привет", 6),
        ("日本", 4),
        # Dashes and quotes weigh 1; the bullet, the ellipsis and the euro sign weigh 2.
        ("a – b’s", 7),
        ("• a", 4),
        ("wait…", 6),
        ("€5", 3),
        ("\u3000", 2),
        # A link weighs 23, however long or short.
        ("https://a.co/x", 23),
        ("http://x.org", 23),
        ("https://www.brookfieldhomes.co.uk/privacy-notice-and-cookies-for-tenants", 23),
        ("see https://www.brookfieldhomes.co.uk/privacy-notice.", 4 + 23 + 1),
        ("(https://www.brookfieldhomes.co.uk/)", 1 + 23 + 1),
        # An emoji weighs 2, however many code points make it.
        ("👋", 2),
        ("👍🏽", 2),
        ("👨\u200d👩\u200d👧\u200d👦", 2),
        ("🇬🇧", 2),
        ("#️⃣", 2),
        ("❤️", 2),
        ("©", 2),
        ("Hi 👋 there", 11),
    ],
)
def test_x_counts_as_twitter_text_does(text, length):
    assert weighted_length(text) == length


def test_a_post_of_280_fits_and_281_does_not():
    limit = limit_for(Platform.TWITTER, Surface.PUBLIC)
    assert limit.most == MAX_X_POST == 280
    assert limit.fits("a" * 280) and not limit.fits("a" * 281)
    # 140 characters of Japanese fill a post.
    assert limit.fits("日" * 140) and not limit.fits("日" * 141)
    # A long link costs only 23: this post fits though it is over 280 characters long.
    long = "a" * 250 + " https://www.brookfieldhomes.co.uk/" + "x" * 40
    assert len(long) > 280 and limit.fits(long)


@pytest.mark.parametrize(
    "platform, surface, most",
    [
        (Platform.FACEBOOK, Surface.PUBLIC, 8000),
        (Platform.FACEBOOK, Surface.PRIVATE, 2000),
        (Platform.TWITTER, Surface.PUBLIC, 280),
        (Platform.TWITTER, Surface.PRIVATE, 10000),
        (Platform.INSTAGRAM, Surface.PUBLIC, 2200),
        (Platform.INSTAGRAM, Surface.PRIVATE, 1000),
        (Platform.YOUTUBE, Surface.PUBLIC, 10000),
    ],
)
def test_each_platform_and_surface_has_its_limit(platform, surface, most):
    assert limit_for(platform, surface).most == most


def test_every_call_that_carries_text_has_a_limit():
    assert limit_of(Platform.TWITTER, Operation.X_REPLY).most == 280
    assert limit_of(Platform.FACEBOOK, Operation.PRIVATE_REPLY).most == 2000
    assert limit_of(Platform.INSTAGRAM, Operation.PRIVATE_REPLY).most == 1000
    carrying = {
        Operation.PUBLIC_REPLY,
        Operation.PUBLIC_POST,
        Operation.PRIVATE_REPLY,
        Operation.MESSENGER_SEND,
        Operation.X_REPLY,
        Operation.X_DM,
    }
    for kit in KITS.values():
        # Every call a platform makes that carries text has its limit there.
        assert {op for op in kit.operation_words if op in carrying} == set(kit.limits)
