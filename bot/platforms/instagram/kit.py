"""Instagram as the rest of the assistant sees it: direct messages and comments on the
account's posts, screened as Facebook's are (P5, P7).

| where | at most | counted as |
| --- | --- | --- |
| a comment (a public reply) | 2,200 characters | characters |
| a direct message, or the private reply to a comment | 1,000 bytes | UTF-8 bytes |

A reply longer than a direct message takes is sent as several, cut between sentences;
the private reply to a comment is one message, cut to fit between sentences.
Instagram's API cannot block or report an account: a block that moderation decides is
logged for staff to make in the app.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import List, Tuple

from bot.events import InboundEvent, Operation, Platform, Surface
from bot.outbox import Call
from bot.outbox_worker import Deliver
from bot.platforms.instagram.api import InstagramClient
from bot.platforms.instagram.delivery import instagram_deliverer
from bot.platforms.kit import Listing, PlatformKit, Said, split_to_fit
from bot.platforms.limits import TextLimit


def utf8_bytes(text: str) -> int:
    """How Instagram counts a direct message."""
    return len(text.encode("utf-8"))


logger = logging.getLogger(__name__)
INSTAGRAM_COMMENT = TextLimit(2200)
INSTAGRAM_DM = TextLimit(1000, utf8_bytes)


class InstagramKit(PlatformKit):
    platform = Platform.INSTAGRAM
    name = "Instagram"
    surface_names = {
        Surface.PUBLIC: "Instagram comment",
        Surface.PRIVATE: "Instagram direct message",
    }
    operation_words = {
        Operation.MESSENGER_SEND: "Instagram direct message",
        Operation.PRIVATE_REPLY: "private reply to an Instagram comment",
        Operation.PUBLIC_REPLY: "public reply to an Instagram comment",
        Operation.HIDE_COMMENT: "hide an Instagram comment",
        Operation.UNHIDE_COMMENT: "show an Instagram comment again",
        Operation.DELETE_COMMENT: "delete an Instagram comment",
    }
    limits = {
        Operation.PUBLIC_REPLY: INSTAGRAM_COMMENT,
        Operation.PRIVATE_REPLY: INSTAGRAM_DM,
        Operation.MESSENGER_SEND: INSTAGRAM_DM,
    }
    public_limit = INSTAGRAM_COMMENT
    private_limit = INSTAGRAM_DM
    # A commenter's id is the Instagram-scoped id their direct messages come from.
    one_id_everywhere = True
    deletes_comments = True
    keeps_comments = True  # deleted after the retention period (P10)
    # No call blocks or reports an account: staff do it in the app.
    blocks = False
    action_of = {Operation.HIDE_COMMENT: "hide", Operation.DELETE_COMMENT: "delete"}
    undo = {"hide": Operation.UNHIDE_COMMENT}

    def reply_route(self, event: InboundEvent) -> Tuple[Operation, str]:
        if event.surface is Surface.PUBLIC:
            return Operation.PUBLIC_REPLY, str(event.comment_id)
        return Operation.MESSENGER_SEND, event.author_id

    def can_hide(self, event: InboundEvent) -> bool:
        return True  # every comment on the account's own media

    def hide_calls(self, event: InboundEvent, said: Said) -> List[Call]:
        return [Call(Operation.HIDE_COMMENT, str(event.comment_id))]

    def private_call(self, event: InboundEvent, said: Said, follow: bool) -> Call:
        # Instagram's one private reply to the comment: it opens the conversation, and
        # nothing more may be sent until the author answers. Words longer than a message
        # keep as many whole sentences as fit, the first ones: the emergency contacts
        # come first (P2); what goes is the end of the longest list of reasons.
        text = split_to_fit(said.private or "", INSTAGRAM_DM)[0] if said.private else None
        if text is not None and text != said.private:
            # Not silent: whoever reads the logs sees how much did not fit (no words).
            logger.warning(
                "An Instagram private reply was cut to its first %d of %d bytes",
                utf8_bytes(text),
                utf8_bytes(said.private or ""),
            )
        return Call(Operation.PRIVATE_REPLY, str(event.comment_id), text)

    def delete_call(self, event: InboundEvent) -> Call:
        return Call(Operation.DELETE_COMMENT, str(event.comment_id))

    def pieces(self, operation: Operation, text: str) -> List[str]:
        if operation is Operation.MESSENGER_SEND:
            return split_to_fit(text, INSTAGRAM_DM)
        return [text]

    def deliverer(self, settings) -> Deliver | None:
        instagram = settings.instagram
        if instagram.missing():
            return None
        return instagram_deliverer(InstagramClient(instagram.graph_url, instagram.access_token))

    def missing(self, settings) -> List[str]:
        return settings.instagram.missing()

    def comment_listing(self, settings) -> Listing | None:
        instagram = settings.instagram
        if instagram.missing():
            return None
        client = InstagramClient(instagram.graph_url, instagram.access_token)
        return partial(client.account_comments, instagram.account_id)


KIT = InstagramKit()
