"""The README's promises: the Quick start test command is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start\n(.*?)\n## ", readme, re.S)
    assert block, "README has a Quick start section"
    commands = re.findall(r"^\s*(python3 -m venv .*)$", block.group(1), re.M)
    assert len(commands) == 2, commands  # one to run the service, one to run the tests
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1].strip() in ci
