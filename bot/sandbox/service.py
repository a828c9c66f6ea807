"""The sandbox as the staff app holds it: built once, only when sandbox mode is on.

`build_sandbox` returns None unless `sandbox_enabled(settings)` (mode.py): in
production the staff app has no sandbox, and every sandbox route answers 404. What
the sandbox reads from the project's store: why moderation removed a post (the
moderation log's reason, never the detail, P5, P7), and who wrote a message the
outbox is sending (the assistant or staff).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Collection, Dict

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.outbox import PENDING
from bot.sandbox.mode import graph_url, sandbox_enabled
from bot.sandbox.scenarios import Runner
from bot.sandbox.sender import Webhooks
from bot.sandbox.standin import AuthorOf, Credentials, StandIn
from bot.sandbox.world import Author, Item, Pane, World
from bot.settings import Settings
from bot.store import moderation_actions, outbox

# The moderation actions that take a post out of sight.
REMOVALS = ("hide", "delete")


@dataclass
class Sandbox:
    """The world, the platforms' stand-in, the webhooks and the scenario runner."""

    world: World
    standin: StandIn
    webhooks: Webhooks
    runner: Runner
    engine: Engine

    def send(self, pane: Pane, item: Item) -> None:
        """Post the tenant's `item` to the Rasa server (blocking)."""
        self.webhooks.deliver(self.world, pane, item)

    def reasons(self, targets: Collection[str]) -> Dict[str, str]:
        """Why each of `targets` (comment or tweet ids) was hidden or deleted, from the
        moderation log (blocking)."""
        return removal_reasons(self.engine, targets)


def build_sandbox(
    settings: Settings, engine: Engine, clock: Callable[[], datetime]
) -> Sandbox | None:
    """The sandbox for the staff app, or None unless sandbox mode is on."""
    if not sandbox_enabled(settings):
        return None
    facebook, twitter = settings.facebook, settings.twitter
    instagram, youtube, linkedin = settings.instagram, settings.youtube, settings.linkedin
    world = World(clock, page_id=facebook.page_id or "")
    # A platform left off has empty credentials: its stand-in refuses every call.
    credentials = Credentials(
        page_access_token=facebook.page_access_token or "",
        consumer_key=twitter.consumer_key or "",
        access_token=twitter.access_token or "",
        account_id=twitter.user_id or "",
        instagram_token=instagram.access_token or "",
        instagram_account=instagram.account_id or "",
        youtube_client=(
            youtube.client_id or "",
            youtube.client_secret or "",
            youtube.refresh_token or "",
        ),
        youtube_channel=youtube.channel_id or "",
        linkedin_token=linkedin.access_token or "",
        linkedin_organization=f"urn:li:organization:{linkedin.organization_id or ''}",
    )
    standin = StandIn(world, credentials, graph_url(settings.console_port), outbox_author(engine))
    webhooks = Webhooks(
        rasa_url=f"http://127.0.0.1:{settings.rasa_port}",
        page_id=facebook.page_id or "",
        app_secret=facebook.app_secret or "",
        account_id=twitter.user_id or "",
        consumer_secret=twitter.consumer_secret or "",
        instagram_account=instagram.account_id or "",
        instagram_secret=instagram.app_secret or "",
    )

    def send(pane: Pane, item: Item) -> None:
        webhooks.deliver(world, pane, item)

    return Sandbox(world, standin, webhooks, Runner(world, send, clock), engine)


def removal_reasons(engine: Engine, targets: Collection[str]) -> Dict[str, str]:
    """The moderation log's reason for hiding or deleting each of `targets`."""
    if not targets:
        return {}
    query = (
        select(moderation_actions.c.target, moderation_actions.c.reason)
        .where(moderation_actions.c.target.in_(list(targets)))
        .where(moderation_actions.c.action.in_(REMOVALS))
        .order_by(moderation_actions.c.id)
    )
    with engine.connect() as connection:
        return {row.target: row.reason for row in connection.execute(query)}


def outbox_author(engine: Engine) -> AuthorOf:
    """Who wrote a message the outbox is sending now: staff or the assistant, as the
    outbox stored it (its text is kept until the message is sent)."""

    def author_of(platform: str, target: str, text: str) -> Author:
        # The text is encrypted (P9): compared here, never in the query.
        query = (
            select(outbox.c.author, outbox.c.text)
            .where(outbox.c.platform == platform, outbox.c.target == target)
            .where(outbox.c.state == PENDING)
            .order_by(outbox.c.id.desc())
        )
        with engine.connect() as connection:
            found = next(
                (row.author for row in connection.execute(query) if row.text == text), None
            )
        return Author.STAFF if found == Author.STAFF.value else Author.ASSISTANT

    return author_of
