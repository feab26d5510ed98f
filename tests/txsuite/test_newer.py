"""Tests of the suite newer than the pinned copy, whose request and response could be obtained.

They live in `newer/` (files unchanged from the suite's repository; the manifest is the
project's, see its introduction) and must all pass on both bases.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.txsuite.harness import BASES, NEWER, serve
from tests.txsuite.runner import Result, Runner

NEWER_TESTS = 5
NAMES = [
    f"{s['name']}/{t['name']}" for s, t in Runner("http://unused", "4.0", data=NEWER).selected()
]


@pytest.fixture(scope="module")
def newer_results() -> Iterator[dict[tuple[str, str], Result]]:
    """The newer tests run once per base against one live server."""
    with serve() as root:
        yield {
            (base, r.name): r
            for base, version in BASES.items()
            for r in Runner(f"{root}/{base}", version, data=NEWER).run()
        }


def test_all_newer_tests_are_listed() -> None:
    assert len(NAMES) == len(set(NAMES)) == NEWER_TESTS


@pytest.mark.parametrize("base", sorted(BASES))
@pytest.mark.parametrize("name", NAMES)
def test_newer_case(newer_results: dict[tuple[str, str], Result], base: str, name: str) -> None:
    result = newer_results[(base, name)]
    assert result.passed, result.message
