"""YouTube as the rest of the assistant sees it: comments on the channel's videos,
read by polling (bot.platforms.youtube.poller), all of them public (P5, P7).

| where | at most | counted as |
| --- | --- | --- |
| a comment or a reply | 10,000 characters | characters |

No private messages: a tenant is asked in public, with no detail, to contact the
association privately (bot.screening.public_threads). A comment that must come down is
held for review (staff may publish it again), rejected where it holds personal details
and settings delete those, and rejected with its author banned when the strike policy
blocks them. A reply under a comment taken down goes down with it, so the public
words about a top-level comment are a new comment on the video, naming its author
("@handle"); about a reply, a reply in the same thread.
"""

from __future__ import annotations

from datetime import timedelta
from typing import List, Tuple

from bot.events import InboundEvent, Operation, Platform, Surface
from bot.outbox import Call
from bot.outbox_worker import Deliver
from bot.platforms.kit import Block, PlatformKit, Said
from bot.platforms.limits import TextLimit
from bot.platforms.youtube.api import YouTubeClient
from bot.platforms.youtube.delivery import youtube_deliverer
from bot.platforms.youtube.payloads import thread_of
from bot.platforms.youtube.poller import CommentPoller

YOUTUBE_COMMENT = TextLimit(10000)


class YouTubeKit(PlatformKit):
    platform = Platform.YOUTUBE
    name = "YouTube"
    surface_names = {Surface.PUBLIC: "YouTube comment", Surface.PRIVATE: "YouTube"}
    operation_words = {
        Operation.PUBLIC_REPLY: "reply to a YouTube comment",
        Operation.PUBLIC_POST: "comment on a YouTube video",
        Operation.HIDE_COMMENT: "hold a YouTube comment for review",
        Operation.UNHIDE_COMMENT: "publish a held YouTube comment",
        Operation.DELETE_COMMENT: "reject a YouTube comment",
        Operation.BLOCK_USER: "reject a YouTube comment and ban its author",
    }
    limits = {Operation.PUBLIC_REPLY: YOUTUBE_COMMENT, Operation.PUBLIC_POST: YOUTUBE_COMMENT}
    public_limit = YOUTUBE_COMMENT
    private_limit = YOUTUBE_COMMENT
    messages = False
    private_reply_arrives = False
    deletes_comments = True
    blocks = True
    action_of = {
        Operation.HIDE_COMMENT: "hide",
        Operation.DELETE_COMMENT: "delete",
        Operation.BLOCK_USER: "block",
    }
    # A held comment may be published again; a rejected one, and a ban, may not
    # (staff lift a ban in YouTube Studio).
    undo = {"hide": Operation.UNHIDE_COMMENT}

    def reply_route(self, event: InboundEvent) -> Tuple[Operation, str]:
        return Operation.PUBLIC_REPLY, thread_of(str(event.comment_id))

    def can_hide(self, event: InboundEvent) -> bool:
        return True  # every comment on the channel's videos

    def hide_calls(self, event: InboundEvent, said: Said) -> List[Call]:
        calls = [Call(Operation.HIDE_COMMENT, str(event.comment_id))]
        if said.public:
            calls.append(self._notice(event, said.public))
        return calls

    def public_call(self, event: InboundEvent, text: str) -> Call:
        operation, target = self.reply_route(event)
        return Call(operation, target, _naming(event, text))

    def private_call(self, event: InboundEvent, said: Said, follow: bool) -> Call | None:
        return None  # no private messages on YouTube

    def delete_call(self, event: InboundEvent) -> Call:
        return Call(Operation.DELETE_COMMENT, str(event.comment_id))

    def block(self, event: InboundEvent, report: bool) -> Block:
        # The ban is an option of rejecting one of the author's comments.
        return Block(event.author_id, (Call(Operation.BLOCK_USER, str(event.comment_id)),))

    def deliverer(self, settings) -> Deliver | None:
        if settings.youtube.missing():
            return None
        return youtube_deliverer(client(settings))

    def missing(self, settings) -> List[str]:
        return settings.youtube.missing()

    def poller(self, settings) -> CommentPoller | None:
        youtube = settings.youtube
        if youtube.missing():
            return None
        every = timedelta(seconds=youtube.poll_seconds)
        return CommentPoller(client(settings), str(youtube.channel_id), youtube.read_units, every)

    def _notice(self, event: InboundEvent, text: str) -> Call:
        """The public words about a comment taken down, where they stay up."""
        comment = str(event.comment_id)
        if thread_of(comment) != comment:  # a reply: in its thread, which stays up
            return Call(Operation.PUBLIC_REPLY, thread_of(comment), _naming(event, text))
        return Call(Operation.PUBLIC_POST, str(event.post_id), _naming(event, text))


def _naming(event: InboundEvent, text: str) -> str:
    """`text` addressed to the author by their handle, so that YouTube tells them."""
    name = (event.author_name or "").strip()
    if name.startswith("@") and " " not in name:
        return f"{name} {text}"
    return text


def client(settings) -> YouTubeClient:
    """The channel's API client, from YOUTUBE_ settings."""
    youtube = settings.youtube
    return YouTubeClient(
        youtube.api_url,
        youtube.token_url,
        str(youtube.client_id),
        str(youtube.client_secret),
        str(youtube.refresh_token),
    )


KIT = YouTubeKit()
