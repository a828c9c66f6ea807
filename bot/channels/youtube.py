"""YouTube: comments on the channel's videos, read by polling the Data API.

Registered in credentials.yml as `bot.channels.youtube.YouTubeInput`; off without its
YOUTUBE_ settings. `GET /webhooks/youtube/` says whether it is on and how its last
turn went.
"""

from __future__ import annotations

from bot.channels.polling import PollingInput
from bot.events import Platform


class YouTubeInput(PollingInput):
    """The channel's comments, polled."""

    @classmethod
    def name(cls) -> str:
        return Platform.YOUTUBE.value
