"""LinkedIn: comments on the organization's posts (bot/platforms/linkedin/kit.py)."""
