"""The runner's newer rules on small synthetic cases: `$only$`, `lenient-display`, `modes`,
`response2`, `sequential` suites and `closure` steps."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from plugin.api.app import create_app
from plugin.content.closure import ClosureTables
from plugin.content.store import Store
from tests.txsuite.compare import Comparer
from tests.txsuite.convert import to_r5
from tests.txsuite.runner import Runner

CLOSURE_SUITE = Path(__file__).parent / "closure"


def _compare(exp: Any, act: Any, version: str = "4.0.1", **kw: Any) -> str | None:
    return Comparer(variables={"version": version}, **kw).compare("t", exp, act)


# -- $only$


def _issues(*codes: str) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [{"code": c} for c in codes]}


ONLY_R4 = {
    "resourceType": "OperationOutcome",
    "issue": [{"code": "a"}, {"$only$": "version:4", "code": "b"}],
}


@pytest.mark.parametrize(
    ("version", "actual", "ok"),
    [
        ("4.0.1", _issues("a", "b"), True),  # required where the filter passes
        ("4.0.1", _issues("a"), False),
        ("5.0.0", _issues("a"), True),  # forbidden where it does not
        ("5.0.0", _issues("a", "b"), False),
    ],
)
def test_only_in_an_array(version: str, actual: dict[str, Any], ok: bool) -> None:
    assert (_compare(ONLY_R4, actual, version) is None) is ok


@pytest.mark.parametrize(
    ("modes", "present", "ok"),
    [
        (frozenset({"general"}), True, True),
        (frozenset({"general"}), False, False),
        (frozenset({"general", "tx.fhir.org"}), False, True),
        (frozenset({"general", "tx.fhir.org"}), True, False),
    ],
)
def test_only_on_a_property_with_a_mode_filter(
    modes: frozenset[str], present: bool, ok: bool
) -> None:
    expected = {"resourceType": "Parameters", "meta": {"$only$": "!tx.fhir.org", "tag": "x"}}
    actual: dict[str, Any] = {"resourceType": "Parameters"}
    if present:
        actual["meta"] = {"tag": "x"}
    assert (_compare(expected, actual, modes=modes) is None) is ok


def test_only_does_not_change_the_expected_file() -> None:
    expected = json.loads(json.dumps(ONLY_R4))
    _compare(expected, _issues("a"), "5.0.0")
    assert expected == ONLY_R4


# -- selection and requests


def _runner(tmp_path: Path, suites: list[dict[str, Any]], version: str = "4.0") -> Runner:
    (tmp_path / "test-cases.json").write_text(json.dumps({"suites": suites}))
    (tmp_path / "parameters-default.json").write_text('{"resourceType": "Parameters"}')
    return Runner("http://server/r4", version, data=tmp_path)


def _test(name: str, operation: str = "validate-code", **more: Any) -> dict[str, Any]:
    return {"name": name, "operation": operation, "response": "r.json", **more}


@pytest.mark.parametrize(
    ("operation", "flag", "sent"),
    [
        ("validate-code", True, True),
        ("cs-validate-code", True, True),
        ("validate-code", False, False),
        ("expand", True, None),
        ("validate-code", None, None),
    ],
)
def test_lenient_display_becomes_the_parameter(
    tmp_path: Path, operation: str, flag: bool | None, sent: bool | None
) -> None:
    test = _test("t", operation, **({} if flag is None else {"lenient-display": flag}))
    runner = _runner(tmp_path, [{"name": "s", "tests": [test]}])
    req = runner.request({"name": "s"}, test)
    given = [
        p["valueBoolean"] for p in req["parameter"] if p["name"] == "lenient-display-validation"
    ]
    assert given == ([] if sent is None else [sent])


def test_modes_select_like_mode(tmp_path: Path) -> None:
    suites = [
        {"name": "a", "modes": ["snomed", "general"], "tests": [_test("t1")]},
        {"name": "b", "modes": ["snomed"], "tests": [_test("t2")]},
        {"name": "c", "tests": [_test("t3", modes=["omop"]), _test("t4", version="!4.0")]},
    ]
    names = [f"{s['name']}/{t['name']}" for s, t in _runner(tmp_path, suites).selected()]
    assert names == ["a/t1"]
    r5 = [t["name"] for _, t in _runner(tmp_path, suites, "5.0").selected()]
    assert r5 == ["t1", "t4"]


# -- response2, sequential suites and closure steps, against a scripted server


def _scripted(runner: Runner, answers: dict[str, Any]) -> list[str]:
    """Answer each request by the value of its `name` parameter; record what was asked."""
    asked: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        name = next(p["valueString"] for p in body["parameter"] if p["name"] == "name")
        asked.append(name)
        return httpx.Response(200, json=answers[name])

    runner._client = httpx.Client(transport=httpx.MockTransport(handle))
    return asked


def _closure_suite(tmp_path: Path, sequential: bool) -> Runner:
    for step in ("one", "two", "three"):
        (tmp_path / f"{step}.json").write_text(
            json.dumps(
                {"resourceType": "Parameters", "parameter": [{"name": "name", "valueString": step}]}
            )
        )
    (tmp_path / "r.json").write_text(json.dumps({"resourceType": "ConceptMap", "status": "active"}))
    (tmp_path / "r2.json").write_text(json.dumps({"resourceType": "ConceptMap", "status": "draft"}))
    tests = [
        {"name": s, "operation": "closure", "request": f"{s}.json", "response": "r.json"}
        for s in ("one", "two", "three")
    ]
    tests[2]["response2"] = "r2.json"
    suite = {"name": "s", "sequential": sequential, "tests": tests}
    return _runner(tmp_path, [suite, {"name": "other", "tests": []}])


@pytest.mark.parametrize("sequential", [True, False])
def test_one_step_of_a_sequential_suite_runs_the_steps_before_it(
    tmp_path: Path, sequential: bool
) -> None:
    runner = _closure_suite(tmp_path, sequential)
    cm = {"resourceType": "ConceptMap", "status": "active"}
    asked = _scripted(runner, {"one": cm, "two": cm, "three": cm})
    results = runner.run(["s/three"])
    assert [r.name for r in results] == ["s/three"]
    assert results[0].passed, results[0].message
    assert asked == (["one", "two", "three"] if sequential else ["three"])


def test_response2_is_an_alternative(tmp_path: Path) -> None:
    runner = _closure_suite(tmp_path, True)
    cm = {"resourceType": "ConceptMap", "status": "draft"}
    _scripted(runner, {"one": cm, "two": cm, "three": cm})
    passed = {r.name: r.passed for r in runner.run()}
    assert passed == {"s/one": False, "s/two": False, "s/three": True}


def test_a_closure_answer_from_an_r4_server_is_read_as_r5() -> None:
    r4 = {
        "resourceType": "ConceptMap",
        "group": [
            {
                "source": "http://x/cs",
                "sourceVersion": "2",
                "target": "http://x/cs",
                "targetVersion": "2",
                "element": [{"code": "a", "target": [{"code": "b", "equivalence": "subsumes"}]}],
            }
        ],
    }
    group = to_r5(r4)["group"][0]
    assert (group["source"], group["target"]) == ("http://x/cs|2", "http://x/cs|2")
    assert group["element"][0]["target"] == [
        {"code": "b", "relationship": "source-is-narrower-than-target"}
    ]


# -- the project's closure suite, against the real app


@pytest.mark.parametrize("version", ["4.0", "5.0"])
@pytest.mark.parametrize("only", [None, ["closure/closure-replay"]])
def test_closure_suite_passes(store: Store, version: str, only: list[str] | None) -> None:
    base = "r5" if version == "5.0" else "r4"
    runner = Runner(f"http://testserver/{base}", version, data=CLOSURE_SUITE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runner._client = TestClient(create_app(store, closures=ClosureTables()))
    results = runner.run(only)
    assert results, "the suite ran no test"
    assert [r.message for r in results if not r.passed] == []
    assert len(results) == (5 if only is None else 1)
