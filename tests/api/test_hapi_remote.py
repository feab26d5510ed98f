"""HAPI FHIR's remote terminology client, call by call, against the running service.

`RemoteTerminologyServiceValidationSupport` (HAPI 7/8) is how a HAPI server delegates
terminology: the requests below have the shapes it sends (GET search by `url` to route, POST
`$validate-code` with `code` as valueString, GET `$lookup` with `language` and repeated
`property`, POST `$translate` with a `codeableConcept`, `targetsystem`, `reverse` only when true)
and each answer is read the way that client reads it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from plugin.config import CANONICAL_BASE

OPCS4 = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
ICD10UK = "http://hl7.org/fhir/sid/icd-10-uk"
SNOMED = "http://snomed.info/sct"
PROCEDURE = f"{CANONICAL_BASE}/CodeSystem/mwa-liver-procedure"
VS_OPCS = f"{CANONICAL_BASE}/ValueSet/ipg406-opcs4-procedures"
CM = f"{CANONICAL_BASE}/ConceptMap/ipg406-coding"

# The headers HAPI's generic client sends when no encoding is forced (XML or JSON accepted).
HAPI_ACCEPT = (
    "application/fhir+xml;q=1.0, application/fhir+json;q=1.0, "
    "application/xml+fhir;q=0.9, application/json+fhir;q=0.9"
)
HAPI_JSON_BODY = "application/fhir+json;charset=UTF-8"


@pytest.fixture
def hapi(live_base: str) -> Iterator[httpx.Client]:
    headers = {
        "Accept": HAPI_ACCEPT,
        "Accept-Charset": "utf-8",
        "User-Agent": "HAPI-FHIR/8.0.0 (FHIR Client; FHIR 4.0.1/R4; apache)",
    }
    with httpx.Client(base_url=live_base, headers=headers, timeout=10) as client:
        yield client


def _params(*items: tuple[str, str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": n, f"value{t}": v} for n, t, v in items],
    }


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(path, json=body, headers={"Content-Type": HAPI_JSON_BODY})


def _values(out: dict[str, Any], name: str) -> list[str]:
    """ParametersUtil.getNamedParameterValuesAsString: every value of `name`, as text."""
    found = []
    for p in out["parameter"]:
        if p["name"] == name:
            found += [
                str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in p.items()
                if k.startswith("value")
            ]
    return found


# --- routing: isCodeSystemSupported / isValueSetSupported / fetchCodeSystem ----------------------


@pytest.mark.parametrize(
    ("rtype", "url", "supported"),
    [
        ("CodeSystem", OPCS4, True),
        ("CodeSystem", ICD10UK, True),
        ("CodeSystem", "https://fhir.nhs.uk/Id/opcs-4", True),  # an alias we normalise
        ("CodeSystem", "http://loinc.org", False),
        ("ValueSet", VS_OPCS, True),
        ("ValueSet", f"{CANONICAL_BASE}/ValueSet/no-such-set", False),
    ],
)
def test_routing_search_by_url(hapi: httpx.Client, rtype: str, url: str, supported: bool) -> None:
    response = hapi.get(rtype, params={"url": url})
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle"
    resources = [e["resource"] for e in bundle.get("entry", [])]
    assert bool(resources) is supported  # HAPI: supported when the search finds a resource
    if supported:
        assert resources[0]["resourceType"] == rtype


def test_fetch_code_system_whole_resource(hapi: httpx.Client) -> None:
    bundle = hapi.get("CodeSystem", params={"url": OPCS4, "_summary": "false"}).json()
    cs = bundle["entry"][0]["resource"]
    assert cs["url"] == OPCS4
    assert cs["version"] == "4.6"
    assert cs["concept"]  # the whole resource, not a summary


# --- validateCode: POST CodeSystem/$validate-code ------------------------------------------------


@pytest.mark.parametrize(
    ("code", "display", "result", "read"),
    [
        ("J12.7", None, True, "Percutaneous microwave ablation of lesion of liver"),
        ("J127", None, True, "Percutaneous microwave ablation of lesion of liver"),
        ("J12.7", "Percutaneous microwave ablation of lesion of liver", True, None),
        ("J12.7", "Liver ablation", False, "Wrong Display Name 'Liver ablation'"),
    ],
)
def test_validate_code_in_code_system(
    hapi: httpx.Client, code: str, display: str | None, result: bool, read: str | None
) -> None:
    items = [("url", "Uri", OPCS4), ("code", "String", code)]
    if display:
        items.append(("display", "String", display))
    response = _post(hapi, "CodeSystem/$validate-code", _params(*items))
    assert response.status_code == 200  # a 4xx would make HAPI report a lookup failure
    out = response.json()
    results = _values(out, "result")
    assert results == [str(result).lower()]  # HAPI: exactly one result
    if result:
        assert _values(out, "display")[0] == "Percutaneous microwave ablation of lesion of liver"
    else:
        assert read is not None
        assert read in _values(out, "message")[0]


def test_unknown_code_in_the_opcs_fragment_is_a_warning(hapi: httpx.Client) -> None:
    # The OPCS-4 CodeSystem here is a fragment: it cannot say J12.99 does not exist, so the
    # answer is result=true with a warning (FHIR fragment semantics), never a false "invalid".
    items = [("url", "Uri", OPCS4), ("code", "String", "J12.99")]
    out = _post(hapi, "CodeSystem/$validate-code", _params(*items)).json()
    assert _values(out, "result") == ["true"]
    issues = next(p for p in out["parameter"] if p["name"] == "issues")["resource"]["issue"]
    assert [(i["severity"], i["code"]) for i in issues] == [("warning", "code-invalid")]
    assert "fragment" in issues[0]["details"]["text"]


# --- validateCodeInValueSet: POST ValueSet/$validate-code ----------------------------------------


@pytest.mark.parametrize(
    ("code", "result"),
    [("J08.3", True), ("J03.2", True), ("Y53.2", False), ("J12.9", False)],
)
def test_validate_code_in_value_set(hapi: httpx.Client, code: str, result: bool) -> None:
    body = _params(("url", "Uri", VS_OPCS), ("code", "String", code), ("system", "Uri", OPCS4))
    response = _post(hapi, "ValueSet/$validate-code", body)
    assert response.status_code == 200
    out = response.json()
    assert _values(out, "result") == [str(result).lower()]
    if not result:
        assert _values(out, "message")


# --- lookupCode: GET CodeSystem/$lookup ----------------------------------------------------------


def _hapi_lookup(out: dict[str, Any]) -> dict[str, Any]:
    """generateLookupCodeResultR4: name/version/display, properties from part[0] and part[1]."""
    read: dict[str, Any] = {"properties": []}
    for p in out["parameter"]:
        if p["name"] in ("name", "version", "display", "abstract"):
            read[p["name"]] = next(v for k, v in p.items() if k.startswith("value"))
        elif p["name"] == "property":
            parts = p["part"]
            assert len(parts) >= 2
            assert parts[0]["name"] == "code"
            name = parts[0]["valueCode"]  # HAPI casts part[0] to CodeType
            value = next((v for k, v in parts[1].items() if k.startswith("value")), None)
            read["properties"].append((name, value))
    return read


@pytest.mark.parametrize(
    ("code", "properties", "expected_props"),
    [
        ("J12.7", ["parent"], [("parent", "J12")]),
        ("Y53.2", ["parent", "inactive"], [("inactive", False), ("parent", "Y53")]),
        ("J03", [], None),
    ],
)
def test_lookup_with_language_and_properties(
    hapi: httpx.Client, code: str, properties: list[str], expected_props: Any
) -> None:
    query: list[tuple[str, str | int | float | bool | None]] = [
        ("code", code),
        ("system", OPCS4),
        ("language", "en"),
    ]
    query += [("property", p) for p in properties]
    response = hapi.get("CodeSystem/$lookup", params=query)
    assert response.status_code == 200
    read = _hapi_lookup(response.json())
    assert read["version"] == "4.6"
    assert read["display"]
    if expected_props is not None:
        assert sorted(read["properties"]) == sorted(expected_props)


def test_lookup_unknown_code_is_not_found(hapi: httpx.Client) -> None:
    # HAPI turns a 404 into LookupCodeResult.notFound: the code is reported unknown, no crash.
    response = hapi.get("CodeSystem/$lookup", params={"code": "J99.9", "system": OPCS4})
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


# --- translateConcept: POST ConceptMap/$translate ------------------------------------------------


def _hapi_translate(out: dict[str, Any]) -> tuple[bool, str | None, list[tuple[str, str, str]]]:
    """translateOutcomeToResults: result, message, and per match with a concept: equivalence,
    system and code."""
    result = _values(out, "result")[0] == "true"
    messages = _values(out, "message")
    matches = []
    for p in out["parameter"]:
        if p["name"] != "match":
            continue
        parts = {q["name"]: q for q in p["part"]}
        if "concept" in parts:
            c = parts["concept"]["valueCoding"]
            matches.append((parts["equivalence"]["valueCode"], c["system"], c["code"]))
    return result, messages[0] if messages else None, matches


ASSERTING = {"equivalent", "equal", "wider", "subsumes", "relatedto"}


def _sequence(out: dict[str, Any], asserted: bool = True) -> list[str]:
    """Every code of the answer in the full FHIR reading (each match's concept, then its
    products), of the asserted matches or of the candidates."""
    codes = []
    for p in out["parameter"]:
        if p["name"] != "match":
            continue
        parts = p["part"]
        equivalence = next(q["valueCode"] for q in parts if q["name"] == "equivalence")
        if (equivalence in ASSERTING) != asserted:
            continue
        for q in parts:
            if q["name"] == "concept":
                codes.append(q["valueCoding"]["code"])
            elif q["name"] == "product":
                codes += [r["valueCoding"]["code"] for r in q["part"] if r["name"] == "concept"]
    return codes


def _stated(message: str, head: str) -> list[str]:
    """The codes the message's sentence starting with `head` names, in order."""
    found = re.search(rf"{head}(.*?)\.(?: [A-Z]|$)", message)
    return re.findall(r"\b[A-Z]\d\d\.\d\b", found.group(1)) if found else []


def _states_the_whole_answer(message: str | None, out: dict[str, Any]) -> None:
    assert message is not None
    assert _stated(message, "Coded sequence, in coding order:") == _sequence(out)
    assert _stated(message, "Candidates, none asserted") == _sequence(out, asserted=False)


@pytest.mark.parametrize(
    ("coding", "targetsystem", "reverse", "url", "expected"),
    [
        (
            (PROCEDURE, "mwa-liver-percutaneous"),
            OPCS4,
            False,
            CM,
            [("wider", OPCS4, "J12.7")],
        ),
        (
            (PROCEDURE, "mwa-liver-open"),
            None,
            False,
            None,
            [("wider", OPCS4, "J03.2")],
        ),
        ((SNOMED, "94381002"), ICD10UK, False, None, [("wider", ICD10UK, "C78.7")]),
        (
            (OPCS4, "J08.3"),
            PROCEDURE,
            True,
            None,
            [
                ("narrower", PROCEDURE, "mwa-liver-laparoscopic"),  # most specific first
                ("wider", PROCEDURE, "mwa-liver"),
            ],
        ),
    ],
)
def test_translate_as_hapi_sends_it(
    hapi: httpx.Client,
    coding: tuple[str, str],
    targetsystem: str | None,
    reverse: bool,
    url: str | None,
    expected: list[tuple[str, str, str]],
) -> None:
    items: list[tuple[str, str, Any]] = []
    if url:
        items.append(("url", "Uri", url))
    items.append(
        (
            "codeableConcept",
            "CodeableConcept",
            {"coding": [{"system": coding[0], "code": coding[1]}]},
        )
    )
    if targetsystem:
        items.append(("targetsystem", "Uri", targetsystem))
    if reverse:  # HAPI adds `reverse` only when it is true
        items.append(("reverse", "Boolean", True))
    response = _post(hapi, "ConceptMap/$translate", _params(*items))
    assert response.status_code == 200
    out = response.json()
    result, message, matches = _hapi_translate(out)
    assert result is True
    assert matches == expected
    if not reverse:
        # every code of the answer (main codes and the products HAPI drops), in coding order
        _states_the_whole_answer(message, out)


def test_translate_no_match_reads_as_result_false(hapi: httpx.Client) -> None:
    body = _params(
        ("codeableConcept", "CodeableConcept", {"coding": [{"system": OPCS4, "code": "J12.7"}]}),
        ("targetsystem", "Uri", ICD10UK),
    )
    response = _post(hapi, "ConceptMap/$translate", body)
    assert response.status_code == 200
    result, message, matches = _hapi_translate(response.json())
    assert (result, matches) == (False, [])
    assert message


def test_translate_names_the_map_where_hapi_reads_it(hapi: httpx.Client) -> None:
    # HAPI takes a match's map from its `source` part (R4: the map's uri).
    body = _params(
        (
            "codeableConcept",
            "CodeableConcept",
            {"coding": [{"system": SNOMED, "code": "94381002"}]},
        ),
        ("targetsystem", "Uri", ICD10UK),
    )
    out = _post(hapi, "ConceptMap/$translate", body).json()
    match = next(p for p in out["parameter"] if p["name"] == "match")
    sources = [q["valueUri"] for q in match["part"] if q["name"] == "source"]
    assert sources == [f"{CM}|0.1.0"]


# --- one CodeableConcept with the procedure and its image-control method --------------------------

ROOT = Path(__file__).resolve().parents[2]
IMAGE = f"{CANONICAL_BASE}/CodeSystem/image-control"
IMAGE_ELEMENT = f"{CANONICAL_BASE}/property/image-control"


def _content(folder: str, rid: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / folder / f"{rid}.json").read_text())
    return data


def _image_methods() -> list[str]:
    return [c["code"] for c in _content("codesystems", "image-control")["concept"]]


def _approaches() -> list[str]:
    return [c["code"] for c in _content("codesystems", "mwa-liver-procedure")["concept"]]


def _translate(hapi: httpx.Client, items: list[tuple[str, str, Any]]) -> dict[str, Any]:
    response = _post(hapi, "ConceptMap/$translate", _params(*items))
    assert response.status_code == 200
    out: dict[str, Any] = response.json()
    return out


@pytest.mark.parametrize("method", _image_methods())
@pytest.mark.parametrize("approach", _approaches())
def test_image_control_coding_reads_as_the_dependency(
    hapi: httpx.Client, approach: str, method: str
) -> None:
    # HAPI cannot send `dependency`; it can send two codings. The answer must be the one the
    # explicit dependency gives, and its message must name the whole sequence.
    procedure = {"system": PROCEDURE, "code": approach}
    image = {"system": IMAGE, "code": method}
    both = _translate(
        hapi,
        [
            ("codeableConcept", "CodeableConcept", {"coding": [procedure, image]}),
            ("targetsystem", "Uri", OPCS4),
        ],
    )
    dependency = {
        "name": "dependency",
        "part": [
            {"name": "element", "valueUri": IMAGE_ELEMENT},
            {"name": "concept", "valueCodeableConcept": {"coding": [image]}},
        ],
    }
    explicit = _post(
        hapi,
        "ConceptMap/$translate",
        {
            "resourceType": "Parameters",
            "parameter": [
                *_params(
                    ("codeableConcept", "CodeableConcept", {"coding": [procedure]}),
                    ("targetsystem", "Uri", OPCS4),
                )["parameter"],
                dependency,
            ],
        },
    ).json()
    assert both == explicit
    _states_the_whole_answer(_hapi_translate(both)[1], both)


def test_percutaneous_under_ultrasound_as_two_codings(hapi: httpx.Client) -> None:
    body = [
        (
            "codeableConcept",
            "CodeableConcept",
            {
                "coding": [
                    {"system": PROCEDURE, "code": "mwa-liver-percutaneous"},
                    {"system": IMAGE, "code": "ultrasound"},
                ]
            },
        ),
        ("targetsystem", "Uri", OPCS4),
    ]
    result, message, matches = _hapi_translate(_translate(hapi, body))
    # what HAPI records: one match (J12.7), and the message with J12.7 then Y53.2
    assert (result, matches) == (True, [("wider", OPCS4, "J12.7")])
    assert message is not None
    assert _stated(message, "Coded sequence, in coding order:") == ["J12.7", "Y53.2"]
    assert "not instead of it" in message  # Y53.2 is a companion, not an alternative


def test_candidates_are_not_a_coded_sequence(hapi: httpx.Client) -> None:
    body = [
        (
            "codeableConcept",
            "CodeableConcept",
            {"coding": [{"system": PROCEDURE, "code": "mwa-liver"}]},
        ),
        ("targetsystem", "Uri", OPCS4),
    ]
    out = _translate(hapi, body)
    result, message, matches = _hapi_translate(out)
    assert result is True
    assert {e for e, _, _ in matches} == {"narrower"}
    assert message is not None
    assert message.startswith("Candidates, none asserted")
    assert "Coded sequence" not in message


# --- $validate-code details HAPI reads -----------------------------------------------------------


def _issues(out: dict[str, Any]) -> list[dict[str, Any]]:
    found = [p["resource"]["issue"] for p in out["parameter"] if p["name"] == "issues"]
    return found[0] if found else []


@pytest.mark.parametrize("code", ["J12.99", "J127", "j12.7"])
@pytest.mark.parametrize("path", ["CodeSystem/$validate-code", "ValueSet/$validate-code"])
def test_issue_text_is_also_in_diagnostics(hapi: httpx.Client, path: str, code: str) -> None:
    # HAPI builds its validation messages from issue.diagnostics
    if path.startswith("CodeSystem"):  # as HAPI's validateCode sends it
        items = [("url", "Uri", OPCS4), ("code", "String", code)]
    else:  # validateCodeInValueSet
        items = [("url", "Uri", VS_OPCS), ("code", "String", code), ("system", "Uri", OPCS4)]
    out = _post(hapi, path, _params(*items)).json()
    issues = _issues(out)
    assert issues
    for issue in issues:
        assert issue["diagnostics"] == issue["details"]["text"]


@pytest.mark.parametrize("change", [str.lower, str.upper, str.swapcase])
def test_display_differing_only_in_case_is_a_warning(hapi: httpx.Client, change: Any) -> None:
    right = "Percutaneous microwave ablation of lesion of liver"
    items = [
        ("url", "Uri", OPCS4),
        ("code", "String", "J12.7"),
        ("display", "String", change(right)),
    ]
    out = _post(hapi, "CodeSystem/$validate-code", _params(*items)).json()
    assert _values(out, "result") == ["true"]
    assert [(i["severity"], i["code"]) for i in _issues(out)] == [("warning", "invalid")]
    assert "differs only in case" in _values(out, "message")[0]


@pytest.mark.parametrize("given", ["J127", "j12.7", "j127"])
def test_undotted_or_lower_case_code_is_valid_with_normalized_code(
    hapi: httpx.Client, given: str
) -> None:
    items = [("url", "Uri", OPCS4), ("code", "String", given)]
    out = _post(hapi, "CodeSystem/$validate-code", _params(*items)).json()
    assert _values(out, "result") == ["true"]
    assert _values(out, "normalized-code") == ["J12.7"]
    assert _values(out, "code") == [given]
    assert not _values(out, "message")  # nothing wrong to report
    assert [i["severity"] for i in _issues(out)] == ["information"]
