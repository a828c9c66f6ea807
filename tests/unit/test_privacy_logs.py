"""Personal details kept out of every log line (P9, P5): bot.privacy.logs.

Once `protect_logs()` has run, a line any logger writes (the project's, Rasa's,
Sanic's, a library's) has every personal detail in its message and in its exception
replaced by the detail's kind, and still says what happened; a line that cannot be
checked is withheld, never written as it was.
"""

from __future__ import annotations

import io
import logging

import pytest
import structlog

from bot.privacy import logs
from bot.secret_masking import hide_in_logs
from bot.tenancy import masking

DETAILS = [
    ("phone", "07700 900123"),
    ("phone", "+44 7700 900 456"),
    ("email", "sam.obrien@mail.co.uk"),
    ("postcode", "SW1A 1AA"),
    ("street_address", "flat 4, 12 Oak Road"),
    ("date_of_birth", "dob is 12/03/1985"),
    ("tenancy_reference", "tenancy ref 204817"),
    ("national_insurance", "QQ 12 34 56 C"),
    ("payment_card", "4111 1111 1111 1111"),
    ("bank_details", "sort code 20-45-77"),
    ("vulnerability", "I live on my own"),
]


@pytest.fixture
def protected():
    """protect_logs() as a process runs it, undone afterwards."""
    factory = logging.getLogRecordFactory()
    quiet = {name: logging.getLogger(name).level for name in (*logs.QUIET_BELOW_INFO, "rasa")}
    access = logging.getLogger(logs.ACCESS_LOGGER)
    access_filters = list(access.filters)
    logs._installed = False
    logs.protect_logs()
    yield
    logging.setLogRecordFactory(factory)
    logs._installed = False
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)
    access.filters = access_filters


# Loggers `written` changed (real ones among them, as rasa.core.processor), put back after
# each test: a later test's caplog must still see their records.
_TOUCHED: list = []


@pytest.fixture(autouse=True)
def _loggers_as_they_were():
    yield
    while _TOUCHED:
        logger, handlers, propagate, level = _TOUCHED.pop()
        logger.handlers, logger.propagate = handlers, propagate
        logger.setLevel(level)


def written(logger_name: str, level: int | None = logging.DEBUG, fmt: str = "%(message)s"):
    """A logger that writes to a string of its own, as a library's logger with its own
    handler does (not propagating to the root)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter(fmt))
    logger = logging.getLogger(logger_name)
    _TOUCHED.append((logger, list(logger.handlers), logger.propagate, logger.level))
    logger.handlers = [handler]
    logger.propagate = False
    if level is not None:
        logger.setLevel(level)
    return logger, out


@pytest.mark.parametrize("kind, detail", DETAILS)
def test_every_kind_of_detail_in_a_line_is_replaced_by_its_kind(protected, kind, detail):
    logger, out = written("some.library")
    logger.warning("Received message %r from %s", f"hello, {detail} thanks", "facebook")
    line = out.getvalue()
    assert detail not in line
    assert f"[{kind}]" in line
    assert line.startswith("Received message 'hello, ") and "from facebook" in line


def test_a_detail_in_an_exception_and_its_traceback_is_replaced(protected):
    logger, out = written("some.library")
    try:
        raise ValueError("could not store 'call me on 07700 900123'")
    except ValueError:
        logger.exception("Storing the message of %s failed", "jo@example.org")
    line = out.getvalue()
    assert "07700 900123" not in line and "jo@example.org" not in line
    assert "Storing the message of [email] failed" in line
    assert "Traceback" in line and "ValueError: could not store 'call me on [phone]'" in line


def test_a_line_without_a_detail_is_written_as_it_was(protected):
    logger, out = written("some.library", fmt="%(levelname)s %(name)s %(message)s")
    logger.info("Predicted next action %s with confidence %.2f", "action_listen", 1.0)
    assert (
        out.getvalue()
        == "INFO some.library Predicted next action action_listen with confidence 1.00\n"
    )


def test_a_line_that_cannot_be_checked_is_withheld_and_logging_goes_on(protected, monkeypatch):
    logger, out = written("some.library")

    def broken(text):
        raise RuntimeError("the detector failed")

    monkeypatch.setattr(logs, "redact", broken)
    logger.error("call me on %s", "07700 900123")
    monkeypatch.undo()
    logger.error("the next line")
    lines = out.getvalue().splitlines()
    assert lines == [logs.WITHHELD, "the next line"]


def test_a_message_that_cannot_be_formatted_is_withheld_not_printed_with_its_arguments(
    protected, capsys
):
    class Unprintable:
        def __str__(self):
            raise RuntimeError("07700 900123")

    logger, out = written("some.library")
    logger.error("%s and %d", "07700 900123", "not a number")
    logger.error("%s", Unprintable())
    assert out.getvalue().splitlines() == [logs.WITHHELD, logs.WITHHELD]
    assert "07700 900123" not in capsys.readouterr().err


def test_a_logger_made_before_or_after_and_its_own_handlers_are_reached(protected):
    before, before_out = written("made.before")
    after, after_out = written("made.after.protect_logs")
    before.info("dob 12/03/1985")
    after.info("dob 12/03/1985")
    assert before_out.getvalue() == after_out.getvalue() == "dob [date_of_birth]\n"


def test_a_record_of_an_arbitrary_third_party_logger_is_redacted_at_the_root(protected, caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("aiohttp.client.somewhere").info("POST body {'text': 'ring 07700 900123'}")
    assert caplog.messages == ["POST body {'text': 'ring [phone]'}"]


def test_rasa_loggers_that_write_message_text_write_nothing_below_info(protected):
    # What `rasa run --debug` does: the rasa logger at DEBUG.
    logging.getLogger("rasa").setLevel(logging.DEBUG)
    logging.getLogger("rasa_sdk").setLevel(logging.DEBUG)
    for name in ("rasa.core.processor", "rasa.core.policies.rule_policy", "rasa_sdk.executor"):
        logger, out = written(name, level=None)
        logger.debug('{"parse_data_text": "my name is Priya", "event": "processor.message.parse"}')
        logger.info("Rasa server is up and running.")
        assert out.getvalue() == "Rasa server is up and running.\n", name


def test_a_logger_a_developer_set_in_a_logging_config_keeps_its_level(protected):
    # A developer's own --logging-config-file, read before: their choice stands.
    logs._installed = False
    logging.getLogger("rasa.core.processor").setLevel(logging.DEBUG)
    logs.protect_logs()
    assert logging.getLogger("rasa.core.processor").level == logging.DEBUG


def test_sanic_access_lines_name_no_conversation_and_no_client(protected):
    logger, out = written(logs.ACCESS_LOGGER, fmt="[%(host)s]: %(request)s %(message)s %(status)d")
    extra = {
        "host": "203.0.113.9:51234",
        "request": "GET http://127.0.0.1:5005/conversations/facebook-private-2817/tracker?token=x",
        "status": 200,
    }
    logger.info("", extra=extra)
    assert out.getvalue() == "[-]: GET /conversations/[id]/tracker  200\n"


@pytest.mark.parametrize("withhold_first", [True, False])
def test_with_the_answers_withheld_too_either_installed_first(monkeypatch, withhold_first):
    factory = logging.getLogRecordFactory()
    monkeypatch.setattr(masking, "_installed", False)
    monkeypatch.setattr(logs, "_installed", False)
    # From logging's own factory: a tracker store made earlier in this process (as a
    # server makes it) installed both already, and would act before these.
    logging.setLogRecordFactory(logging.LogRecord)
    try:
        for install in (
            (masking.withhold_answers_from_logs, logs.protect_logs)
            if withhold_first
            else (logs.protect_logs, masking.withhold_answers_from_logs)
        ):
            install()
        logger, out = written("rasa.core.actions.forms.x")
        logger.warning("slot candidates: 07700 900123")
        masking.mark_turn(True)
        logger.warning("slot candidates: Priya Sharma")
        try:
            raise ValueError("no such table [parameters: ('12/04/1958',)]")
        except ValueError:
            logger.exception("Encountered an exception while running action")
        masking.mark_turn(False)
    finally:
        logging.setLogRecordFactory(factory)
    # What went wrong is still named, never what was typed.
    assert out.getvalue().splitlines() == [
        "slot candidates: [phone]",
        masking.WITHHELD,
        f"{masking.WITHHELD} ValueError",
    ]


def test_a_secret_with_digits_in_it_is_hidden_whole(protected):
    # A token whose middle looks like a card number: the secret goes first, whole.
    token = "EAAtoken4111111111111111xyz"
    hide_in_logs(token)
    logger, out = written("urllib3.connectionpool")
    logger.debug("GET /me?x=%s", token)
    assert out.getvalue() == "GET /me?x=[hidden]\n"


def test_rasa_structured_lines_at_info_and_above_carry_no_text(protected):
    # As Rasa configures structlog (rasa/utils/log_utils.py): rendered to JSON, then
    # written by the module's own stdlib logger.
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.processors.JSONRenderer()],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    try:
        lines = structlog.get_logger()
        lines.error("rest.message.received.timeout", text="my name is Priya Sharma")
        logs._installed = False
        logs.protect_logs()  # after Rasa configured it, with loggers already in use
        logger, out = written(__name__)
        lines.error("rest.message.received.timeout", text="my name is Priya Sharma")
        lines.debug("processor.message.parse", parse_data_text="my name is Priya Sharma")
    finally:
        structlog.reset_defaults()
    written_lines = out.getvalue().splitlines()
    assert '"text": "[withheld]"' in written_lines[0]
    assert "rest.message.received.timeout" in written_lines[0]
    # Below INFO, a developer who asked for them (their own logging config) gets them.
    assert "Priya Sharma" in written_lines[1]
