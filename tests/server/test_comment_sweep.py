"""P10 for the comments the assistant never saw: the runtime's retention job lists every
platform's comments that it keeps (Facebook's feed, Instagram's posts, LinkedIn's
posts, with their replies), notes them under their platform, and has the old ones
deleted there, once; one platform it cannot read costs the others nothing."""

import time
from datetime import datetime, timedelta, timezone

import pytest

from bot.channels.wiring import build_runtime
from bot.events import Platform
from bot.keys import new_encryption_key, new_lookup_key
from bot.outbox import PlatformError
from bot.settings import Settings
from scripts.fake_platforms import FakePlatforms
from tests.helpers import ROOT

PAGE, INSTAGRAM, LINKEDIN = "1000", "17841400000000001", "5515715"
ORGANIZATION = f"urn:li:organization:{LINKEDIN}"
OLD_GRAPH, OLD_MILLIS = "2025-01-15T10:00:00+0000", 1_736_935_200_000  # the same moment
NOW_GRAPH = time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime())
POST = "urn:li:share:7100000000000000001"


@pytest.fixture
def platforms():
    with FakePlatforms() as fake:
        fake.linkedin_organization = ORGANIZATION
        yield fake


def store(tmp_path):
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "ASSOCIATION_FILE": str(ROOT / "association.yml"),
        "ENCRYPTION_KEYS": new_encryption_key(),
        "LOOKUP_KEY": new_lookup_key(),
    }


def runtime_for(platforms, tmp_path, clock=None):
    environ = {
        **store(tmp_path),
        "FACEBOOK_APP_SECRET": "s",
        "FACEBOOK_VERIFY_TOKEN": "v",
        "FACEBOOK_PAGE_ACCESS_TOKEN": "page-token",
        "FACEBOOK_PAGE_ID": PAGE,
        "FACEBOOK_GRAPH_URL": platforms.graph_url,
        "INSTAGRAM_APP_SECRET": "s",
        "INSTAGRAM_VERIFY_TOKEN": "v",
        "INSTAGRAM_ACCESS_TOKEN": "instagram-token",
        "INSTAGRAM_ACCOUNT_ID": INSTAGRAM,
        "INSTAGRAM_GRAPH_URL": platforms.instagram_url,
        "LINKEDIN_ACCESS_TOKEN": "linkedin-token",
        "LINKEDIN_ORGANIZATION_ID": LINKEDIN,
        "LINKEDIN_API_URL": platforms.linkedin_url,
    }
    settings = Settings.from_env(environ=environ, dotenv_path=tmp_path / "none")
    return build_runtime(settings, clock) if clock else build_runtime(settings)


def deleted(platforms):
    """(platform, what) for each deletion the fake APIs received."""
    found = []
    for call in platforms.received():
        if call.method == "DELETE" and call.platform in ("facebook", "instagram", "linkedin"):
            found.append((call.platform, call.path))
    return sorted(found)


def test_old_comments_never_seen_are_found_on_every_platform_that_keeps_them_and_deleted(
    platforms, tmp_path
):
    platforms.add_comment("1000_1", "1000_1_7", OLD_GRAPH, "f1")
    platforms.add_comment("1000_1", "1000_1_8", NOW_GRAPH, "f2")
    platforms.add_instagram_comment("media1", "17900000000000001", OLD_GRAPH, "i1")
    platforms.add_instagram_comment("media1", "17900000000000002", NOW_GRAPH, "i2")
    # A reply, old, under a recent comment: it goes alone.
    platforms.add_instagram_comment(
        "media1", "17900000000000003", OLD_GRAPH, INSTAGRAM, parent="17900000000000002"
    )
    platforms.add_linkedin_post(POST)
    old = platforms.add_linkedin_comment(POST, "71", "urn:li:person:p1", "hi", OLD_MILLIS)
    recent = platforms.add_linkedin_comment(POST, "72", "urn:li:person:p2", "hello")
    reply = platforms.add_linkedin_comment(
        POST, "73", "urn:li:person:p3", "me too", OLD_MILLIS, parent=recent
    )
    # An old reply under an old comment: the comment goes first (the older), and the
    # reply with it, so LinkedIn answers the reply's deletion 404: done, no dead letter.
    platforms.add_linkedin_comment(
        POST, "74", "urn:li:person:p4", "same", OLD_MILLIS + 60_000, parent=old
    )
    runtime = runtime_for(platforms, tmp_path)
    assert set(runtime.listings) == {Platform.FACEBOOK, Platform.INSTAGRAM, Platform.LINKEDIN}

    assert runtime.remove_old_comments() == 6
    assert runtime.drain_outbox() == 6
    assert runtime.outbox.messages(state="dead") == []
    assert len(runtime.outbox.messages(state="sent")) == 6
    found = deleted(platforms)
    assert found[:3] == [
        ("facebook", "1000_1_7"),
        ("instagram", "17900000000000001"),
        ("instagram", "17900000000000003"),
    ]
    assert [path for platform, path in found if platform == "linkedin"] == [
        f"socialActions/{POST}/comments/71",
        f"socialActions/{POST}/comments/73",
    ]
    assert old.endswith(",71)") and reply.endswith(",73)")
    # Swept again, nothing is deleted twice.
    assert runtime.remove_old_comments() == 0
    assert runtime.drain_outbox() == 0


def test_a_platform_that_cannot_be_listed_costs_the_others_nothing(platforms, tmp_path):
    platforms.add_instagram_comment("media1", "17900000000000001", OLD_GRAPH, "i1")
    platforms.add_linkedin_post(POST)
    platforms.add_linkedin_comment(POST, "71", "urn:li:person:p1", "hi", OLD_MILLIS)
    runtime = runtime_for(platforms, tmp_path)

    def unreachable():
        raise PlatformError("GET feed: 503", transient=True)
        yield  # a generator, as the listings are

    runtime.listings[Platform.FACEBOOK] = unreachable
    assert runtime.remove_old_comments() == 2
    runtime.drain_outbox()
    assert [p for p, _ in deleted(platforms)] == ["instagram", "linkedin"]


def test_a_platform_that_is_off_is_not_swept(platforms, tmp_path):
    environ = store(tmp_path)
    runtime = build_runtime(Settings.from_env(environ=environ, dotenv_path=tmp_path / "none"))
    assert runtime.listings == {}
    assert runtime.remove_old_comments() == 0


def test_the_sweep_notes_each_comment_under_its_own_platform(platforms, tmp_path):
    platforms.add_instagram_comment("media1", "17900000000000001", OLD_GRAPH, "i1")
    runtime = runtime_for(platforms, tmp_path)
    runtime.remove_old_comments()
    [message] = runtime.outbox.messages()
    assert (message.platform, message.target) == ("instagram", "17900000000000001")


def test_each_platform_is_listed_once_a_day_and_again_after_a_failure(platforms, tmp_path):
    now = [datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)]
    runtime = runtime_for(platforms, tmp_path, clock=lambda: now[0])
    read = []

    def counted(platform, fails):
        def listing():
            read.append(platform)
            if fails:
                fails.pop()
                raise PlatformError("503", transient=True)
            return []

        return listing

    runtime.listings = {
        Platform.FACEBOOK: counted("facebook", []),
        Platform.LINKEDIN: counted("linkedin", [True]),  # fails the first time
    }
    runtime.remove_old_comments()
    assert read == ["facebook", "linkedin"]
    now[0] += timedelta(hours=1)  # the retention job's next turn
    runtime.remove_old_comments()
    assert read == ["facebook", "linkedin", "linkedin"]  # only the one that failed
    now[0] += timedelta(hours=1)
    runtime.remove_old_comments()
    assert len(read) == 3
    now[0] += timedelta(days=1)
    runtime.remove_old_comments()
    assert read[3:] == ["facebook", "linkedin"]


def test_a_fault_in_one_listing_costs_the_others_nothing(platforms, tmp_path):
    platforms.add_instagram_comment("media1", "17900000000000001", OLD_GRAPH, "i1")
    runtime = runtime_for(platforms, tmp_path)

    def broken():
        raise KeyError("created_time")

    runtime.listings[Platform.FACEBOOK] = broken  # listed first, and it breaks
    assert runtime.remove_old_comments() == 1
