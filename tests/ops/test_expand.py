"""$expand and ValueSet/$validate-code of each guidance ValueSet."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ICD10, OPCS

VS = "https://w3id.org/nice-tx/fhir/ValueSet/"
EXPANSIONS = {
    "ipg406-opcs4-procedures": ["J03.2", "Y13.7", "J12.7", "J08.3"],
    "ipg406-opcs4-image-control": [f"Y53.{i}" for i in range(1, 10)],
    "ipg406-icd10-diagnosis": ["C78.7"],
    "ipg406-procedures": [
        "mwa-liver",
        "mwa-liver-open",
        "mwa-liver-percutaneous",
        "mwa-liver-laparoscopic",
    ],
    "ipg406-image-control-methods": [
        "radiological",
        "ultrasound",
        "ct",
        "fluoroscopy",
        "image-intensifier",
        "video",
        "mri",
        "other",
        "unspecified",
        "none",
    ],
}


def _flat(contains: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Codes of a (possibly nested) expansion in document order."""
    out = []
    for c in contains:
        out.append(c)
        out.extend(_flat(c.get("contains", [])))
    return out


@pytest.mark.parametrize("vs", sorted(EXPANSIONS))
def test_each_guidance_valueset_expands(client: Any, vs: str) -> None:
    r = client.get("/r4/ValueSet/$expand", params={"url": VS + vs})
    assert r.status_code == 200, r.text
    exp = r.json()["expansion"]
    assert [c["code"] for c in _flat(exp["contains"])] == EXPANSIONS[vs]
    assert exp["total"] == len(EXPANSIONS[vs])
    assert exp["identifier"].startswith("urn:uuid:")
    assert any(p["name"] == "used-codesystem" for p in exp["parameter"])


def test_instance_expand(client: Any) -> None:
    r = client.get("/r4/ValueSet/ipg406-icd10-diagnosis/$expand")
    assert r.json()["expansion"]["contains"] == [
        {
            "system": ICD10,
            "code": "C78.7",
            "display": "Secondary malignant neoplasm of liver and intrahepatic bile duct",
        }
    ]


def test_filter_applies_before_paging_and_parameters_are_echoed(client: Any) -> None:
    r = client.get(
        "/r4/ValueSet/$expand",
        params={
            "url": VS + "ipg406-opcs4-image-control",
            "filter": "tomography",
            "count": "5",
            "offset": "0",
        },
    )
    exp = r.json()["expansion"]
    assert [c["code"] for c in exp["contains"]] == ["Y53.3"]
    assert exp["total"] == 1
    echoed = {
        p["name"]: next(v for k, v in p.items() if k.startswith("value")) for p in exp["parameter"]
    }
    assert echoed["filter"] == "tomography"
    assert echoed["count"] == 5
    assert echoed["offset"] == 0
    assert echoed["used-codesystem"] == f"{OPCS}|4.6"


def test_count_zero_gives_the_total_only(client: Any) -> None:
    exp = client.get(
        "/r4/ValueSet/$expand", params={"url": VS + "ipg406-opcs4-image-control", "count": "0"}
    ).json()["expansion"]
    assert exp["total"] == 9
    assert "contains" not in exp


def test_paging(client: Any) -> None:
    exp = client.get(
        "/r4/ValueSet/$expand",
        params={"url": VS + "ipg406-opcs4-image-control", "count": "3", "offset": "3"},
    ).json()["expansion"]
    assert [c["code"] for c in exp["contains"]] == ["Y53.4", "Y53.5", "Y53.6"]


@pytest.mark.parametrize(
    ("vs", "system", "code", "ok"),
    [
        ("ipg406-opcs4-procedures", OPCS, "J12.7", True),
        ("ipg406-opcs4-procedures", OPCS, "Y53.2", False),
        ("ipg406-opcs4-image-control", OPCS, "Y532", True),
        ("ipg406-icd10-diagnosis", ICD10, "C78.7", True),
        ("ipg406-icd10-diagnosis", OPCS, "C78.7", False),  # same letters, other classification
    ],
)
def test_valueset_validate_code(client: Any, vs: str, system: str, code: str, ok: bool) -> None:
    r = client.get(
        "/r4/ValueSet/$validate-code", params={"url": VS + vs, "system": system, "code": code}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["parameter"][0] == {"name": "result", "valueBoolean": ok}


_SHAPES = {
    "resourceType": "CodeSystem",
    "url": "http://example.org/fhir/CodeSystem/compose-property",
    "version": "1",
    "status": "active",
    "content": "complete",
    "property": [
        {"code": "colour", "uri": "http://example.org/fhir/property/colour", "type": "string"},
        {"code": "sides", "type": "integer"},
    ],
    "concept": [
        {
            "code": "square",
            "property": [
                {"code": "colour", "valueString": "red"},
                {"code": "sides", "valueInteger": 4},
            ],
        }
    ],
}


def _expand_with(client: Any, base: str, compose_property: list[str], asked: list[str]) -> Any:
    vs = {
        "resourceType": "ValueSet",
        "url": "http://example.org/fhir/ValueSet/compose-property",
        "status": "active",
        "compose": {"include": [{"system": _SHAPES["url"]}], "property": compose_property},
    }
    p: list[dict[str, Any]] = [
        {"name": "valueSet", "resource": vs},
        {"name": "tx-resource", "resource": _SHAPES},
    ]
    p += [{"name": "property", "valueString": a} for a in asked]
    r = client.post(
        f"/{base}/ValueSet/$expand", json={"resourceType": "Parameters", "parameter": p}
    )
    assert r.status_code == 200, r.text
    return r.json()["expansion"]


@pytest.mark.parametrize(
    ("compose_property", "asked", "returned"),
    [
        (["*"], [], ["colour", "sides"]),
        (["sides"], [], ["sides"]),
        (["http://example.org/fhir/property/colour"], [], ["colour"]),  # by the property's uri
        (["sides"], ["colour"], ["colour"]),  # the client's own choice wins
        ([], [], []),
    ],
)
def test_compose_property_names_the_properties_returned(
    client: Any, compose_property: list[str], asked: list[str], returned: list[str]
) -> None:
    """FHIR R5 ValueSet.compose.property: the properties an expansion returns when the client
    asks for none; a code system's own property without a uri is declared without one."""
    exp = _expand_with(client, "r5", compose_property, asked)
    (square,) = exp["contains"]
    assert [p["code"] for p in square.get("property", [])] == returned
    declared = {p["code"]: p.get("uri") for p in exp.get("property", [])}
    assert declared == {
        c: {"colour": "http://example.org/fhir/property/colour", "sides": None}[c] for c in returned
    }
