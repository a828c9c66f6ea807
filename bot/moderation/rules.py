"""What moderation is told and what it finds (P7): rules in, an assessment out.

The association's staff and domains (`ModerationRules`, `StaffMember`), and each
reason a post comes down (`Finding`, `Category`, `Assessment`). No Rasa here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# The reason given when only the model read abuse in a post (its `abuse` intent).
MODEL_REASON = "abusive message"
# The reason given for a post that names staff; the log finds earlier warnings by it.
STAFF_NAMED_REASON = "names or identifies a member of staff"


class Category(str, Enum):
    """What kind of content a finding is."""

    ABUSE = "abuse"
    THREAT = "threat"
    OBSCENE = "obscene"
    SEXUAL = "sexual"
    HATE = "hate"
    STAFF_NAMED = "staff_named"
    SPAM = "spam"
    SUSPICIOUS_LINK = "suspicious_link"


DEFAULT_SHORTENERS = tuple(
    (
        "bit.ly tinyurl.com goo.gl ow.ly is.gd buff.ly rb.gy cutt.ly shorturl.at tiny.cc "
        "t.ly rebrand.ly s.id t.co v.gd bl.ink lnkd.in shorte.st adf.ly tiny.one qrco.de "
        "x.co"
    ).split()
)
# Top-level domains that cost next to nothing and carry much of the spam: a link to one
# is a signal, not a reason on its own.
DEFAULT_RISKY_TLDS = tuple(
    ("xyz top click link tk ml ga cf gq icu buzz pw loan win su rest cam monster").split()
)
DEFAULT_TRUSTED = tuple(
    (
        "gov.uk nhs.uk police.uk citizensadvice.org.uk shelter.org.uk "
        "housing-ombudsman.org.uk moneyhelper.org.uk stepchange.org samaritans.org "
        "bbc.co.uk"
    ).split()
)


@dataclass(frozen=True)
class StaffMember:
    """A member of staff whose name must not appear in public posts.

    Attributes:
        name: Their full name, e.g. "Karen Holt".
        aliases: Other ways tenants write them, e.g. ("Kaz Holt",).
    """

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModerationRules:
    """What the association configures: its staff and the websites it trusts.

    Attributes:
        staff: Staff who must not be named.
        own_domains: The association's domains; their subdomains count as its own.
        shorteners: URL shorteners, which hide where a link goes.
        trusted_domains: Well-known safe sites a tenant may cite (with subdomains).
        bad_domains: Sites known to be malicious (with subdomains): always removed.
        risky_tlds: Top-level domains where a link counts as a sign of spam.
    """

    staff: tuple[StaffMember, ...] = ()
    own_domains: tuple[str, ...] = ()
    shorteners: tuple[str, ...] = DEFAULT_SHORTENERS
    trusted_domains: tuple[str, ...] = DEFAULT_TRUSTED
    bad_domains: tuple[str, ...] = ()
    risky_tlds: tuple[str, ...] = DEFAULT_RISKY_TLDS


@dataclass(frozen=True)
class Finding:
    """One reason for removing a post.

    Attributes:
        category: What kind of content it is.
        reason: For staff, in fixed words; never the offending word or personal details.
        towards_staff: Aimed at staff, which P7 treats with zero tolerance.
    """

    category: Category
    reason: str
    towards_staff: bool = False


# Only these may be aimed at staff; naming staff or posting spam is not abuse of them.
_AGGRESSIVE = frozenset(
    {Category.ABUSE, Category.THREAT, Category.OBSCENE, Category.SEXUAL, Category.HATE}
)


@dataclass(frozen=True)
class Assessment:
    """Everything moderation found in one post."""

    findings: tuple[Finding, ...]

    @property
    def remove(self) -> bool:
        """Whether the post comes down (anything at all was found)."""
        return bool(self.findings)

    @property
    def towards_staff(self) -> bool:
        """Whether abuse, threats, obscenity, sexual content or hate is aimed at staff."""
        return any(f.towards_staff and f.category in _AGGRESSIVE for f in self.findings)

    @property
    def categories(self) -> frozenset[Category]:
        """The kinds of content found."""
        return frozenset(f.category for f in self.findings)

    def reasons(self) -> str:
        """The distinct reasons, in the order found, joined with "; "."""
        return "; ".join(dict.fromkeys(f.reason for f in self.findings))
