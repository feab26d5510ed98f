"""$translate over HTTP: every input shape gives the guidance's codes, in coding order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tests.conftest import FACET, ICD10, IMAGE, IMAGE_ELEMENT, MAP, OPCS, PROC, SNOMED
from tests.helpers import matches, params, result, value

URL = "/r4/ConceptMap/$translate"

# procedure concept -> [(main code, equivalence, products in coding order)]
EXPECTED = {
    "mwa-liver-open": [("J03.2", "wider", ["Y13.7"])],
    "mwa-liver-percutaneous": [("J12.7", "wider", [])],
    "mwa-liver-laparoscopic": [("J08.3", "wider", [])],
    "mwa-liver": [
        ("J03.2", "narrower", ["Y13.7"]),
        ("J12.7", "narrower", []),
        ("J08.3", "narrower", []),
    ],
}


def _request(
    client: Any,
    shape: str,
    system: str,
    code: str,
    extra: Sequence[dict[str, Any]] = (),
    path: str = URL,
) -> dict[str, Any]:
    """Send one coded $translate in the given input shape; returns the decoded answer."""
    coding = {"system": system, "code": code}
    if shape == "get-code":
        r = client.get(path, params={"system": system, "code": code})
    elif shape == "get-code-r5":
        r = client.get(path, params={"sourceSystem": system, "sourceCode": code})
    elif shape == "get-coding":
        r = client.get(path, params={"coding": f"{system}|{code}"})
    else:
        name, vtype, v = {
            "post-code": ("code", "valueCode", code),
            "post-code-r5": ("sourceCode", "valueCode", code),
            "post-coding": ("coding", "valueCoding", coding),
            "post-coding-r5": ("sourceCoding", "valueCoding", coding),
            "post-cc": ("codeableConcept", "valueCodeableConcept", {"coding": [coding]}),
            "post-cc-r5": ("sourceCodeableConcept", "valueCodeableConcept", {"coding": [coding]}),
        }[shape]
        body = [{"name": name, vtype: v}]
        if "code" in shape.split("-"):
            sys_name = "sourceSystem" if shape.endswith("r5") else "system"
            body.append({"name": sys_name, "valueUri": system})
        r = client.post(
            path,
            json={"resourceType": "Parameters", "parameter": body + list(extra)},
            headers={"Content-Type": "application/fhir+json"},
        )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    return r.json()


SHAPES = [
    "get-code",
    "get-code-r5",
    "get-coding",
    "post-code",
    "post-code-r5",
    "post-coding",
    "post-coding-r5",
    "post-cc",
    "post-cc-r5",
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_procedure_gives_its_codes_in_every_shape(client: Any, shape: str, code: str) -> None:
    body = _request(client, shape, PROC, code)
    assert result(body) is True
    got = [
        (m["code"], m["equivalence"], [p["code"] for p in m["products"]])
        for m in matches(body)
        if m["system"] == OPCS
    ]
    assert got == EXPECTED[code]
    assert all(m["origin"] == f"{MAP}|0.1.0" for m in matches(body))


def test_instance_level_translate_uses_that_map(client: Any) -> None:
    body = _request(
        client, "get-code", PROC, "mwa-liver-open", path="/r4/ConceptMap/ipg406-coding/$translate"
    )
    assert [m["code"] for m in matches(body)] == ["J03.2"]


def test_open_match_carries_versioned_coding_and_official_title(client: Any) -> None:
    body = _request(client, "get-code", PROC, "mwa-liver-open")
    concept = value(next(p for p in params(body, "match")[0]["part"] if p["name"] == "concept"))
    assert concept == {
        "system": OPCS,
        "version": "4.6",
        "code": "J03.2",
        "display": "Destruction of lesion of liver NEC",
    }


def _dependency(code: str, r5: bool = False) -> dict[str, Any]:
    if r5:
        return {
            "name": "dependency",
            "part": [
                {"name": "attribute", "valueUri": IMAGE_ELEMENT},
                {"name": "value", "valueCoding": {"system": IMAGE, "code": code}},
            ],
        }
    return {
        "name": "dependency",
        "part": [
            {"name": "element", "valueUri": IMAGE_ELEMENT},
            {
                "name": "concept",
                "valueCodeableConcept": {"coding": [{"system": IMAGE, "code": code}]},
            },
        ],
    }


@pytest.mark.parametrize("r5", [False, True])
@pytest.mark.parametrize(
    ("procedure", "method", "expected"),
    [
        ("mwa-liver-open", "ultrasound", [("J03.2", ["Y13.7", "Y53.2"])]),
        ("mwa-liver-percutaneous", "ct", [("J12.7", ["Y53.3"])]),
        ("mwa-liver-laparoscopic", "mri", [("J08.3", ["Y53.7"])]),
        ("mwa-liver-percutaneous", "unspecified", [("J12.7", ["Y53.9"])]),
        ("mwa-liver-percutaneous", "none", [("J12.7", [])]),
        (
            "mwa-liver",
            "fluoroscopy",
            # each candidate's whole sequence, then the Y53 code asserted on its own: it holds
            # whichever candidate is chosen (as for a description that states the method)
            [
                ("J03.2", ["Y13.7", "Y53.4"]),
                ("J12.7", ["Y53.4"]),
                ("J08.3", ["Y53.4"]),
                ("Y53.4", []),
            ],
        ),
    ],
)
def test_image_control_dependency_adds_the_y53_code_after_the_main_codes(
    client: Any, procedure: str, method: str, expected: list[Any], r5: bool
) -> None:
    body = _request(client, "post-code", PROC, procedure, [_dependency(method, r5)])
    got = [(m["code"], [p["code"] for p in m["products"]]) for m in matches(body)]
    assert got == expected


def test_hapi_call_codeableconcept_with_targetsystem(client: Any) -> None:
    # HAPI's remote terminology client: POST codeableConcept + targetsystem, reads equivalence.
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "codeableConcept",
                "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "94381002"}]},
            },
            {"name": "targetsystem", "valueUri": ICD10},
        ],
    }
    r = client.post(URL, json=body)
    assert r.status_code == 200
    got = matches(r.json())
    assert [(m["system"], m["code"], m["equivalence"]) for m in got] == [(ICD10, "C78.7", "wider")]


def test_codeableconcept_translates_every_coding(client: Any) -> None:
    body = _request(client, "post-cc", PROC, "mwa-liver-percutaneous")
    two = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "codeableConcept",
                "valueCodeableConcept": {
                    "coding": [
                        {"system": PROC, "code": "mwa-liver-percutaneous"},
                        {"system": FACET, "code": "liver-metastasis"},
                    ]
                },
            }
        ],
    }
    body = client.post(URL, json=two).json()
    assert [(m["system"], m["code"]) for m in matches(body)] == [(OPCS, "J12.7"), (ICD10, "C78.7")]


def test_targetsystem_restricts_the_answer(client: Any) -> None:
    r = client.get(URL, params={"system": PROC, "code": "mwa-liver-open", "targetsystem": ICD10})
    assert r.status_code == 200
    assert result(r.json()) is False
    assert "message" in {p["name"] for p in r.json()["parameter"]}


@pytest.mark.parametrize(
    "system", [OPCS, "https://fhir.nhs.uk/Id/opcs-4", "http://hl7.org/fhir/sid/ex-opcs4"]
)
@pytest.mark.parametrize("code", ["J12.7", "J127", "j127"])
def test_reverse_finds_the_procedure_and_is_never_equivalent(
    client: Any, system: str, code: str
) -> None:
    r = client.get(URL, params={"system": system, "code": code, "reverse": "true"})
    got = matches(r.json())
    assert ("mwa-liver-percutaneous", "narrower") in [(m["code"], m["equivalence"]) for m in got]
    assert all(m["equivalence"] not in ("equivalent", "equal") for m in got)


def test_r5_reverse_by_target_code(client: Any) -> None:
    r = client.get(URL, params={"targetCode": "J08.3", "targetSystem": OPCS, "sourceSystem": PROC})
    body = r.json()
    assert result(body) is True
    sources = [value(q) for m in params(body, "match") for q in m["part"] if q["name"] == "source"]
    assert {
        "system": PROC,
        "version": "0.1.0",
        "code": "mwa-liver-laparoscopic",
        "display": "Laparoscopic microwave ablation of lesion of liver",
    } in sources


def test_undotted_alias_input_is_normalised(client: Any) -> None:
    # An NHS data set sends OPCS-4 as https://fhir.nhs.uk/Id/opcs-4 with the dot dropped.
    r = client.get(
        URL,
        params={
            "system": "https://fhir.nhs.uk/Id/opcs-4",
            "code": "J127",
            "reverse": "true",
            "targetsystem": PROC,
        },
    )
    assert [m["code"] for m in matches(r.json())] == ["mwa-liver-percutaneous", "mwa-liver"]


def test_unknown_code_is_200_result_false_with_message(client: Any) -> None:
    body = _request(client, "get-code", PROC, "no-such-code")
    assert result(body) is False
    assert "no-such-code" in value(params(body, "message")[0])


def test_unknown_system_is_200_result_false(client: Any) -> None:
    body = _request(client, "get-code", "http://example.org/unknown", "x")
    assert result(body) is False


def test_url_and_version_select_the_map(client: Any) -> None:
    r = client.get(
        URL,
        params={
            "url": MAP,
            "conceptMapVersion": "0.1.0",
            "system": PROC,
            "code": "mwa-liver-laparoscopic",
        },
    )
    assert [m["code"] for m in matches(r.json())] == ["J08.3"]


@pytest.mark.parametrize(
    "query",
    [{"url": "http://example.org/ConceptMap/nope"}, {"url": MAP, "conceptMapVersion": "9.9"}],
)
def test_unknown_map_is_404(client: Any, query: dict[str, str]) -> None:
    r = client.get(URL, params={**query, "system": PROC, "code": "mwa-liver"})
    assert r.status_code == 404
    assert r.json()["resourceType"] == "OperationOutcome"
    assert r.json()["issue"][0]["code"] == "not-found"


TINY_MAP = {
    "resourceType": "ConceptMap",
    "url": "http://example.org/ConceptMap/tiny",
    "version": "1",
    "status": "draft",
    "group": [
        {
            "source": "http://example.org/a",
            "target": "http://example.org/b",
            "element": [{"code": "x", "target": [{"code": "y", "equivalence": "equal"}]}],
        }
    ],
}


def test_inline_conceptmap(client: Any) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "conceptMap", "resource": TINY_MAP},
            {"name": "system", "valueUri": "http://example.org/a"},
            {"name": "code", "valueCode": "x"},
        ],
    }
    got = matches(client.post(URL, json=body).json())
    assert [(m["code"], m["equivalence"], m["origin"]) for m in got] == [
        ("y", "equal", "http://example.org/ConceptMap/tiny|1")
    ]


def test_tx_resource_is_request_scoped(client: Any) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "tx-resource", "resource": TINY_MAP},
            {"name": "system", "valueUri": "http://example.org/a"},
            {"name": "code", "valueCode": "x"},
        ],
    }
    assert result(client.post(URL, json=body).json()) is True
    again = client.get(URL, params={"system": "http://example.org/a", "code": "x"})
    assert result(again.json()) is False
