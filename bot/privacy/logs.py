"""No personal detail in any process's logs (P9; P5 for what a tenant writes).

`protect_logs()` is called once when each process starts: the Rasa server (its tracker
store and channels), the action server (`actions.dependencies.settings`), the staff
app (`python -m bot.console`) and the commands under scripts/. From then on:

- Every log record, whichever logger makes it (the project's, Rasa's, rasa_sdk's,
  Sanic's, a library's), has each personal detail the detector (`bot.privacy.detector`)
  finds in its message, after `%` formatting, and in its exception text replaced by
  its kind ("[phone]"), so the line still says what happened. This is done where
  records are made (the log record factory): a filter on one logger never sees the
  records of another, and handlers come and go as Rasa and Sanic configure logging.
  A record that cannot be checked is withheld (`WITHHELD`), never written as it was.
  Registered secrets (`bot.secret_masking`) are masked first, so a token whose digits
  look like a card number is hidden whole; a turn that answers a security question
  (`bot.tenancy.masking.withhold_answers_from_logs`) is withheld whatever the order
  the two were installed in.
- Rasa's and rasa_sdk's loggers that write a tenant's text, parse data, slot values,
  tracker states or events below INFO (`QUIET_BELOW_INFO`) are held at INFO, even
  under `--debug`, unless a developer's own logging config set their level first.
- The fields in which Rasa's structured lines carry that text (`TEXT_FIELDS`) are
  withheld from its lines at INFO and above (its error lines on a REST timeout, an
  event it could not read).
- Sanic's access log names no conversation and no client address. (Its request
  line is an `extra` field, set on the record after the factory made it; no other
  logger the processes run puts a tenant's words in one.)

Cost: the detector takes about 0.05 to 0.15 ms a line (bench/log_redaction.py); at
INFO the servers write a few lines a message.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from typing import Any, MutableMapping
from urllib.parse import urlsplit

from bot.privacy.detector import redact as redact_details
from bot.secret_masking import hide_secrets

WITHHELD = "[log line withheld: it could not be checked for personal details]"
# Loggers that write a tenant's words, or what is made of them, at DEBUG (Rasa 3.6,
# rasa_sdk 3.6). Set on the parent, so that every module under it is held.
QUIET_BELOW_INFO = (
    # processor.message.parse (parse_data_text), processor.slots.log (slot_values),
    # processor.actions.* (prediction_events, rasa_events); "Received user message".
    "rasa.core.processor",
    # rule_policy.actions.find (current_states: "user text: ..."), memoization.*
    # (tracker_states), the other policies' featurised states.
    "rasa.core.policies",
    # forms.slots.validate (slot_candidates), forms.* (tracker_latest_message,
    # prefilled_slots), the events an action or loop returned.
    "rasa.core.actions",
    # The messages a channel hands to the agent; "Acquired lock for conversation
    # '<conversation id>'"; "Recreating tracker for id '<conversation id>'".
    "rasa.core.channels",
    "rasa.core.lock_store",
    "rasa.core.tracker_store",
    # Responses filled in with slot values.
    "rasa.core.nlg",
    # Events and trackers as they are read and written; slots set.
    "rasa.shared.core",
    # Tokens, entities and features of a message.
    "rasa.nlu",
    # The HTTP API's conversations (ids, request bodies) and the action server calls.
    "rasa.server",
    "rasa.utils.endpoints",
    # rasa_sdk.executor: "Contents of ignored event" (the event an action returned).
    "rasa_sdk.executor",
    "rasa_sdk.endpoint",
)
# Where Rasa's structured (structlog) lines carry the text: the keys Rasa's own
# anonymiser covers (rasa/utils/log_utils.py, _anonymizer), withheld at INFO and above.
TEXT_FIELDS = (
    "text",
    "response_text",
    "user_text",
    "slot_values",
    "parse_data_text",
    "parse_data_entities",
    "prediction_events",
    "tracker_latest_message",
    "prefilled_slots",
    "message",
    "response",
    "slot_candidates",
    "rasa_event",
    "rasa_events",
    "tracker_states",
    "current_states",
    "old_states",
    "successes",
    "current_entity",
    "next_entity",
    "states",
    "entity",
    "token_text",
    "user_message",
    "json_message",
)
# Sanic's access log: "[<client address>]: <method> <url> <status>", at INFO; the url
# of Rasa's HTTP API holds the conversation id (/conversations/<id>/tracker).
ACCESS_LOGGER = "sanic.access"
# A path segment with a digit in it names something (a conversation, a handoff).
NAMING_SEGMENT = re.compile(r"/[^/]*\d[^/]*")
DEBUG_LEVELS = ("debug", "trace")

_installed = False
_checking = threading.local()
_traceback = logging.Formatter()


def protect_logs() -> None:
    """Keep personal details out of every log line this process writes from now on.

    Call once when the process starts, after its logging is configured where it can
    be (Rasa configures it before it builds the channels and the tracker store);
    calling again does nothing.
    """
    global _installed
    if _installed:
        return
    _installed = True
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    for name in QUIET_BELOW_INFO:
        logger = logging.getLogger(name)
        # A level already set on purpose (a developer's --logging-config-file) stands.
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, _AccessLine) for f in access.filters):
        access.addFilter(_AccessLine())
    _withhold_text_fields_of_rasa_lines()


def redact(text: str) -> str:
    """`text` with registered secrets masked, then every personal detail by its kind."""
    return redact_details(hide_secrets(text))


def redact_record(record: logging.LogRecord) -> None:
    """Replace the details in `record`'s message, exception and stack by their kinds.

    Never raises: a record that cannot be checked (its message cannot be formatted,
    the detector fails, a line logged while checking another) is withheld.
    """
    if getattr(_checking, "busy", False):
        _withhold(record)
        return
    _checking.busy = True
    try:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info:
            # Formatted now, as every formatter would, and kept as text only: the
            # exception object holds the values unredacted.
            text = record.exc_text or _traceback.formatException(record.exc_info)
            record.exc_text, record.exc_info = redact(text), None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
    except Exception:
        _withhold(record)
    finally:
        _checking.busy = False


def _withhold(record: logging.LogRecord) -> None:
    record.msg, record.args = WITHHELD, ()
    record.exc_info = record.exc_text = record.stack_info = None


class _AccessLine(logging.Filter):
    """Sanic's access line, with the client's address and what the path names left out:
    "GET /conversations/[id]/tracker 200"."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            if hasattr(record, "host"):
                record.host = "-"
            request = getattr(record, "request", None)
            if isinstance(request, str):
                method, _, url = request.partition(" ")
                path = NAMING_SEGMENT.sub("/[id]", urlsplit(url).path)
                record.request = f"{method} {path}"
        except Exception:
            return False
        return True


def _withhold_text_fields_of_rasa_lines() -> None:
    """Put `_without_text` first among structlog's processors, if Rasa configured it.

    Rasa's loggers keep their processors' list, so it is changed in place. structlog is
    looked for, not imported: a process without Rasa has no such lines.
    """
    structlog = sys.modules.get("structlog")
    if structlog is None:
        return
    processors = structlog.get_config().get("processors")
    if isinstance(processors, list) and _without_text not in processors:
        processors.insert(0, _without_text)


def _without_text(
    _logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: Rasa's text fields withheld from lines at INFO and above."""
    if method_name not in DEBUG_LEVELS:
        for key in TEXT_FIELDS:
            if key in event_dict:
                event_dict[key] = "[withheld]"
    return event_dict
