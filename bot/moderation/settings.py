"""The association's moderation settings, from the `moderation:` part of its file.

Who moderation protects (staff named in public, P7), which web addresses are the
association's own and which are known to be malicious, the strike policy, whether
personal details are deleted as well as hidden (P5), whether the X account follows
someone so that they can send it a direct message (P8), and how long public comments
stay on each platform that allows their deletion (P10).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Mapping
from urllib.parse import urlparse

from bot.moderation import ModerationRules, StaffMember
from bot.moderation.strikes import StrikePolicy
from bot.platforms.registry import KITS

# P10: public Facebook comments are removed after three months.
RETENTION_MONTHS = 3


class ModerationConfigError(ValueError):
    """The moderation settings are malformed."""


@dataclass(frozen=True)
class ModerationSettings:
    """What moderation may do, and for whom."""

    rules: ModerationRules = field(default_factory=ModerationRules)
    strikes: StrikePolicy = field(default_factory=StrikePolicy)
    delete_personal_details: bool = True
    follow_to_receive_dms: bool = True
    comment_retention_months: int = RETENTION_MONTHS
    # The months on a platform whose period is not the default ("instagram": 6).
    comment_retention_by_platform: Mapping[str, int] = field(default_factory=dict)

    def months_to_keep(self, platform: str) -> int:
        """How long public comments stay on `platform` (P10)."""
        return self.comment_retention_by_platform.get(str(platform), self.comment_retention_months)


def parse_moderation(
    raw: Mapping[str, Any] | None, website: str, source: str = "association"
) -> ModerationSettings:
    """Build the settings from the file's `moderation:` mapping (absent: the defaults).

    The association's website is always one of its own domains.

    Raises:
        ModerationConfigError: an entry is malformed.
    """
    raw = raw or {}
    if not isinstance(raw, Mapping):
        raise ModerationConfigError(f"{source}: moderation must be a mapping")
    own = {_host(website)} | {
        str(d).lower().removeprefix("www.") for d in raw.get("own_domains") or ()
    }
    staff = tuple(_staff_member(entry, source) for entry in raw.get("staff") or ())
    strikes, default = raw.get("strikes") or {}, StrikePolicy()
    block_after = _positive(
        strikes.get("block_after", default.block_after), "strikes.block_after", source
    )
    within_days = _positive(
        strikes.get("within_days", default.within.days), "strikes.within_days", source
    )
    months = _positive(
        raw.get("remove_public_comments_after_months", RETENTION_MONTHS),
        "remove_public_comments_after_months",
        source,
    )
    by_platform = raw.get("remove_public_comments_after_months_by_platform") or {}
    if not isinstance(by_platform, Mapping):
        raise ModerationConfigError(
            f"{source}: remove_public_comments_after_months_by_platform must map platforms "
            "to months"
        )
    known = {platform.value for platform, kit in KITS.items() if kit.keeps_comments}
    unknown = sorted(str(name) for name in by_platform if str(name) not in known)
    if unknown:
        raise ModerationConfigError(
            f"{source}: remove_public_comments_after_months_by_platform names {unknown}; "
            f"comments are removed on {sorted(known)}"
        )
    by_platform = {
        str(name): _positive(
            value, f"remove_public_comments_after_months_by_platform.{name}", source
        )
        for name, value in by_platform.items()
    }
    return ModerationSettings(
        rules=ModerationRules(
            staff=staff,
            own_domains=tuple(sorted(d for d in own if d)),
            bad_domains=tuple(
                str(d).lower().removeprefix("www.") for d in raw.get("bad_domains") or ()
            ),
        ),
        strikes=StrikePolicy(block_after=block_after, within=timedelta(days=within_days)),
        delete_personal_details=bool(raw.get("delete_personal_details", True)),
        follow_to_receive_dms=bool(raw.get("follow_to_receive_dms", True)),
        comment_retention_months=months,
        comment_retention_by_platform=by_platform,
    )


def _host(url: str) -> str:
    return (urlparse(url).hostname or "").lower().removeprefix("www.")


def _staff_member(raw: Any, source: str) -> StaffMember:
    if isinstance(raw, str):
        raw = {"name": raw}
    name = str((raw or {}).get("name") or "").strip() if isinstance(raw, Mapping) else ""
    if len(name.split()) < 2:
        raise ModerationConfigError(f"{source}: each moderation.staff entry needs a full name")
    aliases = tuple(str(a).strip() for a in raw.get("aliases") or () if str(a).strip())
    return StaffMember(name=name, aliases=aliases)


def _positive(value: Any, key: str, source: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise ModerationConfigError(f"{source}: moderation.{key} must be a whole number above 0")
    return number
