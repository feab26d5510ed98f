"""Codes of an unversioned fragment: $lookup and CodeSystem/$validate-code find them.

A compiled guidance whose page states no OPCS-4 version (and every compiled ICD-10 fragment)
gives a `content: fragment` CodeSystem with no `version` beside the built-in versioned one. An
unpinned request resolves the latest version, which lacks the compiled codes; the codes are
then found in the unversioned fragment. The codes here are those NICE IPG327 and IPG214 state
(https://www.nice.org.uk/guidance/ipg327, https://www.nice.org.uk/guidance/ipg214).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from plugin.api.app import create_app
from plugin.content.loader import build_store
from tests.conftest import ICD10, OPCS
from tests.helpers import params, result, value

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

# (system, code, title, the built-in version that lacks it)
UNVERSIONED = [
    (OPCS, "J12.4", "Percutaneous radiofrequency ablation of lesion of liver", "4.6"),
    (ICD10, "C22.0", "Liver cell carcinoma", "5.0"),
]


def _fragment(rid: str, system: str, code: str, title: str) -> dict[str, Any]:
    return {
        "resourceType": "CodeSystem",
        "id": rid,
        "url": system,
        "status": "active",
        "content": "fragment",
        "concept": [{"code": code, "display": title}],
    }


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("unversioned")
    for i, (system, code, title, _) in enumerate(UNVERSIONED):
        (folder / f"f{i}.json").write_text(json.dumps(_fragment(f"f{i}", system, code, title)))
    store, report = build_store([folder])
    assert not report.refused
    with TestClient(create_app(store)) as c:
        yield c


def _call(client: TestClient, base: str, op: str, shape: str, q: dict[str, str]) -> Any:
    """`op` on CodeSystem by GET, POST with code+system, or POST with a coding."""
    path = f"/{base}/CodeSystem/${op}"
    if shape == "get":
        return client.get(path, params=q)
    system_name = "url" if "url" in q else "system"
    if shape == "coding":
        coding = {"system": q[system_name], "code": q["code"]}
        if "version" in q:
            coding["version"] = q["version"]
        p: list[dict[str, Any]] = [{"name": "coding", "valueCoding": coding}]
    else:
        p = [
            {"name": system_name, "valueUri": q[system_name]},
            {"name": "code", "valueCode": q["code"]},
        ]
        if "version" in q:
            p.append({"name": "version", "valueString": q["version"]})
    return client.post(path, json={"resourceType": "Parameters", "parameter": p})


SHAPES = ["get", "post", "coding"]


@pytest.mark.parametrize(("system", "code", "title", "latest"), UNVERSIONED)
@pytest.mark.parametrize("op", ["lookup", "validate-code"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("base", ["r4", "r5"])
def test_the_code_is_found(
    client: TestClient,
    base: str,
    shape: str,
    op: str,
    system: str,
    code: str,
    title: str,
    latest: str,
) -> None:
    q = {"system" if op == "lookup" else "url": system, "code": code}
    r = _call(client, base, op, shape, q)
    assert r.status_code == 200, r.text
    body = r.json()
    assert value(params(body, "display")[0]) == title
    assert params(body, "version") == []  # the fragment states none: none is claimed
    if op == "validate-code":
        assert result(body) is True
        assert params(body, "issues") == []  # found, not "may be valid in another fragment"


@pytest.mark.parametrize(("system", "code", "title", "latest"), UNVERSIONED)
@pytest.mark.parametrize("shape", SHAPES)
def test_a_pinned_version_is_not_widened(
    client: TestClient, shape: str, system: str, code: str, title: str, latest: str
) -> None:
    """A request naming the built-in version asks about that version: not found there."""
    q = {"system": system, "code": code, "version": latest}
    assert _call(client, "r4", "lookup", shape, q).status_code == 404
    q = {"url": system, "code": code, "version": latest}
    body = _call(client, "r4", "validate-code", shape, q).json()
    texts = [i["details"]["text"] for p in params(body, "issues") for i in p["resource"]["issue"]]
    assert any(f"Unknown Code '{code}'" in t for t in texts), texts


@pytest.mark.parametrize("system", [OPCS, ICD10])
def test_codes_in_neither_stay_unknown(client: TestClient, system: str) -> None:
    r = client.get("/r4/CodeSystem/$lookup", params={"system": system, "code": "Z99.9"})
    assert r.status_code == 404
    # the latest version's own codes are still answered from it, with its version
    code, version = ("J12.7", "4.6") if system == OPCS else ("C78.7", "5.0")
    body = client.get("/r4/CodeSystem/$lookup", params={"system": system, "code": code}).json()
    assert value(params(body, "version")[0]) == version


def _against_value_set(client: TestClient, include: dict[str, Any], coding: dict[str, str]) -> Any:
    vs = {
        "resourceType": "ValueSet",
        "url": "http://example.org/vs",
        "status": "active",
        "compose": {"include": [include]},
    }
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "url", "valueUri": "http://example.org/vs"},
            {"name": "tx-resource", "resource": vs},
            {"name": "coding", "valueCoding": coding},
        ],
    }
    return client.post("/r4/ValueSet/$validate-code", json=body).json()


@pytest.mark.parametrize(("system", "code", "title", "latest"), UNVERSIONED)
@pytest.mark.parametrize("include", ["listed", "whole system"])
def test_value_set_validate_code(
    client: TestClient, include: str, system: str, code: str, title: str, latest: str
) -> None:
    """A value set listing the code has it; one taking the system whole cannot rule it out
    from an expansion of the latest version (which lacks it): neither says it is not in."""
    inc: dict[str, Any] = {"system": system}
    if include == "listed":
        inc["concept"] = [{"code": code}]
    answer = _against_value_set(client, inc, {"system": system, "code": code})
    assert result(answer) is True, answer
    assert value(params(answer, "display")[0]) == title
    # a code of the latest version: a value set listing another code still says it is not in
    other = "J03.2" if system == OPCS else "C78.7"
    listed = _against_value_set(client, inc, {"system": system, "code": other})
    assert result(listed) is (include == "whole system")
