"""`/openapi.json` describes every FHIR operation from its declared parameters, and the server
keeps to it: Schemathesis fuzzes every operation it describes (fixed seed, bounded examples)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from plugin.api.app import create_app
from plugin.config import FHIR_VERSIONS
from plugin.ops.registry import OPERATIONS

APP = create_app()
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
# Examples per operation and method: ~60 operations, so about 500 requests in all.
EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def document(client: Any) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc: dict[str, Any] = r.json()
    return doc


@pytest.mark.parametrize("base", list(FHIR_VERSIONS))
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda o: o.name)
def test_every_operation_is_described_from_its_declaration(
    document: dict[str, Any], base: str, op: Any
) -> None:
    for rtype in op.resource_types:
        path = document["paths"][f"/{base}/{rtype}/${op.name}"]
        # FHIR: an operation that changes state is invoked with POST only.
        assert set(path) == ({"post"} if op.affects_state else {"get", "post"})
        query = {p["name"] for p in (path.get("get") or path["post"])["parameters"]}
        posted = path["post"]["requestBody"]["content"]["application/fhir+json"]["schema"]
        names = {
            n
            for item in posted["properties"]["parameter"]["items"]["anyOf"]
            for n in item["properties"]["name"]["enum"]
        }
        declared = {n for p in op.params for n in p.names}
        assert names == declared
        # what a URL can carry is offered in the query; resources and parts only by POST
        assert query <= declared
        assert query or op.affects_state
        for p in op.params:
            if p.type in ("Resource", "part", "CodeableConcept"):
                assert p.name not in query
        if op.instance:
            assert f"/{base}/{rtype}/{{id}}/${op.name}" in document["paths"]


def test_health_and_fhir_reads_are_described(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert "/healthz" in paths and "head" in paths["/healthz"]
    for base in FHIR_VERSIONS:
        assert f"/{base}/metadata" in paths
        assert f"/{base}/CodeSystem/{{id}}" in paths


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_server_keeps_to_its_openapi_document(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)
