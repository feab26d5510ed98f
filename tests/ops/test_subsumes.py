"""CodeSystem/$subsumes over FHIR core's issue-type hierarchy (invalid > structure ...)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import params, value

ISSUE_TYPE = "http://hl7.org/fhir/issue-type"


def _ask(client: Any, base: str, form: str, a: str, b: str, system: str | None = ISSUE_TYPE) -> Any:
    url = f"/{base}/CodeSystem/$subsumes"
    if form == "get":
        query = {"codeA": a, "codeB": b, **({"system": system} if system else {})}
        return client.get(url, params=query)
    if form == "codes":
        p: list[dict[str, Any]] = [
            {"name": "codeA", "valueCode": a},
            {"name": "codeB", "valueCode": b},
        ]
        if system:
            p.append({"name": "system", "valueUri": system})
    else:
        coding = {"system": system} if system else {}
        p = [
            {"name": "codingA", "valueCoding": {**coding, "code": a}},
            {"name": "codingB", "valueCoding": {**coding, "code": b}},
        ]
    return client.post(url, json={"resourceType": "Parameters", "parameter": p})


@pytest.mark.parametrize("base", ["r4", "r5"])
@pytest.mark.parametrize("form", ["get", "codes", "codings"])
@pytest.mark.parametrize(
    ("a", "b", "outcome"),
    [
        ("invalid", "structure", "subsumes"),
        ("structure", "invalid", "subsumed-by"),
        ("invalid", "invalid", "equivalent"),
        ("structure", "required", "not-subsumed"),
        ("security", "invalid", "not-subsumed"),
    ],
)
def test_outcome_follows_the_hierarchy(
    client: Any, base: str, form: str, a: str, b: str, outcome: str
) -> None:
    r = _ask(client, base, form, a, b)
    assert r.status_code == 200, r.text
    assert value(params(r.json(), "outcome")[0]) == outcome


def test_instance_level_takes_the_system_from_the_code_system(client: Any) -> None:
    r = client.get(
        "/r4/CodeSystem/issue-type/$subsumes", params={"codeA": "invalid", "codeB": "value"}
    )
    assert r.status_code == 200, r.text
    assert value(params(r.json(), "outcome")[0]) == "subsumes"


@pytest.mark.parametrize(
    ("form", "message_id"),
    [("codes", "SUBSUMES_SYSTEM_REQUIRED"), ("codings", "SUBSUMES_CODING_NO_SYSTEM")],
)
def test_a_missing_system_is_a_bad_request(client: Any, form: str, message_id: str) -> None:
    r = _ask(client, "r5", form, "invalid", "structure", system=None)
    assert r.status_code == 400
    issue = r.json()["issue"][0]
    assert issue["code"] == "invalid"
    assert issue["details"]["coding"][0]["code"] == "invalid-data"
    assert issue["extension"][0]["valueString"] == message_id


@pytest.mark.parametrize(
    ("query", "status"),
    [
        # A code the system does not define: the request is wrong (code-invalid), not a 404.
        ({"codeA": "invalid", "codeB": "nonsense", "system": ISSUE_TYPE}, 400),
        ({"codeA": "invalid", "codeB": "x", "system": "http://example.org/unknown"}, 404),
        ({"codeA": "invalid", "system": ISSUE_TYPE}, 400),
        ({"codeA": "a", "codingA": "x", "codeB": "b", "system": ISSUE_TYPE}, 400),
    ],
    ids=["unknown-code", "unknown-system", "no-codeB", "codeA-and-codingA"],
)
def test_bad_requests_are_4xx_outcomes(client: Any, query: dict[str, str], status: int) -> None:
    r = client.get("/r4/CodeSystem/$subsumes", params=query)
    assert r.status_code == status, r.text
    assert r.json()["resourceType"] == "OperationOutcome"


def test_codings_of_two_systems_are_refused(client: Any) -> None:
    p = [
        {"name": "codingA", "valueCoding": {"system": ISSUE_TYPE, "code": "invalid"}},
        {
            "name": "codingB",
            "valueCoding": {"system": "http://hl7.org/fhir/issue-severity", "code": "error"},
        },
    ]
    r = client.post("/r4/CodeSystem/$subsumes", json={"resourceType": "Parameters", "parameter": p})
    assert r.status_code == 400
