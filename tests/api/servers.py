"""Real HTTP servers for client and browser tests: uvicorn on a loopback port, in a thread.

Bounded: start-up must finish within seconds, and a watchdog stops a server if a test hangs,
so the suite can never leave one behind.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

START_TIMEOUT_S = 10
LIFETIME_S = 300


def _socket() -> socket.socket:
    """A loopback socket: on a free port, within NICE_TX_TEST_PORTS (`8800-8899`) when set."""
    low, _, high = os.environ.get("NICE_TX_TEST_PORTS", "0-0").partition("-")
    for port in range(int(low), int(high or low) + 1):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        return sock
    raise RuntimeError("no free loopback port in NICE_TX_TEST_PORTS")


class Running:
    """A server running in a thread: its origin, and a way to stop it early (server down)."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, origin: str) -> None:
        self.server, self.thread, self.origin = server, thread, origin

    def stop(self) -> None:
        """Stop serving; the port then refuses connections."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


@contextmanager
def running(app: ASGIApp) -> Iterator[Running]:
    """`app` served by uvicorn on a loopback port; a watchdog ends it if a test hangs."""
    sock = _socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2)
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
        yield Running(server, thread, f"http://127.0.0.1:{port}")
    finally:
        watchdog.cancel()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
