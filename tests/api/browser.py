"""What the browser tests of the coders' page need: headless Chromium and axe-core.

Chromium is Debian's (`/usr/bin/chromium`, installed by `.ci/run`), driven by Playwright for
Python through `executable_path`, so no browser is downloaded. axe-core comes from npm into a
scratch folder (`.cache/axe`, ignored by git). In CI (`CI` set) a missing browser or axe-core
fails the tests; on a developer's machine they are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The README shows these. A test run writes them to a scratch folder, so it never changes a
# tracked file; `NICE_TX_PAGE_SHOTS=docs/page` refreshes the README's copies.
SHOTS = Path(
    os.environ.get("NICE_TX_PAGE_SHOTS") or Path(tempfile.gettempdir()) / "nice-tx-page-shots"
)
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


@contextmanager
def user_data_dir() -> Iterator[str]:
    """A new, empty Chromium profile folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="nice-tx-chromium-") as d:
        yield d
