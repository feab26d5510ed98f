"""$lookup and $validate-code over the OPCS-4 and ICD-10 fragments."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ICD10, OPCS
from tests.helpers import params, part, result, value

TITLES = {
    "J12.7": "Percutaneous microwave ablation of lesion of liver",
    "J03.2": "Destruction of lesion of liver NEC",
    "Y53.9": "Unspecified approach to organ under image control",
}


@pytest.mark.parametrize("code", sorted(TITLES))
@pytest.mark.parametrize("form", ["get", "post", "coding", "undotted"])
def test_lookup_gives_the_official_title(client: Any, code: str, form: str) -> None:
    if form == "get":
        r = client.get("/r4/CodeSystem/$lookup", params={"system": OPCS, "code": code})
    elif form == "undotted":
        r = client.get(
            "/r4/CodeSystem/$lookup",
            params={"system": "https://fhir.nhs.uk/Id/opcs-4", "code": code.replace(".", "")},
        )
    else:
        p = (
            [{"name": "coding", "valueCoding": {"system": OPCS, "code": code}}]
            if form == "coding"
            else [{"name": "system", "valueUri": OPCS}, {"name": "code", "valueCode": code}]
        )
        r = client.post(
            "/r4/CodeSystem/$lookup", json={"resourceType": "Parameters", "parameter": p}
        )
    assert r.status_code == 200, r.text
    body = r.json()
    assert value(params(body, "display")[0]) == TITLES[code]
    assert value(params(body, "version")[0]) == "4.6"
    parents = [part(p, "value") for p in params(body, "property") if part(p, "code") == "parent"]
    assert parents == [code[:3]]


def test_lookup_unknown_code_is_404(client: Any) -> None:
    r = client.get("/r4/CodeSystem/$lookup", params={"system": OPCS, "code": "Z99.9"})
    assert r.status_code == 404
    assert r.json()["issue"][0]["code"] == "not-found"


def test_lookup_property_filter(client: Any) -> None:
    r = client.get(
        "/r4/CodeSystem/$lookup", params=[("system", OPCS), ("code", "Y53"), ("property", "child")]
    )
    children = [part(p, "value") for p in params(r.json(), "property")]
    assert children == [f"Y53.{i}" for i in range(1, 10)]


@pytest.mark.parametrize(
    ("system", "code", "display", "ok"),
    [
        (OPCS, "J12.7", None, True),
        (OPCS, "J127", None, True),
        (OPCS, "J12.7", "Percutaneous microwave ablation of lesion of liver", True),
        (OPCS, "J12.7", "Something else", False),
        (OPCS, "J99.9", None, True),  # a fragment: unlisted codes are warnings, not errors
        (ICD10, "C78.7", None, True),
        ("http://example.org/unknown", "x", None, False),
    ],
)
def test_codesystem_validate_code(
    client: Any, system: str, code: str, display: str | None, ok: bool
) -> None:
    p = [{"name": "url", "valueUri": system}, {"name": "code", "valueString": code}]
    if display:
        p.append({"name": "display", "valueString": display})
    r = client.post(
        "/r4/CodeSystem/$validate-code", json={"resourceType": "Parameters", "parameter": p}
    )
    assert r.status_code == 200
    body = r.json()
    assert result(body) is ok
    if not ok or code == "J99.9":
        assert params(body, "issues")[0]["resource"]["resourceType"] == "OperationOutcome"
    if not ok:
        assert params(body, "message")
