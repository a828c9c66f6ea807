"""Every platform the assistant serves, by its kit (bot.platforms.kit): the one place a
platform is registered. A new platform is its folder, its settings (bot.settings), its
input channel (bot.channels, credentials.yml), its member of `bot.events.Platform`
and a line here.
"""

from __future__ import annotations

from typing import Dict, Iterable

from bot.events import Operation, Platform, Surface
from bot.platforms.facebook.kit import KIT as FACEBOOK
from bot.platforms.instagram.kit import KIT as INSTAGRAM
from bot.platforms.kit import PlatformKit
from bot.platforms.limits import TextLimit
from bot.platforms.linkedin.kit import KIT as LINKEDIN
from bot.platforms.x.kit import KIT as X
from bot.platforms.youtube.kit import KIT as YOUTUBE

KITS: Dict[Platform, PlatformKit] = {
    kit.platform: kit for kit in (FACEBOOK, X, INSTAGRAM, YOUTUBE, LINKEDIN)
}


def kit_for(platform: Platform | str) -> PlatformKit | None:
    """The kit of `platform`; None for what is no platform (the local REST chat, staff
    alerts)."""
    named = Platform.named(platform)
    return KITS.get(named) if named is not None else None


def platforms() -> Iterable[Platform]:
    """The platforms served, in the order the console lists them."""
    return tuple(KITS)


def limit_for(platform: Platform | str, surface: Surface | str) -> TextLimit:
    """The limit of a reply on `platform` and `surface`."""
    kit = KITS[Platform(platform)]
    return kit.public_limit if Surface(surface) is Surface.PUBLIC else kit.private_limit


def limit_of(platform: Platform | str, operation: Operation) -> TextLimit | None:
    """The most `operation` carries on `platform`, if it carries text."""
    kit = kit_for(platform)
    return kit.limit(operation) if kit is not None else None
