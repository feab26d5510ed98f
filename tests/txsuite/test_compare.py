"""The runner's comparison, scrub and sort rules, on known-good and known-bad responses."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.txsuite.compare import Comparer, Num, load_exact, plain
from tests.txsuite.convert import to_r4, to_r5
from tests.txsuite.normalise import scrub_outcome, sort_parameters, sort_value_set
from tests.txsuite.runner import DATA, Runner

EXPECTED_EXPANSION = "simple/simple-expand-all-response-valueSet.json"
UUID = "urn:uuid:8b2e3a3c-1d4f-4a55-9c7e-0e6a2b1c9d10"


def expected(name: str) -> Any:
    return load_exact((DATA / name).read_text(encoding="utf-8-sig"))


def good_expansion() -> dict[str, Any]:
    """An answer that satisfies the suite's expected simple-expand-all response."""
    exp = expected(EXPECTED_EXPANSION)
    act = copy.deepcopy(exp)
    act.pop("$optional-properties$", None)
    act["id"] = "simple-all"
    act["expansion"].pop("$optional-properties$", None)
    act["expansion"]["id"] = "e1"
    act["expansion"]["identifier"] = UUID
    act["expansion"]["timestamp"] = "2026-11-30T10:00:00Z"
    return dict(act)


def compare(exp: Any, act: Any, **kw: Any) -> str | None:
    return Comparer(**kw).compare("t", exp, act)


def test_a_faithful_expansion_matches_the_suites_expected_response() -> None:
    assert compare(expected(EXPECTED_EXPANSION), good_expansion()) is None


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda a: a["expansion"]["contains"].pop(), "array item count differs"),
        (lambda a: a["expansion"].__setitem__("total", Num("99")), "number property values differ"),
        (lambda a: a["expansion"].__setitem__("identifier", "not-a-uuid"), "string property"),
        (lambda a: a["expansion"].__setitem__("timestamp", "yesterday"), "string property"),
        (lambda a: a.__setitem__("extra", True), "unexpected property extra"),
        (lambda a: a.pop("url"), "missing property url"),
        (lambda a: a["expansion"]["contains"].reverse(), "string property values differ"),
        (lambda a: a.__setitem__("experimental", True), "boolean property values differ"),
        (lambda a: a.__setitem__("expansion", []), "properties differ at .expansion"),
    ],
    ids=["fewer", "total", "uuid", "instant", "extra", "missing", "order", "boolean", "kind"],
)
def test_a_spoilt_expansion_is_reported(spoil: Any, message: str) -> None:
    act = good_expansion()
    spoil(act)
    diff = compare(expected(EXPECTED_EXPANSION), act)
    assert diff is not None and message in diff


def test_numbers_compare_as_their_text() -> None:
    assert compare(load_exact('{"a": 1}'), load_exact('{"a": 1.0}')) is not None
    assert compare(load_exact('{"a": 1.50}'), load_exact('{"a": 1.50}')) is None
    assert plain(load_exact('{"a": [1, 2.5]}')) == {"a": [1, 2.5]}


@pytest.mark.parametrize(
    ("template", "good", "bad"),
    [
        ("$$", "anything", None),
        ("$choice:a|b$", "b", "c"),
        ("$fragments:Unknown|code$", "the unknown CODE x", "unknown"),
        ("$external:m1:Unknown$", "unknown thing", "other"),
        ("$instant$", "2024-02-29T23:59:60.123+14:00", "2024-02-29"),
        ("$date$", "2024-02-29", "29/02/2024"),
        ("$uuid$", UUID, UUID.upper()),
        ("$id$", "a-b.c", "a b"),
        ("$url$", "http://example.org/x", "example"),
        ("$token$", "abc.d-e", "-abc"),
        ("$semver$", "1.0.0-rc.1+b2", "1.0"),
        ("$string$", "x", " x"),
        ("$version$", "5.0.0", "4.0.1"),
    ],
)
def test_string_templates(template: str, good: str, bad: str | None) -> None:
    variables = {"version": "5.0.0"}
    assert compare({"v": template}, {"v": good}, variables=variables) is None
    if bad is not None:
        assert compare({"v": template}, {"v": bad}, variables=variables) is not None


def test_the_version_variable_inside_a_string() -> None:
    variables = {"version": "4.0.1"}
    exp = {"v": "http://hl7.org/fhir/administrative-gender|$version$"}
    assert (
        compare(exp, {"v": "http://hl7.org/fhir/administrative-gender|4.0.1"}, variables=variables)
        is None
    )
    assert (
        compare(exp, {"v": "http://hl7.org/fhir/administrative-gender|5.0.0"}, variables=variables)
        is not None
    )


def test_external_strings_replace_the_fragments_when_given() -> None:
    assert compare({"v": "$external:m1:x$"}, {"v": "exact"}, externals={"m1": "exact"}) is None
    assert compare({"v": "$external:m1:x$"}, {"v": "x"}, externals={"m1": "exact"}) is not None


def test_an_unknown_template_is_an_error_not_a_pass() -> None:
    with pytest.raises(ValueError, match="Unhandled template"):
        compare({"v": "$nonsense$"}, {"v": "x"})


def test_same_base64_bytes_are_equal_and_narratives_are_skipped() -> None:
    assert compare({"v": "aGVsbG8="}, {"v": "aGVs\nbG8="}) is None
    assert compare({"v": "<div>a</div>"}, {"v": "<div>b</div>"}) is None
    assert compare({"v": "abcd"}, {"v": "abce"}) is not None
    # The reference decodes leniently (characters outside the alphabet are skipped), so strings
    # that differ only in punctuation compare equal there; kept for comparable results.
    assert compare({"v": "hello!"}, {"v": "hello?"}) is None


@pytest.mark.parametrize(
    ("flag", "modes", "variables", "may_be_missing"),
    [
        (True, set(), {}, True),
        (False, set(), {}, False),
        ("general", {"general"}, {}, True),
        ("snomed", {"general"}, {}, False),
        ("!snomed", {"general"}, {}, True),
        ("!general", {"general"}, {}, False),
        ("version:5", set(), {"version": "5.0.0"}, True),
        ("version:5", set(), {"version": "4.0.1"}, False),
        ("warning:may be absent", set(), {}, True),
    ],
)
def test_optional_array_items(
    flag: Any, modes: set[str], variables: dict[str, str], may_be_missing: bool
) -> None:
    exp = {"a": [{"v": 1}, {"$optional$": flag, "v": 2}, {"v": 3}]}
    act = {"a": [{"v": 1}, {"v": 3}]}
    comparer = Comparer(frozenset(modes), None, variables)
    diff = comparer.compare("t", exp, act)
    assert (diff is None) == may_be_missing
    full = {"a": [{"v": 1}, {"v": 2}, {"v": 3}]}
    assert comparer.compare("t", exp, full) is None


def test_a_trailing_optional_warning_is_recorded() -> None:
    comparer = Comparer()
    exp = {"a": [{"v": 1}, {"$optional$": "warning:should be there", "v": 2}]}
    assert comparer.compare("t", exp, {"a": [{"v": 1}]}) is None
    assert comparer.warnings == ["should be there"]


def test_optional_properties_and_count_arrays() -> None:
    exp = {"$optional-properties$": ["b"], "$count-arrays$": ["c"], "a": 1, "b": 2, "c": [1, 2]}
    assert compare(exp, {"a": 1, "c": [7, 8]}) is None
    assert compare(exp, {"a": 1, "b": 2, "c": [7, 8]}) is None
    assert compare(exp, {"a": 1, "c": [7]}) is not None
    assert compare({"$optional-properties$": ["*"], "a": 1}, {"a": 1, "z": 0}) is None


def test_pattern_mode_looks_for_expected_items_only() -> None:
    exp = {"rest": [{"mode": "server", "operation": [{"name": "expand"}]}]}
    act = {
        "x": 1,
        "rest": [{"mode": "server", "operation": [{"name": "lookup"}, {"name": "expand"}]}],
    }
    assert compare(exp, act, pattern=True) is None
    assert compare(exp, act) is not None
    missing = {"rest": [{"mode": "server", "operation": [{"name": "lookup"}]}]}
    assert compare(exp, missing, pattern=True) is not None


def test_outcome_scrub_drops_diagnostics_and_unmanaged_extensions() -> None:
    oo = {
        "resourceType": "OperationOutcome",
        "text": {"div": "<div/>"},
        "extension": [{"url": "http://example.org/x"}],
        "issue": [
            {"severity": "error", "code": "invalid", "diagnostics": "stack"},
            {"severity": "error", "code": "invalid", "details": {"text": "t"}, "diagnostics": "d"},
        ],
    }
    assert scrub_outcome(oo) == {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "invalid", "details": {"text": "t"}}],
    }


def test_parameters_sort_by_name_and_message_parts() -> None:
    params: dict[str, Any] = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "result", "valueBoolean": False},
            {"name": "message", "valueString": "b; a"},
            {"name": "code", "valueCode": "x"},
        ],
    }
    sort_parameters(params)
    assert [p["name"] for p in params["parameter"]] == ["code", "message", "result"]
    assert params["parameter"][1]["valueString"] == "a; b"


def test_expansion_contains_sort_by_code() -> None:
    vs = {
        "expansion": {
            "contains": [{"code": "b"}, {"code": "a", "contains": [{"code": "d"}, {"code": "c"}]}]
        }
    }
    sort_value_set(vs)
    assert json.dumps(vs) == json.dumps(
        {
            "expansion": {
                "contains": [
                    {"code": "a", "contains": [{"code": "c"}, {"code": "d"}]},
                    {"code": "b"},
                ]
            }
        }
    )


def test_r5_concept_map_goes_to_r4_and_expansion_properties_come_back() -> None:
    cm = {
        "resourceType": "ConceptMap",
        "group": [
            {
                "source": "http://s|1",
                "target": "http://t",
                "element": [{"code": "a", "target": [{"code": "b", "relationship": "equivalent"}]}],
            }
        ],
    }
    r4 = to_r4(cm)
    assert r4["group"][0]["source"] == "http://s" and r4["group"][0]["sourceVersion"] == "1"
    assert r4["group"][0]["element"][0]["target"][0]["equivalence"] == "equivalent"
    prop = {"url": "code", "valueCode": "order"}
    ext = {
        "url": "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.contains.property",
        "extension": [prop, {"url": "value", "valueInteger": 1}],
    }
    vs = {
        "resourceType": "ValueSet",
        "expansion": {"contains": [{"code": "a", "extension": [ext]}]},
    }
    assert to_r5(vs)["expansion"]["contains"][0] == {
        "code": "a",
        "property": [{"code": "order", "valueInteger": 1}],
    }


@pytest.mark.parametrize(
    ("version", "on_r4", "on_r5"),
    [(None, True, True), ("4.0", True, False), ("5.0", False, True), ("!4.0", False, True)],
)
def test_tests_are_selected_by_fhir_version(
    tmp_path: Any, version: str | None, on_r4: bool, on_r5: bool
) -> None:
    test: dict[str, Any] = {"name": "t", "operation": "expand"}
    if version is not None:
        test["version"] = version
    manifest = {
        "suites": [{"name": "s", "tests": [test, {**test, "name": "off", "disabled": True}]}]
    }
    (tmp_path / "test-cases.json").write_text(json.dumps(manifest))
    for fhir, expected in (("4.0", on_r4), ("5.0", on_r5)):
        names = [t["name"] for _, t in Runner("http://unused", fhir, data=tmp_path).selected()]
        assert names == (["t"] if expected else [])
