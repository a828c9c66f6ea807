"""The sandbox's world: the association's Facebook page, X account, Instagram account,
YouTube channel and LinkedIn page as a tenant sees them, kept in memory in the staff app.

Tenants (personas) write here first; the sandbox page then posts what they wrote to the
Rasa server's webhook (Facebook, X, Instagram), or the Rasa server's poller reads it
through the stand-in (YouTube and LinkedIn, which send no webhook). The assistant's
platform calls come back through the stand-in (standin.py) and change the world as the
platforms would: a hidden comment disappears, a private reply lands in the commenter's
Messenger (or Instagram) conversation, a public reply sits under the comment. The world
never calls anything; it is safe to use from several threads at once.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Callable, Dict, Iterable, List, Tuple

from bot.sandbox.mode import ACCOUNT_HANDLE, PAGE_ID

Clock = Callable[[], datetime]


class Author(str, Enum):
    """Who wrote something, as the sandbox page marks it."""

    TENANT = "tenant"
    ASSISTANT = "assistant"
    STAFF = "staff"


class Pane(str, Enum):
    """The panes of the sandbox page."""

    FACEBOOK = "facebook"
    MESSENGER = "messenger"
    X_TIMELINE = "x-timeline"
    X_DMS = "x-dms"
    INSTAGRAM = "instagram"
    INSTAGRAM_DMS = "instagram-dms"
    YOUTUBE = "youtube"
    LINKEDIN = "linkedin"


# The panes with the association's posts (or videos) that tenants comment on.
COMMENT_PANES = (Pane.FACEBOOK, Pane.INSTAGRAM, Pane.YOUTUBE, Pane.LINKEDIN)


@dataclass(frozen=True)
class Persona:
    """Someone who writes to the association: their name and platform ids.

    Attributes:
        key: how the sandbox names them ("margaret").
        name: their display name.
        about: who they are, for the person choosing ("tenant of TEN-204817").
        facebook_id: their Facebook user id, as page comments carry it.
        psid: their page-scoped Messenger id, which a private reply to their comment
            answers with, so that their comments and messages are one thread.
        x_id: their X user id.
        handle: their X screen name, and their Instagram and YouTube handle.
        instagram_id: their Instagram-scoped id (IGSID), as comments and DMs carry it.
        youtube_id: their YouTube channel id.
        linkedin_id: their LinkedIn member URN.
    """

    key: str
    name: str
    about: str
    facebook_id: str
    psid: str
    x_id: str
    handle: str
    instagram_id: str = ""
    youtube_id: str = ""
    linkedin_id: str = ""


def _ids(serial: str) -> Dict[str, str]:
    """Every platform id of the person numbered `serial` (16 digits)."""
    return {
        "facebook_id": f"31{serial}",
        "psid": f"32{serial}",
        "x_id": f"33{serial}",
        "instagram_id": f"34{serial}",
        # A channel id is "UC" and 22 characters.
        "youtube_id": f"UCsandbox{serial[-13:]}",
        "linkedin_id": f"urn:li:person:sb{serial}",
    }


def _persona(number: int, key: str, name: str, about: str, handle: str) -> Persona:
    return Persona(key, name, about, handle=handle, **_ids(f"{number:016d}"))


# The demo tenancies' people (docs/staff.md, "Demo tenancies") and a member of the public.
PERSONAS = (
    _persona(1, "margaret", "Margaret Thompson", "tenant of TEN-204817", "maggie_t"),
    _persona(2, "daniel-t", "Daniel Thompson", "Margaret's son, for her rent", "dan_thompson"),
    _persona(3, "priya", "Priya Sharma", "joint tenant of TEN-318552", "priya_s"),
    _persona(4, "tom", "Tom Walsh", "joint tenant of TEN-318552", "tomwalsh88"),
    _persona(5, "daniel-o", "Daniel Okafor", "tenant of TEN-450091", "d_okafor"),
    _persona(6, "grace", "Grace Okafor", "Daniel Okafor's sister, for repairs", "grace_ok"),
    _persona(7, "public", "Sam Rivers", "a member of the public", "samrivers"),
)
# The page's own posts, newest first, that tenants comment on.
POSTS = (
    ("post-bins", "Bin collections change over Christmas: check your new day before 24 December."),
    ("post-rent", "Rent statements for the new year go out in January. Questions? Message us."),
    ("post-garden", "Well done to everyone at Ashdown Court for the community garden!"),
)
# The Instagram account's post, the YouTube channel's video and the LinkedIn page's
# post, with ids shaped as each platform's are.
INSTAGRAM_POSTS = (
    ("17900000000000042", "Spring planting at Ashdown Court: thank you to every green thumb!"),
)
YOUTUBE_VIDEOS = (("sbRadiator1", "How to bleed a radiator: a two-minute guide from our team."),)
LINKEDIN_POSTS = (
    ("urn:li:share:7000000000000000042", "We are hiring: two repairs planners for our team."),
)
PAGE_NAME = "The housing association"
# Ids: each world draws one of RUNS numbers, and counts up to PER_RUN ids under it.
RUNS = 10**9
PER_RUN = 10**7
# What the world keeps, at most, so that a sandbox left running for weeks stays small:
# the latest messages of each private conversation, the latest comments (with the
# page's replies) and tweets, the latest notices, and the fresh personas of the latest
# guided scenarios (with everything they wrote and were sent).
MAX_THREAD = 100
MAX_PUBLIC = 300
MAX_NOTICES = 100
MAX_GUESTS = 20


@dataclass(frozen=True)
class Item:
    """One thing written: a comment or reply, a message, a tweet.

    `target` is what it answers (a comment, a tweet) or sits under (a post); `persona`
    the tenant it is by or to.
    """

    id: str
    author: Author
    who: str
    text: str
    at: datetime
    persona: str | None = None
    target: str | None = None
    hidden: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class Notice:
    """Something a platform shows in no thread: a block, a follow, a report."""

    at: datetime
    pane: Pane
    text: str


@dataclass(frozen=True)
class Thread:
    """One private conversation (Messenger or X DMs) with one person."""

    key: str
    name: str
    persona: str | None
    items: Tuple[Item, ...]


@dataclass(frozen=True)
class PostView:
    """One of the page's posts with its comments, each followed by its replies."""

    id: str
    text: str
    at: datetime
    comments: Tuple[Tuple[Item, Tuple[Item, ...]], ...]


@dataclass(frozen=True)
class View:
    """What the sandbox page shows, at one moment."""

    version: int
    posts: Tuple[PostView, ...]
    messenger: Tuple[Thread, ...]
    timeline: Tuple[Tuple[Item, Tuple[Item, ...]], ...]
    dms: Tuple[Thread, ...]
    notices: Tuple[Notice, ...]
    instagram: Tuple[PostView, ...] = ()
    instagram_dms: Tuple[Thread, ...] = ()
    youtube: Tuple[PostView, ...] = ()
    linkedin: Tuple[PostView, ...] = ()

    def removed(self) -> List[Item]:
        """Every hidden or deleted comment and tweet, for the notes of why."""
        every = self.posts + self.instagram + self.youtube + self.linkedin
        found = [c for post in every for c, _ in post.comments]
        found += [t for t, _ in self.timeline]
        return [i for i in found if i.hidden or i.deleted]


class UnknownPersona(KeyError):
    """No persona has that key."""


class AlreadyReplied(Exception):
    """Instagram allows one private reply to a comment, and it was sent."""


@dataclass
class World:
    """The page, the account and everyone's conversations with them."""

    clock: Clock
    personas: Dict[str, Persona] = field(default_factory=lambda: {p.key: p for p in PERSONAS})
    page_id: str = PAGE_ID

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        # Every id this world hands out holds a random number of its own: the store
        # outlives a restart, drops an event id it has seen as a redelivery and
        # remembers an account's strikes and block, so no id may repeat an earlier run's.
        self._run = secrets.randbelow(RUNS)
        self._ids = itertools.count(1)
        self._version = 0
        start = self.clock()
        # Every pane's posts (and videos), and the pane each is on.
        self._posts: Dict[str, Item] = {}
        self._pane_of: Dict[str, Pane] = {}
        for pane, posts in (
            (Pane.FACEBOOK, POSTS),
            (Pane.INSTAGRAM, INSTAGRAM_POSTS),
            (Pane.YOUTUBE, YOUTUBE_VIDEOS),
            (Pane.LINKEDIN, LINKEDIN_POSTS),
        ):
            for n, (post_id, text) in enumerate(posts):
                at = start - timedelta(days=n + 1)
                self._posts[post_id] = Item(post_id, Author.STAFF, PAGE_NAME, text, at)
                self._pane_of[post_id] = pane
        # Comments and replies on every pane's posts, and tweets, in the order they came.
        self._comments: List[Item] = []
        self._tweets: List[Item] = []
        # Private conversations by the tenant's Messenger id, X id or Instagram id.
        self._messenger: Dict[str, List[Item]] = {}
        self._dms: Dict[str, List[Item]] = {}
        self._instagram_dms: Dict[str, List[Item]] = {}
        # The Instagram comments that had their one private reply.
        self._replied_privately: set[str] = set()
        self._notices: List[Notice] = []
        # How many times the assistant or staff acted on each persona's account.
        self._answers: Dict[str, int] = {}
        # The guided scenarios' fresh personas, oldest first.
        self._guests: List[str] = []

    # -- people ------------------------------------------------------------------

    def persona(self, key: str) -> Persona:
        """The persona `key`."""
        with self._lock:
            if key not in self.personas:
                raise UnknownPersona(key)
            return self.personas[key]

    def people(self) -> List[Persona]:
        """Everyone who can write, the demo tenancies' people first."""
        with self._lock:
            return list(self.personas.values())

    def newcomer(self, like: str, label: str) -> Persona:
        """A new persona with `like`'s name and fresh platform ids, as a guided scenario
        uses: what an earlier run did (strikes, a block, failed checks) does not count."""
        base = self.persona(like)
        serial = self._serial()
        # Platform user ids are decimal, up to 19 digits; X screen names 15 characters.
        fresh = Persona(
            f"{like}-{serial}",
            base.name,
            label,
            handle=f"{base.handle[:9]}{serial % 1_000_000:06d}",
            **_ids(f"{serial:016d}"),
        )
        with self._lock:
            self.personas[fresh.key] = fresh
            self._guests.append(fresh.key)
            while len(self._guests) > MAX_GUESTS:
                self._forget(self._guests.pop(0))
            self._changed()
        return fresh

    def answers(self, persona: str) -> int:
        """How many times the platforms were asked to do something about `persona`: a
        scenario waits for this to grow between its steps."""
        with self._lock:
            return self._answers.get(persona, 0)

    # -- what tenants write ----------------------------------------------------------

    def comment(self, persona: str, post_id: str, text: str) -> Item:
        """`persona` comments on the post (or video) `post_id`, on whichever pane it is."""
        who = self.persona(persona)
        with self._lock:
            if post_id not in self._posts:
                raise KeyError(post_id)
            # Instagram and YouTube show a handle; Facebook and LinkedIn a name.
            by_handle = self._pane_of[post_id] in (Pane.INSTAGRAM, Pane.YOUTUBE)
            name = f"@{who.handle}" if by_handle else who.name
            item_id = self._comment_id(post_id, post_id)
            item = Item(item_id, Author.TENANT, name, text, self.clock(), who.key, post_id)
            _append(self._comments, item, MAX_PUBLIC)
            self._changed()
        return item

    def message(self, persona: str, text: str) -> Item:
        """`persona` sends the page a Messenger message."""
        who = self.persona(persona)
        with self._lock:
            item = Item(f"m_{self._id('sb')}", Author.TENANT, who.name, text, self.clock(), who.key)
            _append(self._messenger.setdefault(who.psid, []), item, MAX_THREAD)
            self._changed()
        return item

    def mention(self, persona: str, text: str) -> Item:
        """`persona` posts a tweet that mentions the account."""
        who = self.persona(persona)
        if f"@{ACCOUNT_HANDLE}" not in text:
            text = f"@{ACCOUNT_HANDLE} {text}"
        with self._lock:
            item = Item(self._number(), Author.TENANT, who.name, text, self.clock(), who.key)
            _append(self._tweets, item, MAX_PUBLIC)
            self._changed()
        return item

    def instagram_message(self, persona: str, text: str) -> Item:
        """`persona` sends the Instagram account a direct message."""
        who = self.persona(persona)
        with self._lock:
            item_id, handle = f"aWdf{self._number()}", f"@{who.handle}"
            item = Item(item_id, Author.TENANT, handle, text, self.clock(), who.key)
            _append(self._instagram_dms.setdefault(who.instagram_id, []), item, MAX_THREAD)
            self._changed()
        return item

    def direct_message(self, persona: str, text: str) -> Item:
        """`persona` sends the account an X direct message."""
        who = self.persona(persona)
        with self._lock:
            item = Item(f"dm{self._number()}", Author.TENANT, who.name, text, self.clock(), who.key)
            _append(self._dms.setdefault(who.x_id, []), item, MAX_THREAD)
            self._changed()
        return item

    # -- what the platforms are asked to do ---------------------------------------------

    def page_post(self, text: str, author: Author) -> str:
        """The page posts on its feed (a service alert); returns the post's id. It is
        shown first, as the newest."""
        with self._lock:
            post = Item(self._id(self.page_id), author, PAGE_NAME, text, self.clock())
            self._posts = {post.id: post, **self._posts}
            self._pane_of[post.id] = Pane.FACEBOOK
            self._changed()
        return post.id

    def public_reply(self, target: str, text: str, author: Author) -> str | None:
        """The association replies under comment (or post, or video) `target`, on its
        pane; returns the reply's id, or None when `target` is nowhere."""
        with self._lock:
            parent = self._find(self._comments, target)
            post = self._post_of(target)
            if post is None:
                return None
            item = Item(
                self._comment_id(post, target),
                author,
                PAGE_NAME,
                text,
                self.clock(),
                parent.persona if parent else None,
                target,
            )
            _append(self._comments, item, MAX_PUBLIC)
            self._answered(item.persona)
        return item.id

    def private_reply(self, target: str, text: str, author: Author) -> str | None:
        """The page answers comment `target`'s author in Messenger; returns their
        Messenger id when the comment is known (as the Send API does)."""
        with self._lock:
            parent = self._find(self._comments, target)
            persona = self.personas.get(parent.persona) if parent and parent.persona else None
            key = persona.psid if persona else f"comment:{target}"
            item = Item(
                f"m_{self._id('sb')}",
                author,
                PAGE_NAME,
                text,
                self.clock(),
                persona.key if persona else None,
                target,
            )
            _append(self._messenger.setdefault(key, []), item, MAX_THREAD)
            self._answered(item.persona)
        return persona.psid if persona else None

    def instagram_private_reply(self, target: str, text: str, author: Author) -> str | None:
        """The account answers Instagram comment `target`'s author in their DMs, once
        per comment; returns their Instagram id, or None for an unknown comment.

        Raises:
            AlreadyReplied: the comment had its one private reply.
        """
        with self._lock:
            parent = self._find(self._comments, target)
            persona = self.personas.get(parent.persona) if parent and parent.persona else None
            if persona is None:
                return None
            if target in self._replied_privately:
                raise AlreadyReplied(target)
            self._replied_privately.add(target)
            item = Item(
                f"aWdf{self._number()}", author, PAGE_NAME, text, self.clock(), persona.key, target
            )
            _append(self._instagram_dms.setdefault(persona.instagram_id, []), item, MAX_THREAD)
            self._answered(persona.key)
        return persona.instagram_id

    def send_instagram(self, igsid: str, text: str, author: Author) -> str:
        """The account sends an Instagram direct message to `igsid`; returns its id."""
        with self._lock:
            persona = self._by(lambda p: p.instagram_id == igsid)
            item_id = f"aWdf{self._number()}"
            return self._send(self._instagram_dms, igsid, persona, item_id, PAGE_NAME, text, author)

    def send_message(self, psid: str, text: str, author: Author) -> str:
        """The page sends a Messenger message to `psid`; returns its id."""
        with self._lock:
            persona = self._by(lambda p: p.psid == psid)
            item_id = f"m_{self._id('sb')}"
            return self._send(self._messenger, psid, persona, item_id, PAGE_NAME, text, author)

    def set_comment(self, target: str, hidden: bool | None = None, deleted: bool = False) -> bool:
        """A comment hidden, shown again, or deleted; whether it was there."""
        with self._lock:
            return self._update(self._comments, target, hidden, deleted)

    def tweet(self, text: str, reply_to: str | None, author: Author) -> str:
        """The account posts, in reply to `reply_to` if given; returns the tweet's id."""
        with self._lock:
            parent = self._find(self._tweets, reply_to) if reply_to else None
            item = Item(
                self._number(),
                author,
                f"@{ACCOUNT_HANDLE}",
                text,
                self.clock(),
                parent.persona if parent else None,
                reply_to,
            )
            _append(self._tweets, item, MAX_PUBLIC)
            self._answered(item.persona)
        return item.id

    def set_tweet(self, target: str, hidden: bool) -> None:
        """A reply to the account's conversation hidden or shown again."""
        with self._lock:
            self._update(self._tweets, target, hidden, False)

    def send_dm(self, user_id: str, text: str, author: Author) -> str:
        """The account sends an X direct message to `user_id`; returns its event id."""
        with self._lock:
            persona = self._by(lambda p: p.x_id == user_id)
            by = f"@{ACCOUNT_HANDLE}"
            return self._send(self._dms, user_id, persona, f"dm{self._number()}", by, text, author)

    def notice(self, pane: Pane, what: str, account: str) -> None:
        """Note a block, follow or report of `account` (a platform id), e.g. "blocked"."""
        with self._lock:
            persona = self._by(
                lambda p: account in (p.facebook_id, p.psid, p.x_id, p.instagram_id, p.youtube_id)
            )
            name = persona.name if persona else f"account {account}"
            by = f"@{ACCOUNT_HANDLE}" if pane in (Pane.X_TIMELINE, Pane.X_DMS) else PAGE_NAME
            _append(self._notices, Notice(self.clock(), pane, f"{by} {what} {name}"), MAX_NOTICES)
            self._answered(persona.key if persona else None)

    # -- reading ---------------------------------------------------------------------

    def view(self) -> View:
        """Everything, as the page shows it."""
        with self._lock:
            on = {
                pane: tuple(
                    PostView(post.id, post.text, post.at, self._threaded(self._comments, post.id))
                    for post in self._posts.values()
                    if self._pane_of[post.id] is pane
                )
                for pane in COMMENT_PANES
            }
            roots = [
                t
                for t in self._tweets
                if t.target is None or self._find(self._tweets, t.target) is None
            ]
            timeline = tuple(
                (root, tuple(t for t in self._tweets if t.target == root.id))
                for root in reversed(roots)
            )
            return View(
                self._version,
                on[Pane.FACEBOOK],
                self._threads(self._messenger, lambda p, key: p.psid == key),
                timeline,
                self._threads(self._dms, lambda p, key: p.x_id == key),
                tuple(reversed(self._notices)),
                on[Pane.INSTAGRAM],
                self._threads(self._instagram_dms, lambda p, key: p.instagram_id == key),
                on[Pane.YOUTUBE],
                on[Pane.LINKEDIN],
            )

    def page_comments(self, pane: Pane = Pane.FACEBOOK) -> List[Tuple[str, Item]]:
        """Every comment and reply on `pane`'s posts not deleted, with its post, in the
        order they came, for the platforms' listings."""
        with self._lock:
            found = []
            for item in self._comments:
                post = self._post_of(item.target)
                if post is not None and self._pane_of[post] is pane and not item.deleted:
                    found.append((post, item))
            return found

    def post_ids(self, pane: Pane = Pane.FACEBOOK) -> List[Tuple[str, datetime]]:
        """`pane`'s posts and when each was made."""
        with self._lock:
            return [(p.id, p.at) for p in self._posts.values() if self._pane_of[p.id] is pane]

    def pane_of(self, item_id: str) -> Pane | None:
        """The pane a post, comment or reply is on; None for one nowhere."""
        with self._lock:
            post = self._post_of(item_id)
            return self._pane_of[post] if post is not None else None

    def post_of(self, item_id: str) -> str | None:
        """The post (or video) a comment or reply is under; None for one nowhere."""
        with self._lock:
            return self._post_of(item_id)

    def find(self, item_id: str) -> Item | None:
        """The comment or reply `item_id`, deleted or not."""
        with self._lock:
            return self._find(self._comments, item_id)

    def commenter_id(self, item: Item) -> str:
        """The Facebook id `item` is by: its persona's, or the page's."""
        return self.author_id(item, "facebook_id", self.page_id)

    def author_id(self, item: Item, platform_id: str, own: str) -> str:
        """The platform id (a Persona field, "youtube_id") of the tenant who wrote
        `item`; `own` for the association's own, or a persona since forgotten."""
        with self._lock:
            persona = self.personas.get(item.persona or "")
            if item.author is not Author.TENANT or persona is None:
                return own
            return str(getattr(persona, platform_id))

    # -- inside ----------------------------------------------------------------------

    def _serial(self) -> int:
        """A number no other world gives: this world's own, then a count."""
        return self._run * PER_RUN + next(self._ids) % PER_RUN

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{self._serial()}"

    def _comment_id(self, post: str, parent: str) -> str:
        """A new comment's id under `parent` (the post or a comment), as its platform
        writes one."""
        pane = self._pane_of[post]
        if pane is Pane.INSTAGRAM:
            return str(17_800_000_000_000_000 + self._serial())
        if pane is Pane.YOUTUBE:
            # A reply's id is its thread's, a dot, and its own.
            return f"{parent}.sb{self._serial()}" if parent != post else f"Ugsb{self._serial()}"
        if pane is Pane.LINKEDIN:
            return f"urn:li:comment:({post},{self._serial()})"
        return self._id(parent)

    def _post_of(self, item_id: str | None) -> str | None:
        """The post a comment, reply or post is under (itself for a post)."""
        post = item_id
        while post not in self._posts and post is not None:
            parent = self._find(self._comments, post)
            post = parent.target if parent else None
        return post

    def _number(self) -> str:
        # X ids are decimal numbers within 64 bits, as a snowflake id is.
        return str(1_000_000_000_000_000_000 + self._serial())

    def _changed(self) -> None:
        self._version += 1

    def _forget(self, key: str) -> None:
        """Let a guided scenario's persona go, with all it wrote and was sent."""
        persona = self.personas.pop(key, None)
        self._answers.pop(key, None)
        if persona is None:
            return
        self._messenger.pop(persona.psid, None)
        self._dms.pop(persona.x_id, None)
        self._instagram_dms.pop(persona.instagram_id, None)
        self._comments[:] = [i for i in self._comments if i.persona != key]
        self._tweets[:] = [i for i in self._tweets if i.persona != key]

    def _send(
        self,
        threads: Dict[str, List[Item]],
        key: str,
        persona: Persona | None,
        item_id: str,
        by: str,
        text: str,
        author: Author,
    ) -> str:
        """The association's message `item_id` in the private conversation `key` (with
        the lock held); returns its id."""
        item = Item(item_id, author, by, text, self.clock(), persona.key if persona else None)
        _append(threads.setdefault(key, []), item, MAX_THREAD)
        self._answered(item.persona)
        return item.id

    def _answered(self, persona: str | None) -> None:
        if persona is not None:
            self._answers[persona] = self._answers.get(persona, 0) + 1
        self._changed()

    def _by(self, match: Callable[[Persona], bool]) -> Persona | None:
        return next((p for p in self.personas.values() if match(p)), None)

    @staticmethod
    def _find(items: Iterable[Item], item_id: str | None) -> Item | None:
        return next((i for i in items if i.id == item_id), None)

    def _update(self, items: List[Item], target: str, hidden: bool | None, deleted: bool) -> bool:
        for n, item in enumerate(items):
            if item.id == target:
                changed = replace(item, deleted=item.deleted or deleted)
                if hidden is not None:
                    changed = replace(changed, hidden=hidden)
                items[n] = changed
                self._answered(item.persona)
                return True
        return False

    def _threaded(self, items: List[Item], root: str) -> Tuple[Tuple[Item, Tuple[Item, ...]], ...]:
        tops = [i for i in items if i.target == root]
        return tuple((top, tuple(i for i in items if i.target == top.id)) for top in tops)

    def _threads(
        self, threads: Dict[str, List[Item]], owns: Callable[[Persona, str], bool]
    ) -> Tuple[Thread, ...]:
        found = []
        for key, items in threads.items():
            persona = self._by(lambda p, key=key: owns(p, key))
            name = persona.name if persona else "someone outside the sandbox"
            found.append(Thread(key, name, persona.key if persona else None, tuple(items)))
        # The latest conversation first, as an inbox lists them.
        return tuple(sorted(found, key=lambda t: t.items[-1].at, reverse=True))


def _append(items: List[Any], item: Any, most: int) -> None:
    """Add `item`, letting the oldest go beyond `most`."""
    items.append(item)
    del items[:-most]
