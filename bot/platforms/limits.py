"""How long a message each platform accepts, where it goes: the one place they are written.

| where | at most | counted as |
| --- | --- | --- |
| a Facebook comment (a public reply) | 8,000 characters | characters |
| Messenger (a message, or a private reply to a comment) | 2,000 characters | characters |
| an X post (a public reply) | 280 | X's weighted length (`bot.platforms.x.text`) |
| an X direct message | 10,000 characters | characters |

Instagram's are its kit's (bot/platforms/instagram/kit.py). Which limit a call or a
surface has on each platform is its kit's to say (`bot.platforms.registry.limit_of`).

A platform refuses a longer message for good, so a reply that does not fit is never
seen: tests render every reply with the longest configured values and hold it to the
limit of each place it can go (tests/unit/test_public_lengths.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from bot.platforms.x.text import weighted_length

MAX_FACEBOOK_COMMENT = 8000
MAX_MESSENGER_TEXT = 2000
MAX_X_POST = 280
MAX_X_DM = 10000


@dataclass(frozen=True)
class TextLimit:
    """The most a platform takes in one message, and how it counts."""

    most: int
    count: Callable[[str], int] = len

    def fits(self, text: str) -> bool:
        """Whether the platform accepts `text`."""
        return self.count(text) <= self.most


FACEBOOK_COMMENT = TextLimit(MAX_FACEBOOK_COMMENT)
MESSENGER_TEXT = TextLimit(MAX_MESSENGER_TEXT)
X_POST = TextLimit(MAX_X_POST, weighted_length)
X_DM = TextLimit(MAX_X_DM)
