"""Read, search, metadata and $versions: what HAPI and the HL7 validator ask first."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.content.core import core_view
from tests.conftest import ICD10, OPCS
from tests.helpers import params, value


@pytest.mark.parametrize(
    ("url", "rid"),
    [
        (OPCS, "opcs-4-fragment"),
        (ICD10, "icd-10-uk-fragment"),
        ("https://fhir.nhs.uk/Id/opcs-4", "opcs-4-fragment"),
        (f"{OPCS}|4.6", "opcs-4-fragment"),
    ],
)
def test_codesystem_search_by_url_finds_the_fragments(client: Any, url: str, rid: str) -> None:
    # HAPI's remote terminology client routes to us only when this Bundle is non-empty.
    r = client.get("/r4/CodeSystem", params={"url": url})
    bundle = r.json()
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "searchset"
    assert bundle["total"] == 1
    entry = bundle["entry"][0]
    assert entry["resource"]["id"] == rid
    assert entry["fullUrl"].endswith(f"/r4/CodeSystem/{rid}")
    assert entry["search"] == {"mode": "match"}


def test_search_unknown_url_is_an_empty_bundle(client: Any) -> None:
    bundle = client.get("/r4/CodeSystem", params={"url": "http://example.org/none"}).json()
    assert bundle["total"] == 0
    assert "entry" not in bundle


def _core_value_sets(status: str | None = None) -> int:
    """How many FHIR core ValueSets (both versions) /r4 serves beside the guidance content."""
    core = core_view("4.0.1")
    assert core is not None
    return sum(status is None or e.resource.get("status") == status for e in core.all("ValueSet"))


@pytest.mark.parametrize(
    ("query", "own", "core_status"),
    [
        ({}, 5, "any"),
        ({"name": "ipg406"}, 5, None),
        ({"status": "active"}, 5, "active"),
        ({"status": "retired"}, 0, "retired"),
        ({"_summary": "count"}, 5, "any"),
        (
            {"url": "https://w3id.org/nice-tx/fhir/ValueSet/ipg406-procedures", "version": "0.1.0"},
            1,
            None,
        ),
    ],
)
def test_valueset_search_parameters(
    client: Any, query: dict[str, str], own: int, core_status: str | None
) -> None:
    # The base serves the guidance's 5 value sets and FHIR core's.
    core = (
        0
        if core_status is None
        else _core_value_sets(None if core_status == "any" else core_status)
    )
    assert client.get("/r4/ValueSet", params=query).json()["total"] == own + core


def test_summary_true_drops_the_concepts(client: Any) -> None:
    bundle = client.get("/r4/CodeSystem", params={"url": OPCS, "_summary": "true"}).json()
    assert "concept" not in bundle["entry"][0]["resource"]


def test_read_by_id(client: Any) -> None:
    r = client.get("/r4/ConceptMap/ipg406-coding")
    assert r.status_code == 200
    assert r.json()["url"].endswith("/ConceptMap/ipg406-coding")


def test_capability_statement_claims_what_is_served(client: Any) -> None:
    cs = client.get("/r4/metadata").json()
    assert cs["resourceType"] == "CapabilityStatement"
    assert cs["fhirVersion"] == "4.0.1"
    assert cs["instantiates"] == ["http://hl7.org/fhir/CapabilityStatement/terminology-server"]
    assert cs["format"] == ["application/fhir+json", "application/json"]  # no XML claimed
    ops = {(r["type"], o["name"]) for r in cs["rest"][0]["resource"] for o in r["operation"]}
    assert ops == {
        ("ConceptMap", "translate"),
        ("ValueSet", "expand"),
        ("ValueSet", "validate-code"),
        ("CodeSystem", "validate-code"),
        ("CodeSystem", "lookup"),
        ("CodeSystem", "subsumes"),
        ("ValueSet", "batch-validate-code"),
        ("ConceptMap", "closure"),
    }
    assert {o["name"] for o in cs["rest"][0]["operation"]} == {"versions", "closure"}
    features = {e["extension"][0]["valueCanonical"].rsplit("/", 1)[1] for e in cs["extension"]}
    assert features == {"test-version", "CodeSystemAsParameter"}


def test_every_advertised_operation_answers(client: Any) -> None:
    cs = client.get("/r4/metadata").json()
    for res in cs["rest"][0]["resource"]:
        for op in res["operation"]:
            r = client.get(f"/r4/{res['type']}/${op['name']}")
            if op["name"] == "closure":  # changes state: POST only (FHIR), so GET is 405
                assert r.status_code == 405, r.text
                r = client.post(
                    f"/r4/{res['type']}/${op['name']}", json={"resourceType": "Parameters"}
                )
            assert r.status_code in (200, 400), (res["type"], op["name"], r.status_code)


def test_terminology_capabilities_lists_code_systems_with_versions(client: Any) -> None:
    tc = client.get("/r4/metadata", params={"mode": "terminology"}).json()
    assert tc["resourceType"] == "TerminologyCapabilities"
    systems = {c["uri"]: [v["code"] for v in c.get("version", [])] for c in tc["codeSystem"]}
    assert systems[OPCS] == ["4.6"]
    assert systems[ICD10] == ["5.0"]


@pytest.mark.parametrize(
    "accept",
    [
        "application/fhir+json",
        "application/json",
        "application/fhir+json; fhirVersion=4.0",
        "*/*",
        "application/fhir+json;charset=utf-8",
    ],
)
def test_json_media_types_are_tolerated(client: Any, accept: str) -> None:
    assert client.get("/r4/metadata", headers={"Accept": accept}).status_code == 200


@pytest.mark.parametrize("fmt", ["json", "application/json", "application/fhir+json"])
def test_format_parameter(client: Any, fmt: str) -> None:
    assert client.get("/r4/metadata", params={"_format": fmt}).status_code == 200


def test_versions(client: Any) -> None:
    body = client.get("/r4/$versions").json()
    assert [value(p) for p in params(body, "version")] == ["4.0", "5.0"]
    assert [value(p) for p in params(body, "default")] == ["4.0"]
