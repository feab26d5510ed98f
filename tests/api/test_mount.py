"""Meaning 1 of "plugin": the FHIR routes mounted inside another FastAPI server."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from plugin import fhir_app, fhir_router
from plugin.config import CANONICAL_BASE
from plugin.content.loader import build_store

OPCS4 = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
PROCEDURE = f"{CANONICAL_BASE}/CodeSystem/mwa-liver-procedure"


@pytest.fixture(scope="module")
def host() -> TestClient:
    """A host FHIR server with routes of its own, our service mounted at /fhir and /tx."""
    store, _ = build_store()
    app = FastAPI(title="someone else's FHIR server")

    @app.get("/fhir-host/Patient/{pid}")
    def patient(pid: str) -> dict[str, Any]:
        return {"resourceType": "Patient", "id": pid}

    app.mount("/fhir", fhir_app(store))
    app.include_router(fhir_router(store), prefix="/tx")
    return TestClient(app)


def _codes(out: dict[str, Any]) -> list[str]:
    return [
        q["valueCoding"]["code"]
        for p in out["parameter"]
        if p["name"] == "match"
        for q in p["part"]
        if q["name"] == "concept"
    ]


@pytest.mark.parametrize("prefix", ["/fhir", "/tx"])
@pytest.mark.parametrize(
    ("method", "code", "expected"),
    [("GET", "mwa-liver-percutaneous", ["J12.7"]), ("POST", "mwa-liver-open", ["J03.2"])],
)
def test_translate_under_prefix(
    host: TestClient, prefix: str, method: str, code: str, expected: list[str]
) -> None:
    url = f"{prefix}/ConceptMap/$translate"
    if method == "GET":
        response = host.get(url, params={"system": PROCEDURE, "code": code})
    else:
        body = {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "system", "valueUri": PROCEDURE},
                {"name": "code", "valueCode": code},
            ],
        }
        response = host.post(url, json=body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert _codes(response.json()) == expected


@pytest.mark.parametrize("prefix", ["/fhir", "/tx"])
def test_other_operations_and_errors_under_prefix(host: TestClient, prefix: str) -> None:
    found = host.get(f"{prefix}/CodeSystem/$lookup", params={"system": OPCS4, "code": "J12.7"})
    assert found.status_code == 200
    bad = host.get(f"{prefix}/ConceptMap/$translate", params={"code": "J12.7"})
    assert bad.status_code == 400
    assert bad.json()["resourceType"] == "OperationOutcome"
    missing = host.get(f"{prefix}/NoSuchType/x/y/z")
    assert missing.status_code == 404
    assert missing.json()["resourceType"] == "OperationOutcome"


def test_host_routes_untouched(host: TestClient) -> None:
    assert host.get("/fhir-host/Patient/7").json() == {"resourceType": "Patient", "id": "7"}


def test_mounted_app_names_its_prefix_as_base(host: TestClient) -> None:
    cs = host.get("/fhir/metadata").json()
    assert cs["resourceType"] == "CapabilityStatement"
    assert cs["implementation"]["url"].endswith("/fhir")


def test_defaults_load_builtin_content() -> None:
    client = TestClient(fhir_app())
    response = client.get(
        "/ValueSet/$expand", params={"url": f"{CANONICAL_BASE}/ValueSet/ipg406-opcs4-procedures"}
    )
    assert response.json()["expansion"]["total"] == 4


@pytest.mark.parametrize("prefix", ["/fhir", "/tx"])
@pytest.mark.parametrize("path", ["/$closure", "/ConceptMap/$closure"])
def test_closure_under_prefix(host: TestClient, prefix: str, path: str) -> None:
    """The CapabilityStatement a mounted base serves lists $closure: it must answer there too."""
    name = f"mounted-{prefix.strip('/')}-{path.count('/')}"

    def call(*extra: dict[str, Any]) -> Any:
        params: list[dict[str, Any]] = [{"name": "name", "valueString": name}, *extra]
        body = {"resourceType": "Parameters", "parameter": params}
        return host.post(f"{prefix}{path}", json=body)

    assert call().json()["version"] == "0"
    added = call(
        {"name": "concept", "valueCoding": {"system": OPCS4, "code": "J12"}},
        {"name": "concept", "valueCoding": {"system": OPCS4, "code": "J12.7"}},
    )
    assert added.status_code == 200, added.text
    element = added.json()["group"][0]["element"][0]
    assert (element["code"], element["target"][0]["code"]) == ("J12.7", "J12")
