"""A tenant's words are read as words (P2, P3): nothing a tenant types reaches Rasa as a
command (`/restart` would reset and un-pause the conversation, `/intent{...}` set any
intent and slot).

The runtime runs on a real store; the model is a stand-in that reads "/" commands the
way Rasa does, so a test sees what the dialogue would be given.
"""

from datetime import datetime, timezone

import pytest

from bot.channels.wiring import build_runtime
from bot.events import InboundEvent
from bot.settings import Settings
from tests.helpers import ROOT, settings_keys

NOW = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)
COMMANDS = ["/ /restart", " / /restart ", "//restart", '/ / /greet{"name": "x"}', "/back"]


class Trackers:
    async def retrieve(self, _conversation_id):
        return None


class Model:
    """Reads a text starting with "/" as Rasa does (a command); anything else as `words`."""

    def __init__(self, words="words"):
        self.words = words
        self.tracker_store = Trackers()

    async def parse_message(self, text):
        if text.startswith("/"):
            intent = text[1:].split("{")[0]
            ranking = [{"name": intent, "confidence": 1.0}]
            return {"text": text, "intent": ranking[0], "entities": [], "intent_ranking": ranking}
        intent = {"name": self.words, "confidence": 0.9}
        return {"text": text, "intent": intent, "entities": [], "intent_ranking": [intent]}


@pytest.fixture
def runtime(tmp_path):
    settings = Settings(
        ROOT / "association.yml", database_url=f"sqlite:///{tmp_path / 's.db'}", **settings_keys()
    )
    return build_runtime(settings)


async def dialogue_reading(runtime, model, text):
    event = InboundEvent("facebook", "message", "mid.1", "private", "123", text, NOW)
    given = []

    async def dialogue(user_message):
        given.append(user_message.parse_data)

    await runtime.accept([event])
    (claimed,) = runtime.intake.claim(datetime.now(timezone.utc))
    await runtime._process(model, claimed, dialogue)
    (parsed,) = given
    return parsed


@pytest.mark.parametrize("text", COMMANDS)
async def test_a_slash_command_however_typed_is_read_as_words(runtime, text):
    parsed = await dialogue_reading(runtime, Model(), text)
    assert parsed["intent"]["name"] == "words"
    assert parsed["text"] == text


@pytest.mark.parametrize("intent", ["restart", "back", "session_start"])
async def test_a_reading_as_a_rasa_command_is_refused(runtime, intent):
    parsed = await dialogue_reading(runtime, Model(words=intent), "start again please")
    assert parsed["intent"]["name"] not in {"restart", "back", "session_start"}
    assert all(
        i["name"] not in {"restart", "back", "session_start"} for i in parsed["intent_ranking"]
    )
