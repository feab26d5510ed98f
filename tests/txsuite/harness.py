"""Run the vendored HL7 terminology test suite against an in-process server.

The server is the real ASGI app under uvicorn on a free loopback port (the runner speaks HTTP,
as the HL7 validator does); the runner is `tests/txsuite/runner.py`.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import uvicorn

from plugin.api.app import create_app
from tests.txsuite.runner import Result, Runner

HERE = Path(__file__).parent
EXPECTED_FAILURES = HERE / "expected_failures.json"
# Newer tests of the suite than the pinned copy in data/ (see newer/test-cases.json).
NEWER = HERE / "newer"
# The FHIR bases of the server and the version the runner speaks to each.
BASES = {"r4": "4.0", "r5": "5.0"}
# General-mode tests of the pinned suite on each base; a change of the data changes this.
GENERAL_TESTS = 597


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve() -> Iterator[str]:
    """A live server on a free loopback port for the duration of the block; yields its root URL."""
    port = _free_port()
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def run_suite(
    root: str, base: str, tests: Iterable[str] | None = None, timeout: float = 30.0
) -> list[Result]:
    """Run the general-mode tests (or only `tests`, as `suite/test`) against `root/base`."""
    return Runner(f"{root}/{base}", BASES[base], timeout=timeout).run(tests)


def load_expected_failures() -> dict[str, list[str]]:
    """The committed expected failures: FHIR base -> `suite/test` names known to fail."""
    data: dict[str, list[str]] = json.loads(EXPECTED_FAILURES.read_text())
    return {b: sorted(data.get(b, [])) for b in BASES}
