"""What an alert says: the handoff's id (and link), reason, team, priority and deadline.

Nothing else, on purpose: an alert goes to inboxes and chat channels that are not
the staff console, so it never carries the tenant's words, name, summary,
conversation or platform ids (P9). Staff open the handoff to read the conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.alerts.deadlines import AlertKind
from bot.handoff.handoffs import Handoff

HEADLINES = {
    AlertKind.URGENT: "Urgent handoff: a person is needed now",
    AlertKind.DUE_SOON: "Handoff due for acknowledgement within 30 working minutes",
    AlertKind.BREACHED: "Handoff not acknowledged in time",
}


@dataclass(frozen=True)
class Alert:
    """One alert's words: a subject line and a few lines of text."""

    subject: str
    body: str

    @property
    def text(self) -> str:
        """The alert as one message (a webhook's, or an outbox row's text)."""
        return f"{self.subject}\n{self.body}"

    @classmethod
    def from_text(cls, text: str) -> Alert:
        """The alert `text` wrote."""
        subject, _, body = text.partition("\n")
        return cls(subject=subject, body=body)


def compose(kind: AlertKind, handoff: Handoff, zone: ZoneInfo, console_url: str | None) -> Alert:
    """The alert of `kind` about `handoff`; times in the calendar's zone (UK time)."""
    reason = handoff.reason.value.replace("_", " ")
    lines = [
        HEADLINES[kind] + ".",
        f"Handoff: {handoff.id}",
    ]
    if console_url:
        lines.append(f"Open it: {console_url.rstrip('/')}/conversations/{handoff.id}")
    deadline = handoff.acknowledge_by.astimezone(zone)
    lines += [
        f"Reason: {reason}",
        f"Team: {handoff.team}",
        f"Priority: {handoff.priority.value}",
        f"Acknowledge by: {deadline:%a %d %b %Y %H:%M} ({zone.key})",
        "Open the handoff in the staff console to read the conversation.",
    ]
    subject = f"[{handoff.priority.value}] {HEADLINES[kind]}: {reason}, {handoff.team}"
    return Alert(subject=subject, body="\n".join(lines))
