"""The HL7 terminology ecosystem tests in the baseline must keep passing, on R4 and R5."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.txsuite.harness import load_baseline, run_suite, serve

BASELINE = load_baseline()
CASES = [(base, name) for base, names in BASELINE.items() for name in names]


@pytest.fixture(scope="session")
def txsuite_results() -> Iterator[dict[tuple[str, str], dict[str, Any]]]:
    """Every baseline test run once against one live server, keyed by (base, suite/test)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    with serve() as root:
        for base, names in BASELINE.items():
            for r in run_suite(root, base, names):
                out[(base, f"{r['suite']}/{r['test']}")] = r
    yield out


def test_baseline_is_not_empty() -> None:
    assert len(BASELINE["r4"]) > 0
    assert len(BASELINE["r5"]) > 0


@pytest.mark.parametrize(("base", "name"), CASES, ids=[f"{b}:{n}" for b, n in CASES])
def test_baseline_case_passes(
    txsuite_results: dict[tuple[str, str], dict[str, Any]], base: str, name: str
) -> None:
    result = txsuite_results.get((base, name))
    assert result is not None, f"{name} was not run on /{base} (renamed or removed?)"
    assert result["status"] == "pass", result["message"]
