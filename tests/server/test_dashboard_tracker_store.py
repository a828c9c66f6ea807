"""The dashboard reads what the Rasa server's own tracker store writes: intents and
fallbacks from the `events` table of EncryptedSQLTrackerStore, through the endpoints
file, read-only, decrypted with the keys the Rasa server has."""

from datetime import datetime, timedelta, timezone

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.tracker_store import EncryptedSQLTrackerStore
from bot.console.dashboard_data import (
    common_intents,
    tracker_reader,
    tracker_store_url,
    understanding_config,
    understanding_per_day,
)
from bot.keys import DataKeys
from tests.helpers import ROOT, UK

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def said(intent, confidence, ranking, at):
    parse = {
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "entities": [],
    }
    return UserUttered("…", parse["intent"], parse_data=parse, timestamp=at.timestamp())


async def test_intents_and_fallbacks_are_read_from_the_rasa_servers_tracker_store(tmp_path):
    now = datetime.now(timezone.utc)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: bot.channels.tracker_store.EncryptedSQLTrackerStore\n"
        "  dialect: sqlite\n  db: var/tracker.db\n"
    )
    (tmp_path / "var").mkdir()
    keys = DataKeys.ephemeral()
    store = EncryptedSQLTrackerStore(
        domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "var" / "tracker.db"), data_keys=keys
    )
    events = [
        said("ask_rent_balance", 0.96, [("ask_rent_balance", 0.96), ("greet", 0.02)], now),
        ActionExecuted("action_listen", timestamp=now.timestamp()),
        said("nlu_fallback", 0.4, [("nlu_fallback", 0.4), ("report_repair", 0.12)], now),
        ActionExecuted("action_default_fallback", timestamp=now.timestamp()),
    ]
    await store.save(DialogueStateTracker.from_events("facebook-private-1", events, DOMAIN.slots))

    reader = tracker_reader(tracker_store_url(endpoints, tmp_path), keys)
    since = now - timedelta(days=1)

    assert common_intents(reader, since) == [("ask_rent_balance", 1)]
    today = understanding_per_day(reader, understanding_config(ROOT / "config.yml"), UK, now, 1)
    assert [(d.messages, d.fell_back, d.unsure) for d in today] == [(2, 1, 1)]
