"""Publishing a service alert as a post on the Facebook page and on X, through the
outbox (P12): sent once, tried again while the platform is down, and in the dead
letters for staff if the platform refuses it for good."""

from __future__ import annotations

from datetime import datetime
from typing import Dict, List

from bot.events import Operation
from bot.outbox import Author, Outbox
from bot.platforms.limits import X_POST
from bot.service_alerts.alerts import InvalidAlert, ServiceAlert

# The platforms an alert may be published on, as the outbox names them.
FACEBOOK = "facebook"
X = "twitter"
PUBLISHED_ON = {FACEBOOK: "the Facebook page", X: "X"}
# The outbox's conversation of an alert's posts: an announcement, not a reply to anyone,
# kept on the page (P10's removal of the page's replies does not apply).
CONVERSATION = "service-alert-"


def is_announcement(conversation_id: str) -> bool:
    """Whether an outbox message is a service alert's post."""
    return conversation_id.startswith(CONVERSATION)


def post_text(alert: ServiceAlert) -> str:
    """What the post says: the title, then the message."""
    return f"{alert.title}: {alert.message}"


def check_fits(alert: ServiceAlert, platforms: List[str]) -> None:
    """Raises InvalidAlert if the post is too long for one of `platforms`."""
    if X in platforms and not X_POST.fits(post_text(alert)):
        raise InvalidAlert(
            "the title and message are too long for a post on X (280 characters): "
            "shorten them, or publish on Facebook only"
        )


def publish(
    alert: ServiceAlert, outbox: Outbox, targets: Dict[str, str], now: datetime
) -> List[str]:
    """Put the alert's post in the outbox for each platform of `targets` (platform:
    the page or account it is posted as); returns the platforms it was queued for.
    Published twice, it is queued once."""
    check_fits(alert, list(targets))
    queued = []
    for platform, target in targets.items():
        outbox.enqueue(
            f"{CONVERSATION}{alert.id}",
            platform,
            Operation.PUBLIC_POST,
            target,
            now,
            text=post_text(alert),
            author=Author.STAFF,
            dedupe_key=f"service-alert:{alert.id}:{platform}",
        )
        queued.append(platform)
    return queued
