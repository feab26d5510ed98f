"""What the browser tests of the coders' page need: real servers, headless Chromium, axe-core.

Chromium is Debian's (`/usr/bin/chromium`, installed by `.ci/run`), driven by Playwright for
Python through `executable_path`, so no browser is downloaded. axe-core comes from npm into a
scratch folder (`.cache/axe`, ignored by git). In CI (`CI` set) a missing browser or axe-core
fails the tests; on a developer's machine they are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from starlette.types import ASGIApp

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "page"
AXE_DIR = ROOT / ".cache" / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# The flags this machine's closed network needs (no background calls to Google's hosts).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_S = 10
LIFETIME_S = 300


def unavailable(reason: str) -> None:
    """Fail in CI (where `.ci/run` installs everything), skip with the reason elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI installs it in .ci/run)")
    pytest.skip(f"{reason}; run `bash .ci/run` or install it to run the browser tests")


def chromium_path() -> str:
    """Debian's Chromium, or fail/skip."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        unavailable("Chromium is not installed (Debian package `chromium`)")
    return str(found)


def axe_source() -> str:
    """axe-core's browser build, installed from npm into `.cache/axe` when absent."""
    given = os.environ.get("AXE_CORE_JS")
    if given and Path(given).is_file():
        return Path(given).read_text(encoding="utf-8")
    if not AXE_JS.is_file() and shutil.which("npm"):
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund", "axe-core@4"],
            check=False,
            capture_output=True,
            timeout=300,
        )
    if not AXE_JS.is_file():
        unavailable("axe-core is not installed (npm package `axe-core`)")
    return AXE_JS.read_text(encoding="utf-8")


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


@contextmanager
def user_data_dir() -> Iterator[str]:
    """A new, empty Chromium profile folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="nice-tx-chromium-") as d:
        yield d
