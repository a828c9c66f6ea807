"""One thread per tenant: their public and private conversations, read as one (P6, P9).

A tenant who comments in public and then writes in private, as asked, has two Rasa
conversations (`<platform>-<surface>-<author id>`, bot/events.py). To staff they are
one tenant, every message in order, and a handoff raised in one follows them to the
other (`HandoffRepository.open_for` looks across `conversations_of`).

- X: a user has one id, the same in mentions and in direct messages, so
  `twitter-public-<id>` and `twitter-private-<id>` are one tenant with no link stored.
- Facebook: a commenter is known by a user id and a Messenger sender by a page-scoped
  id (PSID), and nothing in either says the other. The link is what Meta gives: the
  Send API's response to the private reply to a comment names its `recipient_id`,
  the PSID the reply reached (stored by moderation's outbox listener in
  `linked_accounts`, which this module reads). Without it nothing is linked: the first
  Messenger message after a private reply carries no reference to the comment, so
  linking by it would be a guess (docs/staff.md, "One thread per tenant").

The links live in `linked_accounts`, the table moderation already fills for strikes
(P7): it is the same fact (this commenter is this Messenger sender), learnt once, at
the same moment, and a second table would be a second copy to keep in step.

No Rasa here: a thread is read from trackers as JSON, as Rasa's HTTP API returns them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Set, Tuple

from sqlalchemy import bindparam, or_, select
from sqlalchemy.engine import Engine

from bot.events import Platform, Surface
from bot.platforms.registry import KITS, kit_for
from bot.privacy import redact
from bot.store import linked_accounts

if TYPE_CHECKING:
    from bot.handoff.handoffs import Handoff

# A tenant has a few accounts at most; a few rounds of following links find them all.
LINK_ROUNDS = 4
# Tracker events that are messages: the tenant's ("user") and ours ("bot").
MESSAGE_EVENTS = ("user", "bot")

Tracker = Mapping[str, Any]


@dataclass(frozen=True)
class ThreadMessage:
    """One message of a tenant's thread, as staff read it.

    `author` is "tenant", "assistant" or "staff"; `platform` and `surface` say where it
    was written ("facebook", "public"); `at` is in UTC; `staff` names the member of
    staff who wrote a staff message.
    """

    at: datetime
    author: str
    platform: str
    surface: str
    conversation_id: str
    text: str
    staff: str | None = None


def split_conversation_id(conversation_id: str) -> Tuple[Platform, Surface, str] | None:
    """(platform, surface, author id) of a platform conversation; None for any other
    (the local REST channel's, a test's)."""
    platform_name, _, rest = conversation_id.partition("-")
    surface_name, _, author = rest.partition("-")
    platform = Platform.named(platform_name)
    if platform in (None, Platform.REST) or surface_name not in (s.value for s in Surface):
        return None
    if not author:
        return None
    return platform, Surface(surface_name), author


def conversation_id_of(platform: Platform, surface: Surface, author_id: str) -> str:
    """The conversation of `author_id` on `platform`'s `surface` (as bot/events.py names it)."""
    return f"{platform.value}-{surface.value}-{author_id}"


class ConversationLinks:
    """The links between a tenant's public and private conversations."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def conversations_of(self, conversation_id: str) -> List[str]:
        """Every conversation of the tenant whose conversation this is, it included, sorted.

        X: the same user id on both surfaces. Facebook: the commenter's conversation and
        the Messenger conversations their private replies reached, and back again.
        """
        parsed = split_conversation_id(conversation_id)
        if parsed is None:
            return [conversation_id]
        platform, surface, author = parsed
        found: Set[Tuple[Surface, str]] = {(surface, author)}
        if KITS[platform].one_id_everywhere:
            # One user id in public and in private (X, Instagram).
            found |= {(s, author) for s in Surface}
        frontier = set(found)
        with self._engine.connect() as connection:
            for _ in range(LINK_ROUNDS):
                publics = [a for s, a in frontier if s is Surface.PUBLIC]
                privates = [a for s, a in frontier if s is Surface.PRIVATE]
                rows = connection.execute(
                    _LINKED,
                    {"platform": platform.value, "publics": publics, "privates": privates},
                ).all()
                linked = {(Surface.PUBLIC, row[0]) for row in rows}
                linked |= {(Surface.PRIVATE, row[1]) for row in rows}
                frontier = linked - found
                if not frontier:
                    break
                found |= frontier
        return sorted(conversation_id_of(platform, s, a) for s, a in found)


# Built once: it runs for every message (bot/store.py says why).
_LINKED = select(linked_accounts.c.public_id, linked_accounts.c.private_id).where(
    linked_accounts.c.platform == bindparam("platform"),
    or_(
        linked_accounts.c.public_id.in_(bindparam("publics", expanding=True)),
        linked_accounts.c.private_id.in_(bindparam("privates", expanding=True)),
    ),
)


def read_thread(
    handoff: Handoff,
    trackers: Callable[[str], Tracker],
    unmask: bool,
    links: ConversationLinks | None = None,
) -> List[ThreadMessage]:
    """Every message of every conversation of the handoff's tenant, oldest first.

    Args:
        handoff: the handoff whose tenant's thread is read.
        trackers: a conversation id -> its tracker as JSON, as Rasa's HTTP API returns
            it (`GET /conversations/<id>/tracker`).
        unmask: show personal details as written; otherwise each is replaced by its kind,
            as "[phone]" (the caller logs who unmasked what).
        links: the store's links, for a Facebook tenant's Messenger conversation; without
            them only the conversations known from ids alone are read (X's two).

    A message's author is "tenant" (a user event), "staff" (a bot event whose metadata
    says `author: staff`) or "assistant" (every other bot event).
    """
    own = handoff.conversation.conversation_id
    if handoff.conversation.is_tenancy:
        # A locked tenancy's handoff has no conversation: asking Rasa for one named by
        # the tenancy reference would start it, the reference its sender id.
        return []
    if links is not None:
        conversations = links.conversations_of(own)
    else:
        parsed = split_conversation_id(own)
        twins = {own}
        kit = kit_for(parsed[0]) if parsed is not None else None
        if parsed is not None and kit is not None and kit.one_id_everywhere:
            twins |= {conversation_id_of(parsed[0], s, parsed[2]) for s in Surface}
        conversations = sorted(twins)
    messages: List[Tuple[float, int, ThreadMessage]] = []
    for conversation_id in conversations:
        for position, event in enumerate(_events(trackers(conversation_id))):
            message = _message(conversation_id, event, unmask)
            if message is not None:
                messages.append((float(event.get("timestamp") or 0.0), position, message))
    # Stable within a conversation: two events saved in one turn may share a time.
    messages.sort(key=lambda entry: (entry[0], entry[2].conversation_id != own, entry[1]))
    return [message for _, _, message in messages]


def _events(tracker: Tracker | None) -> List[Dict[str, Any]]:
    return list((tracker or {}).get("events") or [])


def _message(conversation_id: str, event: Dict[str, Any], unmask: bool) -> ThreadMessage | None:
    kind = event.get("event")
    text = event.get("text")
    if kind not in MESSAGE_EVENTS or not text:
        return None
    metadata = event.get("metadata") or {}
    parsed = split_conversation_id(conversation_id)
    platform = parsed[0].value if parsed else str(metadata.get("platform") or Platform.REST.value)
    surface = parsed[1].value if parsed else Surface.PRIVATE.value
    if kind == "user":
        author = "tenant"
    else:
        author = "staff" if metadata.get("author") == "staff" else "assistant"
        # What screening sent privately about a public post is kept in the public
        # conversation, marked with the surface it went to.
        if metadata.get("surface") in (s.value for s in Surface):
            surface = metadata["surface"]
    return ThreadMessage(
        at=datetime.fromtimestamp(float(event.get("timestamp") or 0.0), timezone.utc),
        author=author,
        platform=platform,
        surface=surface,
        conversation_id=conversation_id,
        text=str(text) if unmask else redact(str(text)),
        staff=str(metadata["staff"]) if author == "staff" and metadata.get("staff") else None,
    )
