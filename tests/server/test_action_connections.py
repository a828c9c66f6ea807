"""The Rasa server's calls to the action server keep their connection open between
calls (bot.channels.dialogue.WatchedActionEndpoint; Rasa opens one per call), close it
once idle before the action server would, and still note every failed call."""

import asyncio
from types import SimpleNamespace

import pytest
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.channels.dialogue import WatchedActionEndpoint, action_failures, watch_actions


@pytest.fixture
async def action_server(unused_tcp_port):
    peers, statuses = [], []

    async def webhook(request):
        peers.append(request.transport.get_extra_info("peername")[1])
        status = statuses.pop(0) if statuses else 200
        return web.json_response({"events": [], "responses": []}, status=status)

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", unused_tcp_port)
    await site.start()
    yield SimpleNamespace(
        url=f"http://127.0.0.1:{unused_tcp_port}/webhook", peers=peers, fail=statuses
    )
    await runner.cleanup()


def watched(url):
    processor = SimpleNamespace(action_endpoint=EndpointConfig(url))
    watch_actions(SimpleNamespace(processor=processor))
    return processor.action_endpoint


async def test_calls_share_one_connection_until_it_is_idle(action_server, monkeypatch):
    monkeypatch.setattr(WatchedActionEndpoint, "KEEP_ALIVE", 0.3)
    endpoint = watched(action_server.url)
    assert isinstance(endpoint, WatchedActionEndpoint)
    for _ in range(3):
        assert await endpoint.request(json={"next_action": "x"}) == {
            "events": [],
            "responses": [],
        }
    assert len(set(action_server.peers)) == 1, action_server.peers
    await asyncio.sleep(1.0)  # idle longer than KEEP_ALIVE: this side closed it
    await endpoint.request(json={"next_action": "x"})
    assert len(set(action_server.peers)) == 2, action_server.peers
    assert WatchedActionEndpoint.KEEP_ALIVE < 5  # the action server's (Sanic's) own


async def test_a_failed_call_is_still_noted(action_server):
    endpoint = watched(action_server.url)
    action_server.fail.append(500)
    with pytest.raises(ClientResponseError):
        await endpoint.request(json={"next_action": "x"})
    assert [e.status for e in action_failures()] == [500]
    # The session outlives a failed call: the next one goes through.
    assert await endpoint.request(json={"next_action": "x"}) is not None
