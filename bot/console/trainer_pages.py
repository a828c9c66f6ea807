"""The trainers' pages: what the assistant missed, turned into training data, and the
NLU report. For trainers and admin only (P9: tenants' words, even redacted, are seen by
those who need them).

- `/trainers/misses`: the messages the assistant fell back on or was unsure of in the
  last 30 days (bot/trainer/misses.py: redacted of personal details before anything
  else sees them, P5), the most frequent first. Those already training examples, and
  those a trainer assigned or dismissed, are left out.
- `POST /trainers/misses/assign`: the (edited) text written into the chosen intent's
  NLU file (bot/trainer/nlu_files.py: same format, sorted), off the event loop, and
  recorded in the console's audit (who, which intent, which file; not the text).
  Refused, with nothing changed: a text longer than 1000 characters as sent (checked
  before anything else is done with it), one holding a control or format character or
  Rasa's entity annotation, one in which bot.privacy still finds a personal detail, one
  already a training example, an intent the domain does not list.
- `POST /trainers/misses/dismiss`: not a training example. Only the console's audit
  remembers it (`console_audit`, action `miss_dismissed`, the SHA-256 of its grouped
  text as subject): no text is kept, and no table of its own.
- `/trainers/report`: `results/nlu/report/index.html` as `make nlu-report` writes it,
  and its `confusion.png`; those two files only, served under the console's security
  policy (no script; images from the console itself). Until there is one, the page
  says how to make it.

The project the pages read and write (data/nlu/, domain.yml, config.yml, results/) is
the setting TRAINER_PROJECT_ROOT, the checkout by default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, List, Set, Tuple

import yaml
from sanic import Blueprint, Request
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse, raw

from bot.console.accounts import Role
from bot.console.dashboard_data import tracker_reader, tracker_store_url
from bot.console.web import Console, audit, require_role, see_other
from bot.privacy import find
from bot.protection.conversations import TrackerEvents
from bot.settings import PROJECT_ROOT
from bot.store import keys_of
from bot.trainer.misses import (
    CAP,
    WINDOW_DAYS,
    Miss,
    Rule,
    group_key,
    missed_messages,
    rule_from_config,
)
from bot.trainer.nlu_files import (
    TrainingDataError,
    add_example,
    example_text,
    examples,
    intent_files,
)

ADDED = "training_example_added"
DISMISSED = "miss_dismissed"
REPORT_DIR = Path("results") / "nlu" / "report"
# The only files of the report served, and as what.
REPORT_FILES = {
    "index.html": "text/html; charset=utf-8",
    "confusion.png": "image/png",
    "report.css": "text/css; charset=utf-8",
}
MISS_ID = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class MissesView:
    """What the misses page shows."""

    misses: List[Miss]
    intents: List[str]
    rule: Rule
    readable: bool


class TrainerDesk:
    """The trainer pages' work over the project at `root` (blocking: run it off the
    event loop)."""

    def __init__(self, console: Console, root: Path, tracker: TrackerEvents | None) -> None:
        self._console = console
        self.root = root
        self._tracker = tracker

    @classmethod
    def for_console(cls, console: Console) -> TrainerDesk:
        """Over the console's settings: its project and the Rasa server's tracker store,
        read-only, with the console's keys."""
        settings = console.settings
        url = tracker_store_url(settings.endpoints_file, PROJECT_ROOT)
        tracker = tracker_reader(url, keys_of(console.engine.dialect))
        return cls(console, Path(settings.trainer_project_root), tracker)

    def intents(self) -> List[str]:
        """The domain's intents that have an NLU file to write to."""
        raw_domain = yaml.safe_load((self.root / "domain.yml").read_text(encoding="utf-8"))
        named = [
            next(iter(i)) if isinstance(i, dict) else str(i)
            for i in (raw_domain or {}).get("intents") or ()
        ]
        files = intent_files(self.root)
        return [name for name in named if name in files]

    def view(self, now: datetime) -> MissesView:
        """The misses to list at `now`, and what the forms offer."""
        rule = rule_from_config(self.root / "config.yml")
        if self._tracker is None:
            return MissesView([], self.intents(), rule, readable=False)
        leave_out: Set[str] = {group_key(e.text) for e in examples(self.root)}
        leave_out |= self._console.audit_log.subjects((ADDED, DISMISSED))
        found = missed_messages(self._tracker, rule, now, WINDOW_DAYS, CAP, leave_out)
        return MissesView(found, self.intents(), rule, readable=True)

    def assign(self, staff: str, miss: str | None, intent: str, text: str) -> Tuple[Path, str]:
        """Write `text` into `intent`'s NLU file, and audit it; the file written
        (relative to the project) and the example as written.

        Raises:
            TrainingDataError: a text too long (checked first), empty, holding a
                character or annotation the files cannot take, a personal detail or
                already a training example, or an unknown intent; nothing is written.
        """
        text = example_text(text)
        if intent not in self.intents():
            raise TrainingDataError(f"there is no intent {intent!r} in the domain to add it to")
        kinds = sorted({span.kind.replace("_", " ") for span in find(text)})
        if kinds:
            raise TrainingDataError(
                f"it still holds a personal detail ({', '.join(kinds)}): training data"
                " holds none. Take it out, or leave the marker such as [phone]"
            )
        path = add_example(self.root, intent, text).relative_to(self.root)
        audit(self._console, staff, ADDED, miss, {"intent": intent, "file": str(path)})
        return path, text

    def dismiss(self, staff: str, miss: str) -> None:
        """Stop listing the miss `miss` (its id): the audit remembers it."""
        audit(self._console, staff, DISMISSED, miss)

    def report_file(self, name: str) -> bytes | None:
        """The report's file `name` (one of REPORT_FILES), or None if there is none.
        Nothing outside the report's folder is ever read, a link there included."""
        if name not in REPORT_FILES:
            return None
        folder = (self.root / REPORT_DIR).resolve()
        path = (folder / name).resolve()
        if path.parent != folder or not path.is_file():
            return None
        return path.read_bytes()


def _form(request: Request, name: str) -> str:
    return (request.form.get(name) or "") if request.form else ""


def _miss_id(request: Request) -> str | None:
    given = _form(request, "miss")
    return given if MISS_ID.fullmatch(given) else None


def routes(console: Console) -> Blueprint:
    """The trainer pages over `console`."""
    bp = Blueprint("console_trainers")
    desk = TrainerDesk.for_console(console)

    async def misses_page(request: Request, error: str | None = None, status: int = 200) -> Any:
        view = await console.run(desk.view, console.clock())
        return console.render(
            request,
            "trainer_misses.html",
            status=status,
            view=view,
            error=error,
            window_days=WINDOW_DAYS,
            cap=CAP,
        )

    @bp.get("/trainers")
    async def home(request: Request) -> HTTPResponse:
        require_role(request, Role.TRAINER)
        return see_other("/trainers/misses")

    @bp.get("/trainers/misses")
    async def misses(request: Request) -> HTTPResponse:
        require_role(request, Role.TRAINER)
        return await misses_page(request)

    @bp.post("/trainers/misses/assign")
    async def assign(request: Request) -> HTTPResponse:
        staff = require_role(request, Role.TRAINER)
        intent = _form(request, "intent").strip()
        # As sent: its length is checked before anything else is done with it.
        text = _form(request, "text")
        try:
            path, text = await console.run(desk.assign, staff.name, _miss_id(request), intent, text)
        except TrainingDataError as refused:
            # The text is not shown again: it may hold the personal detail refused.
            return await misses_page(request, f"Not added: {refused}.", 422)
        await console.flash(
            request,
            f'Added to {path} under {intent}: "{text}". The assistant learns it once it is'
            " retrained: run make train.",
        )
        return see_other("/trainers/misses")

    @bp.post("/trainers/misses/dismiss")
    async def dismiss(request: Request) -> HTTPResponse:
        staff = require_role(request, Role.TRAINER)
        miss = _miss_id(request)
        if miss is None:
            return await misses_page(request, "Not dismissed: no such message.", 422)
        await console.run(desk.dismiss, staff.name, miss)
        await console.flash(
            request,
            "Dismissed: it is no longer listed. The console's audit remembers it"
            " (miss_dismissed), by a hash of its text, never the text.",
        )
        return see_other("/trainers/misses")

    @bp.get("/trainers/report")
    async def report(request: Request) -> HTTPResponse:
        require_role(request, Role.TRAINER)
        page = await console.run(desk.report_file, "index.html")
        if page is None:
            return console.render(request, "trainer_report_missing.html", folder=REPORT_DIR)
        return raw(page, content_type=REPORT_FILES["index.html"])

    def report_part(name: str, missing: str):
        async def serve(request: Request) -> HTTPResponse:
            require_role(request, Role.TRAINER)
            content = await console.run(desk.report_file, name)
            if content is None:
                raise NotFound(missing)
            return raw(content, content_type=REPORT_FILES[name])

        return serve

    picture = report_part("confusion.png", "There is no confusion matrix yet: run make nlu-report.")
    stylesheet = report_part("report.css", "There is no report yet: run make nlu-report.")

    # The report links its picture as "confusion.png" and its style as "report.css":
    # from /trainers/report, or from /trainers/report/ (the same page).
    bp.add_route(picture, "/trainers/confusion.png", methods=["GET"], name="confusion")
    bp.add_route(picture, "/trainers/report/confusion.png", methods=["GET"], name="confusion2")
    bp.add_route(stylesheet, "/trainers/report.css", methods=["GET"], name="report_css")
    bp.add_route(stylesheet, "/trainers/report/report.css", methods=["GET"], name="report_css2")
    return bp
