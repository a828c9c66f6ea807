"""LinkedIn as the rest of the assistant sees it: comments on the organization's posts,
all public, brought by the webhook or read by polling (P5, P7).

| where | at most | counted as |
| --- | --- | --- |
| a comment or a reply | 1,250 characters | characters |

(LinkedIn's documentation gives no figure; 1,250 is what its comment box takes.)

Organizations cannot message members, so a tenant is asked in public, with no detail,
to contact the association privately (bot.screening.public_threads). LinkedIn has no
hide: a comment that must come down (personal details, abuse, a staff name) is
deleted, its replies with it, so the public words are a new comment on the post (a
reply would be deleted too). LinkedIn gives no member's name to address them by, and
no call blocks a member: a block the strike policy decides is left to staff.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import List, Tuple

from bot.events import InboundEvent, Operation, Platform, Surface
from bot.outbox import Call
from bot.outbox_worker import Deliver
from bot.platforms.kit import Listing, PlatformKit, Said, split_to_fit
from bot.platforms.limits import TextLimit
from bot.platforms.linkedin.api import LinkedInClient
from bot.platforms.linkedin.delivery import linkedin_deliverer
from bot.platforms.linkedin.poller import CommentPoller
from bot.platforms.linkedin.sweep import organization_comments

LINKEDIN_COMMENT = TextLimit(1250)


class LinkedInKit(PlatformKit):
    platform = Platform.LINKEDIN
    name = "LinkedIn"
    surface_names = {Surface.PUBLIC: "LinkedIn comment", Surface.PRIVATE: "LinkedIn"}
    operation_words = {
        Operation.PUBLIC_REPLY: "reply to a LinkedIn comment",
        Operation.PUBLIC_POST: "comment on a LinkedIn post",
        Operation.DELETE_COMMENT: "delete a LinkedIn comment",
    }
    limits = {Operation.PUBLIC_REPLY: LINKEDIN_COMMENT, Operation.PUBLIC_POST: LINKEDIN_COMMENT}
    public_limit = LINKEDIN_COMMENT
    private_limit = LINKEDIN_COMMENT
    messages = False
    keeps_comments = True  # deleted after the retention period (P10)
    hide_deletes = True
    private_reply_arrives = False
    blocks = False
    # Taking a comment out of view is deleting it: the log's "hide" is this call.
    action_of = {Operation.DELETE_COMMENT: "hide"}

    def reply_route(self, event: InboundEvent) -> Tuple[Operation, str]:
        # Replies nest one level deep: an answer to a reply goes under its comment.
        return Operation.PUBLIC_REPLY, str(event.parent_id or event.comment_id)

    def can_hide(self, event: InboundEvent) -> bool:
        return True  # by deleting it

    def hide_calls(self, event: InboundEvent, said: Said) -> List[Call]:
        calls = [Call(Operation.DELETE_COMMENT, str(event.comment_id))]
        if said.public and event.post_id:
            calls.append(Call(Operation.PUBLIC_POST, str(event.post_id), said.public))
        return calls

    def private_call(self, event: InboundEvent, said: Said, follow: bool) -> Call | None:
        return None  # organizations cannot message members

    def pieces(self, operation: Operation, text: str) -> List[str]:
        if operation in self.limits:
            return split_to_fit(text, LINKEDIN_COMMENT)
        return [text]

    def deliverer(self, settings) -> Deliver | None:
        if settings.linkedin.missing():
            return None
        return linkedin_deliverer(client(settings))

    def missing(self, settings) -> List[str]:
        return settings.linkedin.missing()

    def poller(self, settings) -> CommentPoller | None:
        linkedin = settings.linkedin
        if linkedin.missing() or linkedin.webhook:
            return None  # off, or the webhook brings the comments
        every = timedelta(seconds=linkedin.poll_seconds)
        return CommentPoller(client(settings), linkedin.posts_watched, every)

    def comment_listing(self, settings) -> Listing | None:
        if settings.linkedin.missing():
            return None
        return partial(organization_comments, client(settings))


def client(settings) -> LinkedInClient:
    """The page's API client, from LINKEDIN_ settings."""
    linkedin = settings.linkedin
    return LinkedInClient(
        linkedin.api_url,
        str(linkedin.access_token),
        str(linkedin.organization_id),
        linkedin.version,
    )


KIT = LinkedInKit()
