"""Keeping security answers out of the conversation record (P4).

Rasa's tracker store keeps every message. A message typed while a security question
waits for its answer is stored with its text replaced, so neither the database nor
staff reading the conversation ever see an answer; staff see that one was given. A
message the form did not take as an answer (an emergency, a request for a person)
keeps its text, so staff can act on it.

Works on events as Rasa serialises them (dicts), so it needs no Rasa.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any, Dict, List, Sequence

from bot.tenancy.security_question import is_sealed

IDENTITY_FORM = "identity_form"
SECURITY_SLOTS = ("security_locator", "security_name", "security_date_of_birth")
HIDDEN = "[answer to a security question, hidden]"

Event = Dict[str, Any]


class _FormWatch:
    """Follows the identity form through a conversation's events: which question, if
    any, waits for its answer."""

    def __init__(self) -> None:
        self.active_loop: str | None = None
        self.requested_slot: str | None = None

    def see(self, event: Event) -> bool:
        """Take in `event`; True if it was one that moves the form."""
        kind = event.get("event")
        if kind in ("session_started", "restart"):
            self.active_loop = self.requested_slot = None
        elif kind == "active_loop":
            self.active_loop = event.get("name")
        elif kind == "slot" and event.get("name") == "requested_slot":
            self.requested_slot = event.get("value")
        else:
            return False
        return True

    @property
    def awaiting_answer(self) -> bool:
        """Whether the next user message answers a security question."""
        return self.active_loop == IDENTITY_FORM and self.requested_slot in SECURITY_SLOTS


def mask_security_answers(events: Sequence[Event]) -> List[Event]:
    """Copies of `events`, every security answer in them hidden.

    Hidden are: the text of each user message sent while the identity form asked a
    security question (unless the form turned the message down or the message stopped
    the check), and any security
    slot value that is not sealed.
    """
    masked: List[Event] = []
    form = _FormWatch()
    for index, event in enumerate(events):
        kind = event.get("event")
        if form.see(event):
            pass  # the form moved: the event holds no answer
        elif kind == "slot" and event.get("name") in SECURITY_SLOTS:
            value = event.get("value")
            if value is not None and not is_sealed(value):
                event = {**event, "value": HIDDEN}
        elif kind == "user" and form.awaiting_answer and not _turned_down_by_form(events, index):
            event = _hide_text(event)
        masked.append(event)
    return masked


def _turned_down_by_form(events: Sequence[Event], user_index: int) -> bool:
    """Whether the form rejected the message at `user_index`, or it stopped the check:
    it was no answer."""
    for event in events[user_index + 1 :]:
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and (event.get("name"), event.get("value")) == (
            "identity_status",
            "stopped",
        ):
            return True
        if event.get("event") == "action_execution_rejected" and event.get("name") == (
            IDENTITY_FORM
        ):
            return True
    return False


def _hide_text(event: Event) -> Event:
    """A copy of the user message `event` without its words; `event` is left as it was.

    Only the keys replaced are copied (the whole history is masked at every turn):
    what the copy shares with `event` is never changed.
    """
    hidden = {**event, "text": HIDDEN}
    parse_data = hidden.get("parse_data")
    if isinstance(parse_data, dict):
        hidden["parse_data"] = {**parse_data, "text": HIDDEN, "entities": []}
    return hidden


# Logs (P5): a log line written while a message answering a security question is
# handled may hold that message, as Rasa's and rasa_sdk's debug lines and tracebacks
# do (the parsed text, slot candidates, SQL parameters in an error). The servers mark
# such a turn in this context variable, per asyncio task, and every log record made
# in it is withheld: only which logger wrote at what level is kept.
_answering: ContextVar[bool] = ContextVar("answering_security_question", default=False)
WITHHELD = "[log line withheld: written while a security question was being answered]"


def awaits_security_answer(events: Sequence[Event]) -> bool:
    """Whether the next user message in `events` answers a security question."""
    form = _FormWatch()
    for event in events:
        form.see(event)
    return form.awaiting_answer


def answers_security_question(events: Sequence[Event]) -> bool:
    """Whether the latest user message in `events` answered a security question."""
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=None)
    return last_user is not None and awaits_security_answer(events[:last_user])


def mark_turn(answering: bool) -> None:
    """Say whether the turn this task is handling answers a security question."""
    _answering.set(answering)


def withhold_answers_from_logs() -> None:
    """Make every log record created during a marked turn carry no text of it.

    Installed once per process, when a server starts; works for every logger, handler
    and structlog line, as it acts where records are made.
    """
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if _answering.get():
            kind = _exception_kind(record)
            record.msg = f"{WITHHELD} {kind}".strip()
            record.args = ()
            record.exc_info = record.exc_text = record.stack_info = None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


_installed = False


def _exception_kind(record: logging.LogRecord) -> str:
    """The name of the exception `record` carries, from its exc_info or, where the log
    redaction (bot.privacy.logs) has already turned that into text, its last line."""
    if record.exc_info and record.exc_info[0]:
        return record.exc_info[0].__name__
    lines = [line for line in (record.exc_text or "").splitlines() if line.strip()]
    name = lines[-1].split(":", 1)[0].strip() if lines else ""
    return name.rsplit(".", 1)[-1] if name.replace(".", "").isidentifier() else ""
