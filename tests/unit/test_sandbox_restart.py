"""After a restart of `make run`, the sandbox still reaches the assistant: the new
world's messages go through the platforms' webhook parsing to the same store's intake,
which drops an event id it has seen as a redelivery, so no id may repeat a run's."""

import json
from datetime import datetime, timezone

import pytest

from bot.intake import IntakeStore
from bot.platforms.facebook.payloads import parse_facebook
from bot.platforms.x.payloads import parse_twitter
from bot.sandbox.mode import ACCOUNT_ID, PAGE_ID
from bot.sandbox.sender import Webhooks
from bot.sandbox.world import Pane, World
from bot.store import connect

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
WEBHOOKS = Webhooks("http://127.0.0.1:9", PAGE_ID, "secret", ACCOUNT_ID, "consumer-secret")


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
    }[pane]
    posted = Posted()
    WEBHOOKS.deliver(world, pane, write(), session=posted)
    [(url, payload)] = posted.bodies
    if url.endswith("/facebook/webhook"):
        return parse_facebook(payload, PAGE_ID, NOW)
    return parse_twitter(payload, NOW)


@pytest.mark.parametrize("pane", list(Pane))
def test_after_a_restart_the_first_message_is_not_dropped_as_a_redelivery(tmp_path, pane):
    intake = IntakeStore(connect(f"sqlite:///{tmp_path / 'store.db'}"))
    before = first_message(World(lambda: NOW), pane)
    assert before and intake.accept(before, NOW) == before
    after = first_message(World(lambda: NOW), pane)  # the staff app restarted
    assert after and intake.accept(after, NOW) == after
