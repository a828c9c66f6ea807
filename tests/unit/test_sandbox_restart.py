"""After a restart of `make run`, the sandbox still reaches the assistant: the new
world's messages go through the platforms' webhook parsing (or, for YouTube and
LinkedIn, the stand-in's listings the pollers read) to the same store's intake, which
drops an event id it has seen as a redelivery, so no id may repeat a run's."""

import json
from datetime import datetime, timezone

import pytest

from bot.intake import IntakeStore
from bot.platforms.facebook.payloads import parse_facebook
from bot.platforms.instagram.payloads import parse_instagram
from bot.platforms.linkedin.payloads import parse_comments
from bot.platforms.x.payloads import parse_twitter
from bot.platforms.youtube.payloads import parse_threads
from bot.sandbox.mode import (
    ACCOUNT_ID,
    INSTAGRAM_ACCOUNT,
    LINKEDIN_ORGANIZATION,
    PAGE_ID,
    YOUTUBE_CHANNEL,
)
from bot.sandbox.sender import Webhooks
from bot.sandbox.standin import YOUTUBE_ACCESS, Credentials, StandIn
from bot.sandbox.world import LINKEDIN_POSTS, YOUTUBE_VIDEOS, Pane, World
from bot.store import connect

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
WEBHOOKS = Webhooks(
    "http://127.0.0.1:9",
    PAGE_ID,
    "secret",
    ACCOUNT_ID,
    "consumer-secret",
    INSTAGRAM_ACCOUNT,
    "instagram-secret",
)
CREDENTIALS = Credentials(
    "page-token",
    "ck",
    "at",
    ACCOUNT_ID,
    youtube_client=("id", "secret", "refresh"),
    youtube_channel=YOUTUBE_CHANNEL,
    linkedin_token="li-token",
    linkedin_organization=LINKEDIN_ORGANIZATION,
)
[(VIDEO, _)] = YOUTUBE_VIDEOS
[(LINKEDIN_POST, _)] = LINKEDIN_POSTS
LINKEDIN_HEADERS = {"linkedin-version": "202610", "x-restli-protocol-version": "2.0.0"}


class Posted:
    """Keeps the webhook body the sandbox would post to the Rasa server."""

    def __init__(self):
        self.bodies = []

    def post(self, url, data, headers, timeout):
        self.bodies.append((url, json.loads(data)))

        class Answer:
            status_code = 200

        return Answer()


def first_message(world, pane):
    """What a tenant writes first on `pane`, as the Rasa server's connector parses it."""
    write = {
        Pane.FACEBOOK: lambda: world.comment("margaret", "post-bins", "hello"),
        Pane.MESSENGER: lambda: world.message("margaret", "hello"),
        Pane.X_TIMELINE: lambda: world.mention("margaret", "hello"),
        Pane.X_DMS: lambda: world.direct_message("margaret", "hello"),
        Pane.INSTAGRAM: lambda: world.comment("margaret", "17900000000000042", "hello"),
        Pane.INSTAGRAM_DMS: lambda: world.instagram_message("margaret", "hello"),
        Pane.YOUTUBE: lambda: world.comment("margaret", VIDEO, "hello"),
        Pane.LINKEDIN: lambda: world.comment("margaret", LINKEDIN_POST, "hello"),
    }[pane]
    posted = Posted()
    status = WEBHOOKS.deliver(world, pane, write(), session=posted)
    standin = StandIn(world, CREDENTIALS, "http://127.0.0.1:9/graph")
    if pane is Pane.YOUTUBE:
        assert status is None and not posted.bodies  # the poller reads it
        query = {"allThreadsRelatedToChannelId": [YOUTUBE_CHANNEL]}
        _, answer = standin.youtube("GET", "v3/commentThreads", query, None, YOUTUBE_ACCESS_HEADER)
        return parse_threads(answer, YOUTUBE_CHANNEL).comments
    if pane is Pane.LINKEDIN:
        assert status is None and not posted.bodies
        path = f"socialActions/{LINKEDIN_POST}/comments"
        _, answer = standin.linkedin("GET", path, {}, None, "Bearer li-token", LINKEDIN_HEADERS)
        return parse_comments(answer, LINKEDIN_POST, LINKEDIN_ORGANIZATION, NOW)
    [(url, payload)] = posted.bodies
    if url.endswith("/facebook/webhook"):
        return parse_facebook(payload, PAGE_ID, NOW)
    if url.endswith("/instagram/webhook"):
        return parse_instagram(payload, INSTAGRAM_ACCOUNT, NOW)
    return parse_twitter(payload, NOW)


YOUTUBE_ACCESS_HEADER = f"Bearer {YOUTUBE_ACCESS}"


@pytest.mark.parametrize("pane", list(Pane))
def test_after_a_restart_the_first_message_is_not_dropped_as_a_redelivery(tmp_path, pane):
    intake = IntakeStore(connect(f"sqlite:///{tmp_path / 'store.db'}"))
    before = first_message(World(lambda: NOW), pane)
    assert before and intake.accept(before, NOW) == before
    after = first_message(World(lambda: NOW), pane)  # the staff app restarted
    assert after and intake.accept(after, NOW) == after
