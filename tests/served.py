"""A real `nice-tx serve` process for tests that need granian itself (workers, faults, timing).

Bounded: start-up must finish within `START_TIMEOUT_S`, and the whole process group is stopped
(SIGINT, then SIGKILL) when the block ends, whatever happened inside it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

START_TIMEOUT_S = 60


@dataclass
class Served:
    """A running server: its base URL and process."""

    base: str
    proc: subprocess.Popen[bytes]

    def workers(self) -> list[int]:
        """PIDs of the worker processes (children of granian's main process)."""
        return _children(self.proc.pid)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> float:
    """Poll `/healthz` until it answers 200; returns the seconds it took."""
    start = time.monotonic()
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return time.monotonic() - start
        except httpx.TransportError:
            pass
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise AssertionError(f"serve exited with {proc.returncode}: {err[-2000:]}")
        assert time.monotonic() - start < timeout, "serve did not become healthy"
        time.sleep(0.05)


@contextmanager
def serving(*args: str) -> Iterator[Served]:
    """Run `nice-tx serve <args>` on a free loopback port until the block ends."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NICE_TX_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plugin",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *args,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    served = Served(f"http://127.0.0.1:{port}", proc)
    try:
        wait_healthy(served.base, START_TIMEOUT_S, proc)
        yield served
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group (it may have exited already)."""
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
