"""Fixtures the end-to-end tests share."""

import pytest

from tests.e2e.browser import browser, context, outside, page  # noqa: F401 (fixtures)
from tests.e2e.platforms import assistant_with_platforms


@pytest.fixture(scope="session")
def platforms_running(tmp_path_factory):
    """The assistant with Facebook and X faked: (assistant, platforms, slow proxy)."""
    with assistant_with_platforms(tmp_path_factory.mktemp("platforms")) as running:
        yield running
