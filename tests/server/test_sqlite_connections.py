"""The embedded default keeps its SQLite connections open between uses (P12: speed).

SQLAlchemy 1.4 gives a SQLite file a new connection for every use (NullPool): opening
it, setting `secure_delete`, and closing it again cost the Rasa server about a seventh
of its time under load (py-spy, `make bench-load`). The store and the tracker store
reuse a small pool of connections instead, from whichever worker thread needs one.
"""

from concurrent.futures import ThreadPoolExecutor

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event, text

from bot.channels.tracker_store import EncryptedSQLTrackerStore
from bot.keys import DataKeys
from bot.store import connect
from tests.helpers import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
USES = 40


def counting_connections(engine) -> list:
    opened = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    return opened


def test_the_store_reuses_its_connections_across_threads(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    opened = counting_connections(engine)

    def use(_):
        with engine.begin() as connection:
            return connection.execute(text("SELECT count(*) FROM outbox")).scalar()

    with ThreadPoolExecutor(4) as threads:
        assert list(threads.map(use, range(USES))) == [0] * USES
    # At most one a thread; none at all when the threads took turns with the one
    # `connect` left in the pool (a busy machine runs them one after another).
    assert len(opened) <= 4


def test_pooled_connections_still_overwrite_what_they_delete(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'assistant.db'}")
    for _ in range(3):
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA secure_delete")).scalar() == 1


async def test_the_tracker_store_reuses_its_connections(tmp_path):
    store = EncryptedSQLTrackerStore(
        domain=DOMAIN,
        dialect="sqlite",
        db=str(tmp_path / "tracker.db"),
        data_keys=DataKeys.ephemeral(),
    )
    opened = counting_connections(store.engine)
    tracker = DialogueStateTracker.from_events("facebook-private-1", [], slots=DOMAIN.slots)
    for n in range(USES // 2):
        tracker.update(UserUttered(f"message {n}", {"name": "greet"}))
        await store.save(tracker)
        assert len((await store.retrieve("facebook-private-1")).events) == n + 1
    assert 1 <= len(opened) <= 4
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
