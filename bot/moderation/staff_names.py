"""Posts that name or identify a member of staff (P7): names, aliases, first name and role."""

from __future__ import annotations

import re

from bot.moderation.lexicon import plain
from bot.moderation.phrases import ROLES, STAFF
from bot.moderation.rules import ModerationRules
from bot.privacy import normalise as visible

# Staff -----------------------------------------------------------------------------
_INTRODUCES_SELF = re.compile(r"(?:my\s+name\s+is|my\s+name's|i\s+am|i'?m|this\s+is|call\s+me)\s+$")


def staff_names(rules: ModerationRules) -> re.Pattern[str] | None:
    """Full names or aliases, or a staff first name right next to a role word."""
    # Read as posts are: "Siân" is found written "Sian" too.
    names = [
        visible.fold_lookalikes(n) for m in rules.staff for n in (m.name, *m.aliases) if n.split()
    ]
    if not names:
        return None
    full = "|".join(r"\s+".join(re.escape(p) for p in plain(n).split()) for n in names)
    first = "|".join(dict.fromkeys(re.escape(plain(n).split()[0]) for n in names))
    return re.compile(
        (
            rf"(?<![\w'])(?:{full})(?!\w)|(?<![\w'])(?:{first}),? (?:(?:the|our|your|ur|my) )?"
            rf"(?:{ROLES})\b|\b(?:{ROLES}),? (?:{first})(?!\w)|(?<![\w'])(?:{first}) (?:from|on"
            rf"|at) (?:the )?(?:office|repairs|housing|reception|front desk|phones?)\b"
        ).replace(" ", r"\s+")
    )


def names_staff(text: str, names: re.Pattern[str] | None) -> bool:
    """Whether `text` names a member of staff (`names`: from `staff_names`)."""
    # A tenant who shares a name with staff may still introduce themselves.
    return names is not None and any(
        not _INTRODUCES_SELF.search(text[: m.start()]) for m in names.finditer(text)
    )


def refers_to_staff(sentence: str, names: re.Pattern[str] | None) -> bool:
    """Whether `sentence` is about staff: a role word or a staff member's name."""
    return bool(STAFF.search(sentence)) or names_staff(sentence, names)
