"""Fixtures the end-to-end tests share."""

import os
import secrets

import pytest

from scripts.processes import store_keys_from
from tests.e2e.browser import browser, context, outside, page  # noqa: F401 (fixtures)
from tests.e2e.platforms import assistant_with_platforms

# One set of store keys (P9) for every assistant these tests start, and for the tests
# that read its store: `Assistant` takes them from the environment.
os.environ.update(store_keys_from(os.environ))
# And one console session secret: a test starting a session in the store the staff app
# reads keys it as the staff app does.
os.environ.setdefault("CONSOLE_SESSION_SECRET", secrets.token_urlsafe(32))


@pytest.fixture(scope="session")
def platforms_running(tmp_path_factory):
    """The assistant with Facebook and X faked: (assistant, platforms, slow proxy)."""
    with assistant_with_platforms(tmp_path_factory.mktemp("platforms")) as running:
        yield running
