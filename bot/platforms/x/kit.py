"""X as the rest of the assistant sees it: direct messages and mentions."""

from __future__ import annotations

from typing import List, Tuple

from bot.events import InboundEvent, Operation, Platform, Surface
from bot.outbox import Call
from bot.outbox_worker import Deliver, Lately
from bot.platforms.kit import Block, PlatformKit, Said
from bot.platforms.limits import X_DM, X_POST
from bot.platforms.x.api import XClient
from bot.platforms.x.delivery import twitter_deliverer, twitter_lately


class XKit(PlatformKit):
    platform = Platform.TWITTER
    name = "X"
    surface_names = {Surface.PUBLIC: "X mention", Surface.PRIVATE: "X direct message"}
    operation_words = {
        Operation.X_DM: "X direct message",
        Operation.X_REPLY: "X reply",
        Operation.X_HIDE_REPLY: "hide an X reply",
        Operation.X_UNHIDE_REPLY: "show an X reply again",
        Operation.X_BLOCK: "block an X account",
        Operation.X_UNBLOCK: "unblock an X account",
        Operation.X_FOLLOW: "follow an X account",
        Operation.X_UNFOLLOW: "unfollow an X account",
        Operation.X_REPORT_SPAM: "report an X account as spam",
    }
    limits = {Operation.X_REPLY: X_POST, Operation.X_DM: X_DM}
    public_limit = X_POST
    private_limit = X_DM
    post_word = "post"
    # A DM may be refused (the author accepts none): the public words promise none.
    private_reply_arrives = False
    # An emergency's numbers go in public, the rest by DM.
    emergency_goes_private = True
    action_of = {
        Operation.X_HIDE_REPLY: "hide",
        Operation.X_BLOCK: "block",
        Operation.X_REPORT_SPAM: "report",
    }
    undo = {
        "hide": Operation.X_UNHIDE_REPLY,
        "block": Operation.X_UNBLOCK,
        "follow": Operation.X_UNFOLLOW,
    }

    def reply_route(self, event: InboundEvent) -> Tuple[Operation, str]:
        if event.surface is Surface.PUBLIC:
            return Operation.X_REPLY, str(event.tweet_id)
        return Operation.X_DM, event.author_id

    def can_hide(self, event: InboundEvent) -> bool:
        # X hides only replies in conversations the account started.
        return event.reply_to_account

    def hide_calls(self, event: InboundEvent, said: Said) -> List[Call]:
        tweet = str(event.tweet_id)
        ask = (Call(Operation.X_REPLY, tweet, said.public_if_not_hidden),)
        if event.reply_to_account:
            # If X will not hide it, a post with personal details is asked to be
            # deleted instead (P5).
            fallback = ask if said.public_if_not_hidden else ()
            return [Call(Operation.X_HIDE_REPLY, tweet, fallback=fallback)]
        if said.public:
            return [Call(Operation.X_REPLY, tweet, said.public)]
        if said.public_if_not_hidden:
            return list(ask)
        return []

    def private_call(self, event: InboundEvent, said: Said, follow: bool) -> Call:
        # P8: if the author accepts no DMs, follow them (where allowed) and ask in public.
        fallback: List[Call] = []
        if said.public_if_private_refused and follow:
            fallback.append(Call(Operation.X_FOLLOW, event.author_id))
        if said.public_if_private_refused:
            fallback.append(
                Call(Operation.X_REPLY, str(event.tweet_id), said.public_if_private_refused)
            )
        return Call(Operation.X_DM, event.author_id, said.private, tuple(fallback))

    def block(self, event: InboundEvent, report: bool) -> Block:
        calls = [Call(Operation.X_BLOCK, event.author_id)]
        if report:
            calls.append(Call(Operation.X_REPORT_SPAM, event.author_id))
        return Block(event.author_id, tuple(calls), reported=report)

    def deliverer(self, settings) -> Deliver | None:
        client = self.client(settings)
        return None if client is None else twitter_deliverer(client)

    def lately(self, settings) -> Lately | None:
        client = self.client(settings)
        return None if client is None else twitter_lately(client)

    def client(self, settings) -> XClient | None:
        """The account's X API client; None while X is off."""
        twitter = settings.twitter
        if twitter.missing():
            return None
        return XClient(
            twitter.api_url,
            twitter.consumer_key,
            twitter.consumer_secret,
            twitter.access_token,
            twitter.access_token_secret,
            user_id=twitter.user_id or "",
        )

    def missing(self, settings) -> List[str]:
        return settings.twitter.missing()


KIT = XKit()
