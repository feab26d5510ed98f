"""Strict tooling is part of the test run: ruff (lint + format) and mypy --strict.

mypy checks plugin/ and tests/ (pyproject.toml [tool.mypy]); the versions of both tools are
pinned exactly in the `test` extra, so the verdict does not change with a new release.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_ruff_lint_and_format() -> None:
    lint = _run("ruff", "check", "plugin", "tests", "benchmarks")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run("ruff", "format", "--check", "plugin", "tests", "benchmarks")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict() -> None:
    result = _run("mypy")  # plugin/ and tests/, as pyproject.toml [tool.mypy] says
    assert result.returncode == 0, result.stdout + result.stderr


def test_linters_are_pinned() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pins = {re.split(r"[<>=!~\[]", d, maxsplit=1)[0]: d for d in extra["test"]}
    for tool in ("ruff", "mypy"):
        assert re.fullmatch(rf"{tool}==[0-9][0-9.]*", pins[tool]), pins[tool]
