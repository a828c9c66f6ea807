"""Strikes and sanctions for posts that break the rules (P7).

Zero tolerance for threats or abuse towards staff: the author is blocked at once and
flagged for staff. Other abuse, hate, sexual content and spam earn a strike; enough
strikes within the policy's window block the author, report them to the platform and
flag them for staff. Swearing alone, a suspicious link alone, a member of staff named
in a civil post for the first time, or abuse that only the model read, is removed (in
public) but earns no strike: it is not shown malice. Naming staff again after that
warning does earn one, since the policy blocks "anyone who keeps posting such comments".
Strikes count per person: the log adds up the accounts it knows to be one person's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from bot.moderation import MODEL_REASON, Assessment, Category

# What earns a strike: malice, not a swear word or a link on its own.
STRIKE_CATEGORIES = frozenset(
    {Category.ABUSE, Category.THREAT, Category.HATE, Category.SEXUAL, Category.SPAM}
)


@dataclass(frozen=True)
class StrikePolicy:
    """How many strikes, within how long, block an author."""

    block_after: int = 3
    within: timedelta = timedelta(days=90)


@dataclass(frozen=True)
class Sanction:
    """What happens to the author of a post, beyond removing the post."""

    strike: bool = False
    block: bool = False
    report: bool = False
    flag: bool = False
    reason: str = ""


def sanction(
    assessment: Assessment,
    earlier_strikes: Sequence[datetime],
    now: datetime,
    policy: StrikePolicy,
    earlier_staff_named: Sequence[datetime] = (),
) -> Sanction:
    """The sanction for a post, given when its author's earlier strikes were.

    Args:
        assessment: What moderation found in the post.
        earlier_strikes: When the author's earlier strikes (not undone) were made.
        now: When the post came.
        policy: The association's strike policy.
        earlier_staff_named: When the author was warned before for naming staff; naming
            staff again within the policy's window earns a strike ("we'll block anyone
            who keeps posting such comments").
    """
    if assessment.towards_staff:
        return Sanction(
            strike=True,
            block=True,
            flag=True,
            reason="threat or abuse towards staff: zero tolerance",
        )
    # Strikes need the words that show malice: the model's reading alone can be wrong,
    # and three wrong readings must not block a tenant.
    shown = {f.category for f in assessment.findings if f.reason != MODEL_REASON}
    named_again = Category.STAFF_NAMED in shown and any(
        now - t <= policy.within for t in earlier_staff_named
    )
    if not (shown & STRIKE_CATEGORIES or named_again):
        return Sanction()
    recent = [t for t in earlier_strikes if now - t <= policy.within]
    count = len(recent) + 1
    if count >= policy.block_after:
        days = policy.within.days
        return Sanction(
            strike=True,
            block=True,
            report=True,
            flag=True,
            reason=f"{count} strikes within {days} days",
        )
    return Sanction(strike=True, reason=f"strike {count} of {policy.block_after}")
