"""Small builders shared by the action and server tests."""

from pathlib import Path
from typing import Any, Dict, List

import yaml
from rasa_sdk import Tracker

ROOT = Path(__file__).resolve().parent.parent


def domain() -> Dict[str, Any]:
    """The project's domain, as the action server receives it."""
    return yaml.safe_load((ROOT / "domain.yml").read_text())


def make_tracker(
    slots: Dict[str, Any] | None = None,
    text: str = "hi",
    intent: str = "greet",
    metadata: Dict[str, Any] | None = None,
    sender_id: str = "tenant-1",
    events: List[Dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker whose latest message is `text`, classified as `intent`."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": [],
        "metadata": metadata or {},
    }
    return Tracker(
        sender_id=sender_id,
        slots=slots or {},
        latest_message=latest,
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
