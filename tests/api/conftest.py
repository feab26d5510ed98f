"""A real HTTP server for client tests: uvicorn on a free loopback port, in a thread.

Bounded: start-up must finish within seconds, and a watchdog stops the server after two minutes
even if a test hangs, so the suite can never leave it behind.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from plugin.api.app import create_app

START_TIMEOUT_S = 10
LIFETIME_S = 120


@pytest.fixture(scope="session")
def live_base() -> Iterator[str]:
    """Base URL (`http://127.0.0.1:<port>/r4`) of a running nice-tx over the built-in content."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(), log_level="warning", lifespan="off", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    watchdog = threading.Timer(LIFETIME_S, lambda: setattr(server, "should_exit", True))
    watchdog.daemon = True
    watchdog.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/r4"
    finally:
        watchdog.cancel()
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
