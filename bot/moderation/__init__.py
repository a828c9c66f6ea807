"""Moderation of public posts (P7, P10): what comes down, who is warned or blocked.

Owns the assessment of a post (`assess`, built from `lexicon`, `phrases`, `links`
and `staff_names`, with `rules` for what it is told and finds), strikes and
sanctions (`strikes`), the moderation log staff read (`log`), removing old public
comments (`retention`) and the association's moderation settings (`settings`).
The assessment only reads text; hiding, blocking and reporting are screening's.
"""

from bot.moderation.assess import assess
from bot.moderation.lexicon import has_swearing, mask_swearing, normalise
from bot.moderation.links import links
from bot.moderation.rules import (
    MODEL_REASON,
    STAFF_NAMED_REASON,
    Assessment,
    Category,
    Finding,
    ModerationRules,
    StaffMember,
)

__all__ = [
    "MODEL_REASON",
    "STAFF_NAMED_REASON",
    "Assessment",
    "Category",
    "Finding",
    "ModerationRules",
    "StaffMember",
    "assess",
    "has_swearing",
    "links",
    "mask_swearing",
    "normalise",
]
