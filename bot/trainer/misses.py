"""What the assistant missed: tenants' messages it fell back on or was unsure of,
redacted, grouped and counted, for trainers to turn into training data (P5, P9).

Read from the tracker store's user events (decrypted through
`bot.protection.conversations.TrackerEvents`), the latest `cap` within a window of
`days`. Each message's text is redacted (`bot.privacy.redact`) the moment it is
decrypted, before it is compared, grouped or kept: nothing this module returns holds
an unredacted text.

A message is missed when (`Rule`):
- the assistant fell back: its intent is `nlu_fallback` (the FallbackClassifier); or
- it was unsure: the best real intent's confidence is below the FallbackClassifier's
  `threshold` plus `UNSURE_MARGIN`, or that intent leads the next by less than twice
  the `ambiguity_threshold` (both read from config.yml).

Messages are grouped by their redacted text, case and spacing ignored; the most
frequent first, then the most recent. A button's payload ("/greet") is not something a
tenant wrote, and is left out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Collection, Dict, List, Mapping, Sequence, Tuple

import yaml
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from bot.privacy import redact
from bot.protection.conversations import TrackerEvents, tracker_events

NLU_FALLBACK = "nlu_fallback"
# Rasa's own defaults, where config.yml names none.
DEFAULT_THRESHOLD = 0.3
DEFAULT_AMBIGUITY = 0.1
# A guess this close above the fallback threshold was nearly a fallback: worth a look.
UNSURE_MARGIN = 0.1
# Two guesses this close are a close call even where the fallback's ambiguity check is
# off (an ambiguity threshold of 0, as the validation split may choose).
MIN_CLOSE_GAP = 0.1
# The window read, and the most messages read in it (the latest).
WINDOW_DAYS = 30
CAP = 5000


@dataclass(frozen=True)
class Rule:
    """When a message counts as missed.

    Attributes:
        threshold: the FallbackClassifier's `threshold`.
        ambiguity_threshold: its `ambiguity_threshold`.
        margin: how far above `threshold` a best guess still counts as unsure.
    """

    threshold: float = DEFAULT_THRESHOLD
    ambiguity_threshold: float = DEFAULT_AMBIGUITY
    margin: float = UNSURE_MARGIN

    @property
    def unsure_below(self) -> float:
        """A best guess below this confidence is unsure."""
        return self.threshold + self.margin

    @property
    def close_gap(self) -> float:
        """A best guess that leads the next by less than this is unsure."""
        return max(2 * self.ambiguity_threshold, MIN_CLOSE_GAP)

    def missed(self, intent: str | None, ranking: Sequence[Tuple[str, float]]) -> bool:
        """Whether a message read as `intent`, with the real intents ranked as
        `ranking` ((name, confidence), best first), was missed."""
        if intent == NLU_FALLBACK:
            return True
        if not ranking:
            return False
        best = ranking[0][1]
        second = ranking[1][1] if len(ranking) > 1 else 0.0
        # Rounded: confidences are floats, and 0.6 - 0.4 is not quite 0.2.
        return round(best, 6) < round(self.unsure_below, 6) or round(best - second, 6) < round(
            self.close_gap, 6
        )

    def describe(self) -> str:
        """The rule in words, for the page."""
        return (
            f"the assistant fell back (nlu_fallback), or its best guess was below"
            f" {self.unsure_below:g} (the fallback threshold {self.threshold:g} plus"
            f" {self.margin:g}), or led the next guess by less than {self.close_gap:g}"
            f" (twice the ambiguity threshold {self.ambiguity_threshold:g}); config.yml"
        )


def rule_from_config(config_file: Path, margin: float = UNSURE_MARGIN) -> Rule:
    """The rule with the FallbackClassifier's thresholds that `config_file` sets."""
    raw = yaml.safe_load(Path(config_file).read_text(encoding="utf-8")) or {}
    for component in raw.get("pipeline") or ():
        if component.get("name") == "FallbackClassifier":
            return Rule(
                float(component.get("threshold", DEFAULT_THRESHOLD)),
                float(component.get("ambiguity_threshold", DEFAULT_AMBIGUITY)),
                margin,
            )
    return Rule(margin=margin)


@dataclass(frozen=True)
class Miss:
    """Messages the assistant missed, grouped by their redacted text.

    Attributes:
        text: the redacted text (its most recent spelling).
        count: how many times it was sent in the window.
        guess: the model's best real intent the last time (None if it had none).
        confidence: that intent's confidence.
        fell_back: whether the assistant fell back the last time.
        last_seen: when it was last sent (UTC).
    """

    text: str
    count: int
    guess: str | None
    confidence: float | None
    fell_back: bool
    last_seen: datetime

    @property
    def key(self) -> str:
        """What groups it: the text, case and spacing ignored."""
        return group_key(self.text)

    @property
    def id(self) -> str:
        """A name for it that holds no text (SHA-256 of its key): what the console's
        audit keeps when a trainer assigns or dismisses it."""
        return miss_id(self.text)


def group_key(text: str) -> str:
    """`text` with case and spacing ignored."""
    return " ".join(text.split()).casefold()


def miss_id(text: str) -> str:
    """The id of the group `text` falls in (`Miss.id`)."""
    return hashlib.sha256(group_key(text).encode("utf-8")).hexdigest()


def missed_messages(
    tracker: TrackerEvents,
    rule: Rule,
    now: datetime,
    days: int = WINDOW_DAYS,
    cap: int = CAP,
    leave_out: Collection[str] = (),
) -> List[Miss]:
    """The messages missed in the `days` up to `now` (the latest `cap` tenants'
    messages read), redacted and grouped, the most frequent first.

    `leave_out`: keys (`group_key`) or ids (`miss_id`) of groups not to list: the
    training examples already written, and what trainers assigned or dismissed.
    """
    since = now - timedelta(days=days)
    groups: Dict[str, Dict[str, Any]] = {}
    # The latest first: a group's text, guess and time are its latest message's.
    for at, event in _latest_user_events(tracker, since, cap):
        raw = event.get("text")
        if not isinstance(raw, str) or not raw.strip() or raw.lstrip().startswith("/"):
            continue
        # Redacted at once: nothing below sees what the tenant wrote.
        text = " ".join(redact(raw).split())
        parse = event.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        ranking = _real_ranking(parse)
        if not rule.missed(intent, ranking):
            continue
        key = group_key(text)
        if key in leave_out or miss_id(text) in leave_out:
            continue
        group = groups.get(key)
        if group is not None:
            group["count"] += 1
            continue
        groups[key] = {
            "text": text,
            "count": 1,
            "guess": ranking[0][0] if ranking else None,
            "confidence": ranking[0][1] if ranking else None,
            "fell_back": intent == NLU_FALLBACK,
            "last_seen": datetime.fromtimestamp(at or 0, timezone.utc),
        }
    found = [Miss(**group) for group in groups.values()]
    found.sort(key=lambda m: (-m.count, -m.last_seen.timestamp(), m.key))
    return found


def _latest_user_events(
    tracker: TrackerEvents, since: datetime, cap: int
) -> List[Tuple[float, Mapping[str, Any]]]:
    """(timestamp, event) of the latest `cap` tenants' messages since `since`, newest
    first; an event under keys the console does not have is left out."""
    query = (
        select(tracker_events.c.timestamp, tracker_events.c.data)
        .where(
            tracker_events.c.type_name == "user",
            tracker_events.c.timestamp >= since.timestamp(),
        )
        .order_by(tracker_events.c.timestamp.desc(), tracker_events.c.id.desc())
        .limit(cap)
    )
    try:
        with tracker.engine.connect() as connection:
            rows = list(connection.execute(query))
    except DBAPIError:
        # No tracker file or no events table yet: no conversations, nothing missed.
        return []
    found = []
    for at, data in rows:
        try:
            event = tracker.decode(data)
        except ValueError:
            continue
        if isinstance(event, dict):
            found.append((at, event))
    return found


def _real_ranking(parse: Mapping[str, Any]) -> List[Tuple[str, float]]:
    """The model's real intents (not nlu_fallback), best first."""
    ranked = [
        (str(i.get("name")), float(i.get("confidence") or 0.0))
        for i in parse.get("intent_ranking") or ()
        if i.get("name") and i.get("name") != NLU_FALLBACK
    ]
    if not ranked:
        intent = parse.get("intent") or {}
        if intent.get("name") and intent.get("name") != NLU_FALLBACK:
            ranked = [(str(intent["name"]), float(intent.get("confidence") or 0.0))]
    return sorted(ranked, key=lambda item: -item[1])
