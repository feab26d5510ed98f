"""A real HTTP server for client tests (`tests/api/servers.py`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plugin.api.app import create_app
from tests.api.servers import running


@pytest.fixture(scope="session")
def live_base() -> Iterator[str]:
    """Base URL (`http://127.0.0.1:<port>/r4`) of a running nice-tx over the built-in content."""
    with running(create_app()) as server:
        yield f"{server.origin}/r4"
