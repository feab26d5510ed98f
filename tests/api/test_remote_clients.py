"""Real FHIR client libraries against the running service: fhirpy (async) and fhirclient.

Each library parses our answers with its own models or JSON handling; a test fails if the
service answers something the client cannot read.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fhirclient import client as smart_client
from fhirclient.models.parameters import Parameters
from fhirclient.models.valueset import ValueSet
from fhirpy import AsyncFHIRClient

from plugin.config import CANONICAL_BASE
from tests.bodies import translate_with_image_control

OPCS4 = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
PROCEDURE = f"{CANONICAL_BASE}/CodeSystem/mwa-liver-procedure"
IMAGE = f"{CANONICAL_BASE}/CodeSystem/image-control"
VS_OPCS = f"{CANONICAL_BASE}/ValueSet/ipg406-opcs4-procedures"


def _part(params: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [p for p in params["parameter"] if p["name"] == name]


def _codes(match: dict[str, Any]) -> list[str]:
    main = [p["valueCoding"]["code"] for p in match["part"] if p["name"] == "concept"]
    extra = [
        q["valueCoding"]["code"]
        for p in match["part"]
        if p["name"] == "product"
        for q in p["part"]
        if q["name"] == "concept"
    ]
    return main + extra


# --- fhirpy (asyncio, aiohttp) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "approach", "expected"),
    [
        ("get", "mwa-liver-open", ["J03.2", "Y13.7"]),
        ("get", "mwa-liver-percutaneous", ["J12.7"]),
        ("post", "mwa-liver-laparoscopic", ["J08.3"]),
    ],
)
def test_fhirpy_translate(live_base: str, method: str, approach: str, expected: list[str]) -> None:
    async def call() -> dict[str, Any]:
        fhir = AsyncFHIRClient(live_base)
        if method == "get":
            return await fhir.execute(
                "ConceptMap/$translate",
                method="get",
                params={"system": PROCEDURE, "code": approach},
            )
        body = {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "coding", "valueCoding": {"system": PROCEDURE, "code": approach}},
            ],
        }
        return await fhir.execute("ConceptMap/$translate", method="post", data=body)

    out = asyncio.run(call())
    assert _part(out, "result")[0]["valueBoolean"] is True
    assert [_codes(m) for m in _part(out, "match")] == [expected]


def test_fhirpy_translate_with_image_control_dependency(live_base: str) -> None:
    body = translate_with_image_control("mwa-liver-percutaneous", "ct")

    async def call() -> dict[str, Any]:
        return await AsyncFHIRClient(live_base).execute(
            "ConceptMap/$translate", method="post", data=body
        )

    out = asyncio.run(call())
    assert [_codes(m) for m in _part(out, "match")] == [["J12.7", "Y53.3"]]


def test_fhirpy_expand_and_lookup(live_base: str) -> None:
    async def call() -> tuple[dict[str, Any], dict[str, Any]]:
        fhir = AsyncFHIRClient(live_base)
        vs = await fhir.execute("ValueSet/$expand", method="get", params={"url": VS_OPCS})
        found = await fhir.execute(
            "CodeSystem/$lookup", method="get", params={"system": OPCS4, "code": "J08.3"}
        )
        return vs, found

    vs, found = asyncio.run(call())
    assert [c["code"] for c in vs["expansion"]["contains"]] == ["J03.2", "Y13.7", "J12.7", "J08.3"]
    assert _part(found, "display")[0]["valueString"] == (
        "Endoscopic microwave ablation of lesion of liver using laparoscope"
    )


def test_fhirpy_reads_error_as_operation_outcome(live_base: str) -> None:
    from fhirpy.base.exceptions import OperationOutcome

    async def call() -> None:
        await AsyncFHIRClient(live_base).execute(
            "ConceptMap/$translate", method="get", params={"code": "J12.7"}
        )

    with pytest.raises(OperationOutcome) as err:
        asyncio.run(call())
    assert "needs a system" in str(err.value)


# --- fhirclient (SMART on FHIR, requests, strict R4 models) --------------------------------------


@pytest.fixture
def smart(live_base: str) -> smart_client.FHIRClient:
    return smart_client.FHIRClient(settings={"app_id": "nice-tx-tests", "api_base": live_base})


@pytest.mark.parametrize(
    ("code", "system", "reverse", "expected"),
    [
        ("mwa-liver-open", PROCEDURE, False, ["J03.2"]),
        ("J127", OPCS4, True, ["mwa-liver-percutaneous", "mwa-liver"]),
    ],
)
def test_fhirclient_translate(
    smart: smart_client.FHIRClient, code: str, system: str, reverse: bool, expected: list[str]
) -> None:
    query = f"ConceptMap/$translate?system={system}&code={code}"
    if reverse:
        query += "&reverse=true"
    out = Parameters(smart.server.request_json(query))  # strict model: unknown elements fail
    assert out.parameter[0].name == "result"
    assert out.parameter[0].valueBoolean is True
    matches = [p for p in out.parameter if p.name == "match"]
    concepts = [q.valueCoding.code for m in matches for q in m.part if q.name == "concept"]
    assert concepts == expected


def test_fhirclient_expand_post(smart: smart_client.FHIRClient) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "url", "valueUri": f"{CANONICAL_BASE}/ValueSet/ipg406-opcs4-image-control"},
            {"name": "filter", "valueString": "ultrasonic"},
        ],
    }
    response = smart.server.post_json("ValueSet/$expand", body)
    vs = ValueSet(response.json())
    assert vs.expansion.total == 1
    assert [(c.code, c.display) for c in vs.expansion.contains] == [
        ("Y53.2", "Approach to organ under ultrasonic control")
    ]


def test_fhirclient_lookup(smart: smart_client.FHIRClient) -> None:
    out = Parameters(smart.server.request_json(f"CodeSystem/$lookup?system={OPCS4}&code=Y53.9"))
    values = {p.name: p.valueString for p in out.parameter if p.valueString is not None}
    assert values["display"] == "Unspecified approach to organ under image control"
    assert values["version"] == "4.6"
    parents = [
        q.valueCode
        for p in out.parameter
        if p.name == "property"
        for q in p.part
        if q.name == "value" and q.valueCode
    ]
    assert parents == ["Y53"]
