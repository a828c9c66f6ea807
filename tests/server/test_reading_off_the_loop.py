"""The model reads a message in a worker thread, not on the Rasa server's event loop
(bot.channels.dialogue.parse_off_the_loop, P12: speed): while it reads, webhooks are
still acknowledged and other conversations move."""

import asyncio
import threading
import time
from types import SimpleNamespace

from bot.channels.dialogue import parse_off_the_loop


class Agent:
    """Rasa's agent as far as reading goes: a `parse_message` that holds its thread,
    as Rasa's does while the pipeline runs."""

    def __init__(self, http_interpreter=None):
        self.processor = SimpleNamespace(http_interpreter=http_interpreter)
        self.threads = []

    async def parse_message(self, text):
        self.threads.append(threading.current_thread())
        time.sleep(0.4)  # the featurizers and the model, never letting go
        return {"text": text, "intent": {"name": "greet", "confidence": 0.9}}


async def test_the_loop_moves_while_the_model_reads():
    agent = Agent()
    reading = asyncio.ensure_future(parse_off_the_loop(agent, "hello"))
    began = time.monotonic()
    await asyncio.sleep(0.05)  # another task's turn, as a webhook's would be
    waited = time.monotonic() - began
    parsed = await reading
    assert waited < 0.3, f"the loop was held {waited:.2f} s by the reading"
    assert parsed == {"text": "hello", "intent": {"name": "greet", "confidence": 0.9}}
    assert agent.threads and agent.threads[0] is not threading.current_thread()


async def test_readings_at_once_each_get_their_own_answer():
    agent = Agent()
    texts = [f"message {n}" for n in range(6)]
    parsed = await asyncio.gather(*(parse_off_the_loop(agent, t) for t in texts))
    assert [p["text"] for p in parsed] == texts


async def test_an_nlu_server_over_http_is_awaited_on_the_loop():
    agent = Agent(http_interpreter=object())
    await parse_off_the_loop(agent, "hello")
    assert agent.threads == [threading.current_thread()]


async def test_an_agent_without_a_model_is_awaited_on_the_loop():
    """An agent whose model is not loaded yet has no processor; Rasa's own refusal
    (or a stand-in's reading) comes back as it would without the thread."""
    agent = Agent()
    del agent.processor
    parsed = await parse_off_the_loop(agent, "hello")
    assert parsed["text"] == "hello"
    assert agent.threads == [threading.current_thread()]
