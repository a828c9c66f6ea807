"""The short form of `make bench-load` (bench/load.py): one low rate, briefly, to one
instance, to one whose Rasa server runs two Sanic workers, and to the cluster profile. Each holds: every signed webhook accepted, every
message answered once and quickly, and the CPU counted for every server of it."""

import os
import tempfile
from pathlib import Path

import pytest

from bench.load import measure

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TEST_POSTGRES_URL") and os.environ.get("TEST_REDIS_URL")),
    reason="needs TEST_POSTGRES_URL and TEST_REDIS_URL: run `make cluster-test`",
)


@pytest.mark.parametrize(
    "profile, servers",
    [
        ("embedded", ["Rasa server", "action server"]),
        ("workers", ["Rasa server", "action server"]),
        ("cluster", ["Rasa server 1", "Rasa server 2", "action server 1", "action server 2"]),
    ],
)
def test_a_low_rate_is_held_and_measured(profile, servers):
    with tempfile.TemporaryDirectory() as tmp:
        run = measure(profile, [5], 6, Path(tmp))
    [step] = run.steps
    assert step.sent == 30
    assert (step.accepted, step.answered, step.apologies) == (30, 30, 0)
    assert step.held and run.held_rate == 5
    for server in servers:
        assert step.cpu[server] > 0 and step.memory_mb[server] > 50, (server, step.cpu)
    if profile == "cluster":
        assert {"nginx", "postgresql", "redis"} <= set(step.cpu)
    if profile == "workers":
        # SANIC_WORKERS=2: Sanic's main process and its two workers.
        assert step.processes["Rasa server"] == 3
        assert {"postgresql", "redis"} <= set(step.cpu)
