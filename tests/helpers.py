"""Small builders shared by the tests."""

import asyncio
import functools
import threading
import time
from pathlib import Path
from typing import Any, Dict, List
from zoneinfo import ZoneInfo

import yaml
from rasa_sdk import Tracker

from bot.association import load_association
from bot.handoff.handoffs import Teams
from bot.handoff.working_hours import WorkingCalendar
from bot.keys import new_encryption_key, new_lookup_key

ROOT = Path(__file__).resolve().parent.parent
UK = ZoneInfo("Europe/London")
# The project's own monitoring calendar, as association.yml configures it.
CALENDAR = WorkingCalendar.from_config(load_association(ROOT / "association.yml").monitoring)
# The teams that take handoffs, as association.yml configures them.
TEAMS = Teams.from_config(load_association(ROOT / "association.yml").teams)


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


# Cheap hashing for tests; the product's default costs about 0.1 s a check.
TEST_WORK_FACTOR = 2**4
DEMO_TENANCIES = ROOT / "demo" / "tenancies.yml"


def store_keys():
    """The store's keys of this test run: those in the environment, where `Assistant`
    takes them from for the servers it starts, put there on first use."""
    from bot.keys import DataKeys

    keys = settings_keys()
    return DataKeys(keys["encryption_keys"], keys["lookup_key"])


def settings_keys() -> Dict[str, object]:
    """`Settings` fields for the store's keys (`store_keys`): a process built from
    these settings reads what the tests write, and the other way round."""
    import os

    from scripts.processes import store_keys_from

    os.environ.update(store_keys_from(os.environ))
    return {
        "encryption_keys": tuple(os.environ["ENCRYPTION_KEYS"].split(",")),
        "lookup_key": os.environ["LOOKUP_KEY"],
    }


def keys_environment() -> Dict[str, str]:
    """The store's keys (`settings_keys`) as the environment gives them to a process."""
    keys = settings_keys()
    return {
        "ENCRYPTION_KEYS": ",".join(keys["encryption_keys"]),
        "LOOKUP_KEY": str(keys["lookup_key"]),
    }


def no_service_alerts():
    """A store of service alerts with none in it (in memory), for actions that mention
    live alerts (actions/service_alerts.py)."""
    from bot.service_alerts.store import ServiceAlerts
    from bot.store import connect

    return ServiceAlerts(connect("sqlite://"))


def demo_tenancies(database_url: str):
    """A store at `database_url` with the demo tenancies loaded, and its repository."""
    from bot.store import connect
    from bot.tenancy.records import TenancyRepository, load_tenancies

    engine = connect(database_url, store_keys())
    repository = TenancyRepository(engine)
    load_tenancies(DEMO_TENANCIES, repository, work_factor=TEST_WORK_FACTOR)
    return engine, repository


def assistant_in(tmp: Path, extra_env: Dict[str, str] | None = None, **options):
    """Both servers as `make run` starts them, on spare ports, with their own store,
    conversations and logs under `tmp`, and the REST channel on as `make run` has it."""
    import sys

    from scripts.processes import Assistant, free_port

    return Assistant(
        project=ROOT,
        venv_bin=Path(sys.executable).parent,
        model=ROOT / "models",
        rasa_port=free_port(),
        action_port=options.pop("action_port", None) or free_port(),
        tracker_db=tmp / "tracker.db",
        log_dir=tmp / "logs",
        extra_env={"DATABASE_URL": f"sqlite:///{tmp / 'assistant.db'}", **(extra_env or {})},
        rest_channel=options.pop("rest_channel", True),
        **options,
    )


class Clock:
    """A clock for code that is passed one: it says `now` until the test moves it."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class HeldUntilReleased:
    """A store whose every call waits until another coroutine on the event loop lets it
    go: a call made on the loop itself blocks the loop, and the wait runs out."""

    def __init__(self, inner):
        self._inner = inner
        self.release = threading.Event()

    def __getattr__(self, name):
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def held(*args, **kwargs):
            assert self.release.wait(timeout=10), "the event loop was blocked"
            return attribute(*args, **kwargs)

        return held


async def while_another_tenant_waits(coroutine, held: HeldUntilReleased):
    """Run `coroutine`; meanwhile another coroutine on the same loop releases `held`."""

    async def other_tenant():
        await asyncio.sleep(0)
        held.release.set()

    result, _ = await asyncio.gather(coroutine, other_tenant())
    return result


def in_threads(work, items, timeout: float = 300.0) -> None:
    """`work(item)` for every item, each in a thread of its own, all released at once
    (as two servers or machines race); what failed in a thread fails the test here."""
    failures = []
    start = threading.Barrier(len(items))

    def run(item) -> None:
        try:
            start.wait(timeout=30)
            work(item)
        except BaseException as error:  # reported below, not lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not failures, failures
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"


async def until(condition, seconds: float) -> bool:
    """Whether `condition()` holds within `seconds`, looking every 50 ms without
    holding up the event loop."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


def facebook_environ(tmp_path: Path, graph_url: str, page: str = "1000") -> Dict[str, str]:
    """The settings of an assistant on its own store, with Messenger on a fake Graph API."""
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "ASSOCIATION_FILE": str(ROOT / "association.yml"),
        "ENCRYPTION_KEYS": new_encryption_key(),
        "LOOKUP_KEY": new_lookup_key(),
        "FACEBOOK_APP_SECRET": "s",
        "FACEBOOK_VERIFY_TOKEN": "v",
        "FACEBOOK_PAGE_ACCESS_TOKEN": "page-token",
        "FACEBOOK_PAGE_ID": page,
        "FACEBOOK_GRAPH_URL": graph_url,
    }


def query_plan(engine, call) -> str:
    """The database's plan for the first query `call()` reads with, its steps joined by
    " | " (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN)."""
    from sqlalchemy import event

    statements = []

    def seen(connection, cursor, statement, parameters, context, many):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    statement, parameters = next(
        (s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")
    )
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(explain + statement, parameters)
        return " | ".join(str(row[-1]) for row in rows)


@functools.cache
def rasa_domain():
    """domain.yml as Rasa loads it, loaded once."""
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "domain.yml"))


def encrypted_tracker_store(path: Path, keys=None):
    """The project's tracker store on the SQLite file `path`, with `keys` (by default
    keys for it alone). Making one, as a Rasa server does at its start, also puts the
    project's checks and faster walks in Rasa's place (bot/channels/action_responses.py,
    event_classes.py, past_states.py, slot_copies.py)."""
    from bot.channels.tracker_store import EncryptedSQLTrackerStore
    from bot.keys import DataKeys

    return EncryptedSQLTrackerStore(
        domain=rasa_domain(),
        dialect="sqlite",
        db=str(path),
        data_keys=keys or DataKeys.ephemeral(),
    )


def on_disk(path: Path) -> bytes:
    """A SQLite file's bytes as someone with a copy of its folder reads them: the file,
    and its write-ahead log or rollback journal where there is one (bot/store.py keeps
    the project's store's changes in its log until they are copied in)."""
    parts = (path, Path(f"{path}-wal"), Path(f"{path}-journal"))
    return b"".join(part.read_bytes() for part in parts if part.exists())
