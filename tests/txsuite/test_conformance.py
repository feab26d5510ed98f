"""Every general-mode test of the HL7 terminology ecosystem suite passes on R4 and R5.

The only tests allowed to fail are those committed in `expected_failures.json`; each of them must
really fail (a test that starts passing is taken off the list), and the totals are asserted, so
neither deleting a test from the data nor adding a name to the list goes unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.txsuite.harness import BASES, GENERAL_TESTS, load_expected_failures, run_suite, serve
from tests.txsuite.runner import Result, Runner

EXPECTED_FAILURES = load_expected_failures()
SELECTED = {
    base: [f"{s['name']}/{t['name']}" for s, t in Runner("http://unused", v).selected()]
    for base, v in BASES.items()
}
# The manifest lists two tests twice (version/coding-v10-vsbb, version/codeableconcept-v10-vsbb,
# identical entries); they run twice, as in the reference runner, and count twice.
DUPLICATED = 2
CASES = [(base, name) for base, names in SELECTED.items() for name in sorted(set(names))]
Results = dict[tuple[str, str], list[Result]]


@pytest.fixture(scope="session")
def txsuite_results() -> Iterator[Results]:
    """Every general-mode test run once against one live server, keyed by (base, suite/test)."""
    out: Results = {}
    with serve() as root:
        for base in BASES:
            for r in run_suite(root, base):
                out.setdefault((base, r.name), []).append(r)
    yield out


@pytest.mark.parametrize("base", sorted(BASES))
def test_the_pinned_suite_has_all_its_general_mode_tests(base: str) -> None:
    assert len(SELECTED[base]) == GENERAL_TESTS
    assert len(set(SELECTED[base])) == GENERAL_TESTS - DUPLICATED


@pytest.mark.parametrize("base", sorted(BASES))
def test_expected_failures_name_real_tests(base: str) -> None:
    unknown = set(EXPECTED_FAILURES[base]) - set(SELECTED[base])
    assert not unknown, f"not in the suite: {sorted(unknown)}"


@pytest.mark.parametrize("base", sorted(BASES))
def test_pass_totals(txsuite_results: Results, base: str) -> None:
    ran = [r for (b, _), results in txsuite_results.items() if b == base for r in results]
    assert len(ran) == GENERAL_TESTS
    failed = {r.name for r in ran if not r.passed}
    assert sum(r.passed for r in ran) == GENERAL_TESTS - len(EXPECTED_FAILURES[base])
    assert failed == set(EXPECTED_FAILURES[base])


@pytest.mark.parametrize(("base", "name"), CASES, ids=[f"{b}:{n}" for b, n in CASES])
def test_case(txsuite_results: Results, base: str, name: str) -> None:
    for result in txsuite_results[(base, name)]:
        if name in EXPECTED_FAILURES[base]:
            assert not result.passed, f"{name} passes on /{base}: off expected_failures.json"
        else:
            assert result.passed, result.message
