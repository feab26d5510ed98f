"""$validate-code over request-given content: verdicts, issues, paths, display languages."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.content.store import Store, make_entry
from plugin.errors import FhirError
from plugin.ops.operation import Context
from plugin.ops.params import Args, parse_parameters
from plugin.ops.validate_code import CS_PARAMS, VS_PARAMS, run_codesystem, run_valueset

CS: dict[str, Any] = {
    "resourceType": "CodeSystem",
    "url": "http://x/cs",
    "version": "1.0.0",
    "language": "en",
    "content": "complete",
    "caseSensitive": False,
    "concept": [
        {"code": "a", "display": "Alpha", "designation": [{"language": "de", "value": "Alfa"}]},
        {"code": "old", "display": "Old", "property": [{"code": "status", "valueCode": "retired"}]},
        {"code": "c", "display": "Gamma"},
    ],
}
VS: dict[str, Any] = {
    "resourceType": "ValueSet",
    "url": "http://x/vs",
    "version": "2",
    "compose": {
        "include": [{"system": "http://x/cs", "concept": [{"code": "a"}, {"code": "old"}]}]
    },
}


def _store() -> Store:
    store = Store()
    for r in (CS, VS):
        store.add(make_entry(r, "test"))
    return store


def _params(out: dict[str, Any]) -> dict[str, Any]:
    return {p["name"]: p for p in out["parameter"]}


def _issues(out: dict[str, Any]) -> list[dict[str, Any]]:
    p = _params(out).get("issues")
    return p["resource"]["issue"] if p else []


def _run(params: list[dict[str, Any]], vs: bool = True, language: str | None = None) -> Any:
    declared = VS_PARAMS if vs else CS_PARAMS
    args: Args = parse_parameters(declared, {"resourceType": "Parameters", "parameter": params})
    ctx = Context(args, _store(), accept_language=language)
    return run_valueset(ctx) if vs else run_codesystem(ctx)


URL = {"name": "url", "valueUri": "http://x/vs"}


def _shapes(code: str, display: str | None = None) -> list[list[dict[str, Any]]]:
    coding: dict[str, Any] = {"system": "http://x/cs", "code": code}
    if display:
        coding["display"] = display
    plain = [{"name": "code", "valueCode": code}, {"name": "system", "valueUri": "http://x/cs"}]
    if display:
        plain.append({"name": "display", "valueString": display})
    return [
        plain,
        [{"name": "coding", "valueCoding": coding}],
        [{"name": "codeableConcept", "valueCodeableConcept": {"coding": [coding]}}],
    ]


@pytest.mark.parametrize("shape", range(3))
def test_good_code(shape: int) -> None:
    out = _params(_run([URL, *_shapes("a", "Alpha")[shape]]))
    assert out["result"]["valueBoolean"] is True
    assert out["display"]["valueString"] == "Alpha"
    assert out["version"]["valueString"] == "1.0.0"


@pytest.mark.parametrize(("shape", "path"), [(0, "code"), (1, "Coding.code")])
def test_code_not_in_value_set(shape: int, path: str) -> None:
    out = _run([URL, *_shapes("c")[shape]])
    assert _params(out)["result"]["valueBoolean"] is False
    (issue,) = _issues(out)
    assert issue["details"]["coding"][0]["code"] == "not-in-vs"
    assert issue["expression"] == [path]
    assert "http://x/vs|2" in issue["details"]["text"]


def test_unknown_code_in_a_codeable_concept_is_two_findings() -> None:
    out = _run([URL, *_shapes("zz")[2]])
    codes = sorted(i["details"]["coding"][0]["code"] for i in _issues(out))
    assert codes == ["invalid-code", "not-in-vs", "this-code-not-in-vs"]
    assert _params(out)["result"]["valueBoolean"] is False


@pytest.mark.parametrize(
    ("lenient", "result", "severity"), [(False, False, "error"), (True, True, "warning")]
)
def test_wrong_display(lenient: bool, result: bool, severity: str) -> None:
    extra = [{"name": "lenient-display-validation", "valueBoolean": lenient}]
    out = _run([URL, *_shapes("a", "Alpah")[1], *extra])
    assert _params(out)["result"]["valueBoolean"] is result
    (issue,) = _issues(out)
    assert issue["severity"] == severity
    assert issue["expression"] == ["Coding.display"]


@pytest.mark.parametrize(("language", "ok"), [("de", True), ("en", False), (None, True)])
def test_display_judged_in_the_requested_language(language: str | None, ok: bool) -> None:
    out = _run([URL, *_shapes("a", "Alfa")[1]], language=language)
    assert _params(out)["result"]["valueBoolean"] is ok


def test_inactive_code_is_valid_with_a_warning() -> None:
    out = _run([URL, *_shapes("old")[1]])
    params = _params(out)
    assert params["result"]["valueBoolean"] is True
    assert params["inactive"]["valueBoolean"] is True
    assert params["status"]["valueCode"] == "retired"
    assert "retired and inactive" in params["message"]["valueString"]


def test_case_difference_is_a_note_with_the_normalized_code() -> None:
    out = _run([URL, *_shapes("A")[1]])
    params = _params(out)
    assert params["result"]["valueBoolean"] is True
    assert params["normalized-code"]["valueCode"] == "a"
    assert "message" not in params


@pytest.mark.parametrize(
    ("system", "tx_code"),
    [("http://x/unknown", "not-found"), ("http://x/vs", "invalid-data"), ("local", "invalid-data")],
)
def test_bad_systems(system: str, tx_code: str) -> None:
    coding = {"system": system, "code": "a"}
    out = _run([URL, {"name": "coding", "valueCoding": coding}])
    assert _params(out)["result"]["valueBoolean"] is False
    assert tx_code in {i["details"]["coding"][0]["code"] for i in _issues(out)}


def test_codesystem_validation_without_value_set() -> None:
    out = _run(
        [{"name": "url", "valueUri": "http://x/cs"}, {"name": "code", "valueCode": "zz"}], vs=False
    )
    assert _params(out)["result"]["valueBoolean"] is False
    assert [i["details"]["coding"][0]["code"] for i in _issues(out)] == ["invalid-code"]


@pytest.mark.parametrize("code_system", [{"resourceType": "CodeSystem"}, {**CS, "url": ""}])
def test_unusable_inline_code_system_is_a_400(code_system: dict[str, Any]) -> None:
    params: list[dict[str, Any]] = [
        {"name": "codeSystem", "resource": code_system},
        {"name": "code", "valueCode": "a"},
    ]
    with pytest.raises(FhirError) as err:
        _run(params, vs=False)
    assert (err.value.http_status, err.value.expression) == (400, ("codeSystem",))


@pytest.mark.parametrize("base", ["r4", "r5"])
@pytest.mark.parametrize("form", ["get", "post"])
@pytest.mark.parametrize(
    ("lenient", "result", "severity"), [(None, False, "error"), (True, True, "warning")]
)
def test_codesystem_wrong_display_lenient(
    client: Any, base: str, form: str, lenient: bool | None, result: bool, severity: str
) -> None:
    """CodeSystem/$validate-code takes `lenient-display-validation` as ValueSet's does (the
    HL7 validator sends it for both): a wrong display is then a warning, and the code valid."""
    opcs = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
    query = {"url": opcs, "code": "J12.7", "display": "Liver ablation"}
    if lenient is not None:
        query["lenient-display-validation"] = "true"
    url = f"/{base}/CodeSystem/$validate-code"
    if form == "get":
        r = client.get(url, params=query)
    else:
        p: list[dict[str, Any]] = [
            {"name": k, "valueString": v}
            for k, v in query.items()
            if k != "lenient-display-validation"
        ]
        if lenient is not None:
            p.append({"name": "lenient-display-validation", "valueBoolean": True})
        r = client.post(url, json={"resourceType": "Parameters", "parameter": p})
    assert r.status_code == 200, r.text
    out = r.json()
    assert _params(out)["result"]["valueBoolean"] is result
    (issue,) = _issues(out)
    assert issue["severity"] == severity
    assert "Percutaneous microwave ablation of lesion of liver" in issue["details"]["text"]
