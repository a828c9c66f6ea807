"""YouTube: comments on the channel's videos, read by polling (bot/platforms/youtube/poller.py)."""
