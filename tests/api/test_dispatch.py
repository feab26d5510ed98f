"""The operation dispatcher answers exactly as the framework's routes do, only sooner.

Every request below is sent twice: to the app (operation paths dispatched before FastAPI) and to
the same app with its dispatch table emptied (the same request then goes through FastAPI and the
Starlette routes). Status, content type and body must be identical.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from plugin.api.app import create_app
from plugin.api.dispatch import FhirApp
from plugin.config import MAX_BODY_BYTES
from plugin.content.store import Store
from tests.bodies import PROCEDURE, translate_with_image_control

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

OPCS = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
MAP = "https://w3id.org/nice-tx/fhir/ConceptMap/ipg406-coding"
VS = "https://w3id.org/nice-tx/fhir/ValueSet/image-control"
FHIR_JSON = {"Content-Type": "application/fhir+json"}


@pytest.fixture(scope="module")
def pair(store: Store) -> Iterator[tuple[TestClient, TestClient]]:
    fast = create_app(store)
    framework = create_app(store)
    framework.operations = {}
    with (
        TestClient(fast, raise_server_exceptions=False) as a,
        TestClient(framework, raise_server_exceptions=False) as b,
    ):
        yield a, b


GETS = [
    f"/r4/ConceptMap/$translate?system={PROCEDURE}&code=mwa-liver-open",
    f"/r5/ConceptMap/$translate?sourceSystem={PROCEDURE}&sourceCode=mwa-liver-percutaneous",
    f"/r4/ConceptMap/$translate?system={PROCEDURE}&code=mwa-liver&targetsystem={OPCS}",
    f"/r4/ConceptMap/$translate?coding={PROCEDURE}|mwa-liver-laparoscopic",
    "/r4/ConceptMap/$translate?system=https://fhir.nhs.uk/Id/opcs-4&code=J127&reverse=true",
    f"/r5/ConceptMap/$translate?targetSystem={OPCS}&targetCode=J12.7",
    f"/r4/ConceptMap/ipg406-coding/$translate?system={PROCEDURE}&code=mwa-liver-open",
    f"/r4/ConceptMap/$translate?url={MAP}&system={PROCEDURE}&code=no-such-code",
    "/r4/ConceptMap/$translate?system=http://example.org/none&code=x",
    f"/r4/CodeSystem/$validate-code?url={OPCS}&code=J12.7&display=Wrong",
    f"/r4/CodeSystem/$validate-code?url={OPCS}&code=J12.7",
    f"/r4/ValueSet/$validate-code?url={VS}&system=x&code=y",
    f"/r4/CodeSystem/$lookup?system={OPCS}&code=J12.7",
    f"/r4/CodeSystem/$lookup?system={OPCS}&code=J12.7&_format=json",
    f"/r4/ValueSet/$expand?url={VS}",
    # malformed or unsupported: the same OperationOutcome either way
    "/r4/ConceptMap/$translate?code=mwa-liver-open",
    f"/r4/ConceptMap/$translate?system={PROCEDURE}&code=a&code=b",
    f"/r4/ConceptMap/$translate?system={PROCEDURE}&code=mwa-liver&reverse=maybe",
    f"/r4/ConceptMap/$translate?system={PROCEDURE}&code=mwa-liver&_format=xml",
    f"/r4/ConceptMap/no-such-map/$translate?system={PROCEDURE}&code=mwa-liver",
    "/r4/ConceptMap/$translate?system=a%20b+c&code=%E2%9C%93",
    "/r4/ConceptMap/$translate?&&=&system&code=",
]


@pytest.mark.parametrize("path", GETS)
@pytest.mark.parametrize("accept", [None, "application/json", "application/fhir+xml"])
def test_get_answers_match_the_framework(
    pair: tuple[TestClient, TestClient], path: str, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    fast, framework = (c.get(path, headers=headers) for c in pair)
    assert fast.status_code == framework.status_code
    assert fast.headers["content-type"] == framework.headers["content-type"]
    assert fast.content == framework.content
    assert fast.status_code < 500


def _parameters(*parameter: dict[str, Any]) -> bytes:
    return json.dumps({"resourceType": "Parameters", "parameter": list(parameter)}).encode()


POSTS = [
    (
        "/r4/ConceptMap/$translate",
        json.dumps(translate_with_image_control("mwa-liver-percutaneous", "ultrasound")).encode(),
        FHIR_JSON,
    ),
    (
        "/r5/ConceptMap/$translate",
        _parameters(
            {"name": "sourceCodeableConcept", "valueCodeableConcept": {"text": "open MWA of CRLM"}}
        ),
        FHIR_JSON,
    ),
    (
        "/r4/CodeSystem/$validate-code",
        _parameters({"name": "url", "valueUri": OPCS}, {"name": "code", "valueString": "J12.7"}),
        FHIR_JSON,
    ),
    ("/r4/CodeSystem/$lookup", b"", FHIR_JSON),  # empty body: the query string is read
    ("/r4/ConceptMap/$translate", b"{not json", FHIR_JSON),
    ("/r4/ConceptMap/$translate", b'{"resourceType":"Patient"}', FHIR_JSON),
    ("/r4/ConceptMap/$translate", b"<Parameters/>", {"Content-Type": "application/fhir+xml"}),
    ("/r4/ConceptMap/$translate", b" " * (MAX_BODY_BYTES + 1), FHIR_JSON),
]


@pytest.mark.parametrize(("path", "body", "headers"), POSTS)
def test_post_answers_match_the_framework(
    pair: tuple[TestClient, TestClient], path: str, body: bytes, headers: dict[str, str]
) -> None:
    query = f"?system={OPCS}&code=J12.7" if not body else ""
    fast, framework = (c.post(path + query, content=body, headers=headers) for c in pair)
    assert fast.status_code == framework.status_code
    assert fast.headers["content-type"] == framework.headers["content-type"]
    assert fast.content == framework.content
    assert fast.status_code < 500


def test_operation_paths_do_not_reach_the_framework(store: Store) -> None:
    app = create_app(store)
    app.router.routes.clear()  # the framework now knows no route at all
    with TestClient(app, raise_server_exceptions=False) as c:
        op = c.get(f"/r4/ConceptMap/$translate?system={PROCEDURE}&code=mwa-liver-open")
        other = c.get("/r4/metadata")
    assert op.status_code == 200
    assert op.json()["parameter"][0] == {"name": "result", "valueBoolean": True}
    assert other.status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/r4/metadata", "/healthz", "/r4/ConceptMap/ipg406-coding", "/r4/ConceptMap/$translate/"],
)
def test_other_paths_go_to_the_framework(pair: tuple[TestClient, TestClient], path: str) -> None:
    fast, framework = (c.get(path) for c in pair)
    assert fast.status_code == framework.status_code
    assert fast.content == framework.content


def test_the_app_is_still_fastapi(store: Store) -> None:
    app = create_app(store)
    assert isinstance(app, FhirApp)
    assert app.state.store is store
    assert ("r4", "ConceptMap", "$translate") in app.operations
    assert ("r5", "ValueSet", "$validate-code") in app.operations
