"""What the rest of the assistant asks of a platform: one kit per platform folder.

Screening, the staff desk, the console, the outbox and the connectors never name a
platform: they ask its kit (`bot.platforms.registry.kit_for`) where a reply goes, how
long it may be, how a post is taken out of public view, whether it can be deleted, how
its author is blocked, what undoes an action and what a call is called in the console.
A new platform is a folder with its kit, registered in `bot.platforms.registry`.

Moderation's actions are named here by their words ("hide", "delete", "block",
"report", "follow"), as `bot.moderation.log.Action` spells them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Dict, Iterable, List, Mapping, Sequence, Tuple

from bot.events import InboundEvent, Operation, Platform, Surface
from bot.outbox import Call
from bot.outbox_worker import Deliver, Lately
from bot.platforms.limits import TextLimit
from bot.platforms.payloads import SeenComment
from bot.platforms.places import Poller

if TYPE_CHECKING:  # only for the annotations: settings import nothing of the platforms
    from bot.settings import Settings


@dataclass(frozen=True)
class Said:
    """What screening says about a public post, as `bot.screening.public_threads.Wording`
    words it: in public (if anything), in private, and the public words for when the
    post could not be hidden or the private message was refused."""

    public: str | None
    private: str | None
    public_if_not_hidden: str | None = None
    public_if_private_refused: str | None = None


@dataclass(frozen=True)
class Block:
    """How a platform blocks an account: the account as its calls name it, the calls
    (none where the platform has no API for it: staff block by hand), and whether the
    platform took a report too."""

    account: str
    calls: Tuple[Call, ...]
    reported: bool = False


class PlatformKit:
    """A platform, as the rest of the assistant sees it. Subclasses fill in the rest."""

    platform: Platform
    # In the console: the platform, and where a message was written.
    name: str
    surface_names: Mapping[Surface, str]
    # What the console calls each of the platform's calls.
    operation_words: Mapping[Operation, str] = {}
    # How long a text each of its calls that carry text may be.
    limits: Mapping[Operation, TextLimit] = {}
    public_limit: TextLimit
    private_limit: TextLimit
    # What a public message is called in the words said about it ("comment", "post").
    post_word = "comment"
    # The platform has private messages (else a tenant is asked in public to contact
    # the association privately elsewhere: YouTube).
    messages = True
    # A private reply to a public post always arrives (else the public words promise none).
    private_reply_arrives = True
    # An emergency posted in public is moved to private too (X: the numbers in public).
    emergency_goes_private = False
    # A person has one id in public and in private (else a private reply links the two).
    one_id_everywhere = True
    # Comments with personal details may be deleted (after the private reply).
    deletes_comments = False
    # Its public comments are kept under the retention rule, and deleted after (P10).
    keeps_comments = False
    # A reply may go under a post taken out of public view (Facebook: its author and
    # friends still see both); elsewhere the platform refuses it.
    replies_under_hidden = False
    # Taking a post out of public view deletes it (LinkedIn has no hide).
    hide_deletes = False
    # The platform has a call to block an account (else staff block by hand).
    blocks = True
    # The calls that carry out a moderation action, and those that undo one.
    action_of: Mapping[Operation, str] = {}
    undo: Mapping[str, Operation] = {}

    def reply_route(self, event: InboundEvent) -> Tuple[Operation, str]:
        """The call that answers `event` where it was written, and its target."""
        raise NotImplementedError

    def can_hide(self, event: InboundEvent) -> bool:
        """Whether the platform lets the account hide `event` from public view."""
        return False

    def hide_calls(self, event: InboundEvent, said: Said) -> List[Call]:
        """Take `event` out of public view where the platform allows; else ask in public."""
        if said.public:
            return [self.public_call(event, said.public)]
        if said.public_if_not_hidden:
            return [self.public_call(event, said.public_if_not_hidden)]
        return []

    def public_call(self, event: InboundEvent, text: str) -> Call:
        """A reply under `event`, seen by everyone."""
        operation, target = self.reply_route(event)
        return Call(operation, target, text)

    def private_call(self, event: InboundEvent, said: Said, follow: bool) -> Call | None:
        """The private message to the author of the public post `event` (None where the
        platform has no private messages).

        `follow`: the association follows people so that they can send it messages (P8).
        """
        raise NotImplementedError

    def delete_call(self, event: InboundEvent) -> Call:
        """The call that deletes the public post `event` (where `deletes_comments`)."""
        raise NotImplementedError

    def block(self, event: InboundEvent, report: bool) -> Block:
        """How the author of `event` is blocked (and reported, where `report`)."""
        return Block(event.author_id, ())

    def limit(self, operation: Operation) -> TextLimit | None:
        """The most `operation` carries, if it carries text."""
        return self.limits.get(operation)

    def pieces(self, operation: Operation, text: str) -> List[str]:
        """`text` as the messages `operation` sends it in: one, unless the platform
        takes less than the assistant says (Instagram's direct messages)."""
        return [text]

    def deliverer(self, settings: Settings) -> Deliver | None:
        """The outbox's calls through the platform's API; None while it is off."""
        raise NotImplementedError

    def lately(self, settings: Settings) -> Lately | None:
        """How to ask the platform what the account sent lately where a call goes, for
        a call in doubt (its worker died mid-call: bot.outbox_worker); None where the
        platform cannot be asked, or while it is off: such a call is made again."""
        return None

    def missing(self, settings: Settings) -> List[str]:
        """The settings the platform needs that are not set: it is off without them."""
        raise NotImplementedError

    def poller(self, settings: Settings) -> Poller | None:
        """The reader of a platform that sends no webhook (YouTube); None for one that
        does, or while it is off."""
        return None

    def comment_listing(self, settings: Settings) -> Listing | None:
        """Every public comment on the account's posts, listed through the platform's
        API, for the retention sweep (P10): it finds those the assistant never saw
        (written before it ran, while a webhook was down, or by staff in the platform's
        own app). None where the platform keeps no comments, or while it is off."""
        return None


# A listing of an account's public comments (raises PlatformError when it cannot read).
Listing = Callable[[], Iterable[SeenComment]]


def split_to_fit(text: str, limit: TextLimit) -> List[str]:
    """`text` in as few pieces as `limit` allows, cut between paragraphs, then sentences,
    then words; a word longer than a piece is cut where it must be."""
    if limit.fits(text):
        return [text]
    pieces: List[str] = []
    current = ""
    for unit in _units(text, limit):
        joined = f"{current}{unit}" if current else unit.lstrip()
        if limit.fits(joined.rstrip()):
            current = joined
            continue
        if current.strip():
            pieces.append(current.rstrip())
        current = unit.lstrip()
    if current.strip():
        pieces.append(current.rstrip())
    return pieces


def _units(text: str, limit: TextLimit) -> Sequence[str]:
    """The pieces `split_to_fit` packs: sentences (with their spaces), and words or
    characters where a sentence alone is too long."""
    units: List[str] = []
    for sentence in _sentences(text):
        if limit.fits(sentence.strip()):
            units.append(sentence)
            continue
        for word in _keep_spaces(sentence.split(" ")):
            if limit.fits(word.strip()):
                units.append(word)
            else:
                units.extend(_characters(word, limit))
    return units


def _sentences(text: str) -> List[str]:
    found, start = [], 0
    for i, char in enumerate(text):
        ends = char in ".!?\n" and (i + 1 == len(text) or text[i + 1] in " \n")
        if ends:
            found.append(text[start : i + 1])
            start = i + 1
    if start < len(text):
        found.append(text[start:])
    return found


def _keep_spaces(words: List[str]) -> List[str]:
    return [w if i == 0 else f" {w}" for i, w in enumerate(words)]


def _characters(word: str, limit: TextLimit) -> List[str]:
    cut: List[str] = []
    current = ""
    for char in word:
        if not limit.fits(current + char) and current:
            cut.append(current)
            current = ""
        current += char
    if current:
        cut.append(current)
    return cut


Kits = Dict[Platform, PlatformKit]
KitFor = Callable[[Platform], PlatformKit]
