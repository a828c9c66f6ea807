"""Facebook as the rest of the assistant sees it: Messenger and comments on the page."""

from __future__ import annotations

from typing import List, Tuple

from bot.events import InboundEvent, Operation, Platform, Surface
from bot.outbox import Call
from bot.outbox_worker import Deliver, Lately
from bot.platforms.facebook.delivery import facebook_deliverer, facebook_lately
from bot.platforms.facebook.graph_api import GraphClient
from bot.platforms.kit import Block, Listing, PlatformKit, Said
from bot.platforms.limits import FACEBOOK_COMMENT, MESSENGER_TEXT


class FacebookKit(PlatformKit):
    platform = Platform.FACEBOOK
    name = "Facebook"
    surface_names = {Surface.PUBLIC: "Facebook comment", Surface.PRIVATE: "Messenger"}
    operation_words = {
        Operation.MESSENGER_SEND: "Messenger message",
        Operation.PRIVATE_REPLY: "private reply to a comment",
        Operation.PUBLIC_REPLY: "public reply to a comment",
        Operation.HIDE_COMMENT: "hide a comment",
        Operation.UNHIDE_COMMENT: "show a comment again",
        Operation.DELETE_COMMENT: "delete a comment",
        Operation.BLOCK_USER: "block an account",
        Operation.UNBLOCK_USER: "unblock an account",
    }
    limits = {
        Operation.PUBLIC_REPLY: FACEBOOK_COMMENT,
        Operation.PRIVATE_REPLY: MESSENGER_TEXT,
        Operation.MESSENGER_SEND: MESSENGER_TEXT,
    }
    public_limit = FACEBOOK_COMMENT
    private_limit = MESSENGER_TEXT
    # A commenter's user id is not their Messenger (page-scoped) id: a private reply
    # that reaches them links the two (bot.screening.coordinator.ModerationListener).
    one_id_everywhere = False
    deletes_comments = True
    keeps_comments = True
    replies_under_hidden = True
    action_of = {
        Operation.HIDE_COMMENT: "hide",
        Operation.DELETE_COMMENT: "delete",
        Operation.BLOCK_USER: "block",
    }
    undo = {"hide": Operation.UNHIDE_COMMENT, "block": Operation.UNBLOCK_USER}

    def reply_route(self, event: InboundEvent) -> Tuple[Operation, str]:
        if event.surface is Surface.PUBLIC:
            return Operation.PUBLIC_REPLY, str(event.comment_id)
        return Operation.MESSENGER_SEND, event.author_id

    def can_hide(self, event: InboundEvent) -> bool:
        return True

    def hide_calls(self, event: InboundEvent, said: Said) -> List[Call]:
        return [Call(Operation.HIDE_COMMENT, str(event.comment_id))]

    def private_call(self, event: InboundEvent, said: Said, follow: bool) -> Call:
        # One private reply per comment or post: it opens the Messenger conversation.
        target = str(event.comment_id)
        if event.kind in ("post", "edited_post"):
            target = f"post:{event.post_id}"
        return Call(Operation.PRIVATE_REPLY, target, said.private)

    def delete_call(self, event: InboundEvent) -> Call:
        return Call(Operation.DELETE_COMMENT, str(event.comment_id))

    def block(self, event: InboundEvent, report: bool) -> Block:
        # Messenger knows a sender by their page-scoped id, a comment's author by user
        # id; Facebook has no call to report a person: staff report them by hand.
        account = event.author_id if event.surface is Surface.PUBLIC else f"psid:{event.author_id}"
        return Block(account, (Call(Operation.BLOCK_USER, account),))

    def deliverer(self, settings) -> Deliver | None:
        facebook = settings.facebook
        if facebook.missing():
            return None
        return facebook_deliverer(self.client(settings))

    def lately(self, settings) -> Lately | None:
        return None if settings.facebook.missing() else facebook_lately(self.client(settings))

    def client(self, settings) -> GraphClient:
        """The page's Graph API client."""
        facebook = settings.facebook
        return GraphClient(facebook.graph_url, facebook.page_id, facebook.page_access_token)

    def missing(self, settings) -> List[str]:
        return settings.facebook.missing()

    def comment_listing(self, settings) -> Listing | None:
        # The page's feed: comments, replies, and visitors' posts.
        return None if settings.facebook.missing() else self.client(settings).page_comments


KIT = FacebookKit()
