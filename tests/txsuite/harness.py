"""Run the vendored HL7 terminology test suite against an in-process server.

The server is the real ASGI app under uvicorn on a free loopback port (the runner speaks HTTP,
as the HL7 validator does); the runner is `tests/txsuite/runner.py`, driven in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import uvicorn

from plugin.api.app import create_app
from tests.txsuite import runner

HERE = Path(__file__).parent
DATA = HERE / "data"
BASELINE = HERE / "baseline.json"
# The FHIR bases of the server and the version the runner speaks to each.
BASES = {"r4": "4.0", "r5": "5.0"}


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
    root: str, base: str, tests: Iterable[str] | None = None, timeout: float = 20.0
) -> list[dict[str, Any]]:
    """Run the general-mode tests (or only `tests`, as `suite/test`) against `root/base`."""
    wanted = sorted(tests) if tests is not None else None
    if wanted == []:
        return []
    args = argparse.Namespace(
        base=f"{root}/{base}",
        suite_dir=str(DATA),
        suites=sorted({t.split("/", 1)[0] for t in wanted}) if wanted else None,
        tests=wanted,
        filter=None,
        fhir_version=BASES[base],
        modes="general",
        externals=None,
        json_out=None,
        output_dir=None,
        timeout=timeout,
        header=None,
        tight=False,
        no_convert=False,
        strict_init=False,
        list=False,
    )
    # The runner prints a line per test; keep pytest's output readable.
    with contextlib.redirect_stdout(io.StringIO()):
        results: list[dict[str, Any]] = runner.Runner(args).run()
    return results


def load_baseline() -> dict[str, list[str]]:
    """The committed baseline: FHIR base -> passing `suite/test` names."""
    if not BASELINE.exists():
        return {b: [] for b in BASES}
    data: dict[str, list[str]] = json.loads(BASELINE.read_text())
    return {b: data.get(b, []) for b in BASES}
