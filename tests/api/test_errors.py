"""Bad input gets a clear 4xx OperationOutcome; nothing a client sends produces a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.config import MAX_BODY_BYTES
from plugin.ops.registry import OPERATIONS
from tests import hostile
from tests.conftest import PROC

T = "/r4/ConceptMap/$translate"

# (method, path, query, json body, raw body, headers, expected status, expected issue code)
MALFORMED: list[tuple[Any, ...]] = [
    ("GET", T, {"code": "mwa-liver"}, None, None, {}, 400, "invalid"),  # code without system
    ("GET", T, {}, None, None, {}, 400, "invalid"),  # nothing to translate
    (
        "GET",
        T,
        {"system": PROC, "code": "a", "coding": f"{PROC}|b"},
        None,
        None,
        {},
        400,
        "invalid",
    ),  # two conflicting inputs
    ("GET", T, {"system": PROC, "code": "a", "reverse": "maybe"}, None, None, {}, 400, "invalid"),
    ("GET", T, {"coding": "no-bar"}, None, None, {}, 400, "invalid"),
    (
        "GET",
        T,
        {"system": PROC, "code": "a", "conceptMapVersion": "1"},
        None,
        None,
        {},
        400,
        "invalid",
    ),  # version without url
    ("POST", T, None, {"resourceType": "Patient"}, None, {}, 400, "invalid"),
    ("POST", T, None, [1, 2], None, {}, 400, "invalid"),
    (
        "POST",
        T,
        None,
        {"resourceType": "Parameters", "parameter": [{"name": "reverse", "valueString": "true"}]},
        None,
        {},
        400,
        "invalid",
    ),  # wrong type
    (
        "POST",
        T,
        None,
        {
            "resourceType": "Parameters",
            "parameter": [{"name": "coding", "valueCoding": {"system": PROC}}],
        },
        None,
        {},
        400,
        "invalid",
    ),
    ("POST", T, None, {"resourceType": "Parameters", "parameter": "x"}, None, {}, 400, "invalid"),
    (
        "POST",
        T,
        None,
        {
            "resourceType": "Parameters",
            "parameter": [{"name": "code", "valueCode": "a"}, {"name": "code", "valueCode": "b"}],
        },
        None,
        {},
        400,
        "invalid",
    ),  # repeated single parameter
    (
        "POST",
        T,
        None,
        None,
        b"{not json",
        {"Content-Type": "application/fhir+json"},
        400,
        "structure",
    ),
    (
        "POST",
        T,
        None,
        None,
        b"<Parameters/>",
        {"Content-Type": "application/fhir+xml"},
        415,
        "not-supported",
    ),
    (
        "POST",
        T,
        None,
        None,
        b"x" * (MAX_BODY_BYTES + 1),
        {"Content-Type": "application/json"},
        413,
        "too-long",
    ),
    (
        "GET",
        T,
        {"system": PROC, "code": "a", "_format": "xml"},
        None,
        None,
        {},
        406,
        "not-supported",
    ),
    (
        "GET",
        T,
        {"system": PROC, "code": "a"},
        None,
        None,
        {"Accept": "application/fhir+xml"},
        406,
        "not-supported",
    ),
    (
        "GET",
        "/r4/ConceptMap/nope/$translate",
        {"system": PROC, "code": "a"},
        None,
        None,
        {},
        404,
        "not-found",
    ),
    ("GET", "/r4/CodeSystem/nope", None, None, None, {}, 404, "not-found"),
    ("GET", "/r4/Patient/1", None, None, None, {}, 404, "not-found"),
    ("GET", "/r4/nothing/here/at/all", None, None, None, {}, 404, "not-found"),
    ("DELETE", "/r4/CodeSystem/opcs-4-fragment", None, None, None, {}, 405, "not-supported"),
    (
        "PUT",
        "/r4/CodeSystem/opcs-4-fragment",
        None,
        {"resourceType": "CodeSystem"},
        None,
        {},
        405,
        "not-supported",
    ),
    (
        "POST",
        "/r4/CodeSystem",
        None,
        {"resourceType": "CodeSystem"},
        None,
        {},
        405,
        "not-supported",
    ),
    ("DELETE", T, None, None, None, {}, 405, "not-supported"),
    ("GET", "/r4/CodeSystem/$lookup", {"code": "J12.7"}, None, None, {}, 400, "invalid"),
    (
        "GET",
        "/r4/CodeSystem/$lookup",
        {"system": "http://x", "code": "1"},
        None,
        None,
        {},
        404,
        "not-found",
    ),
    ("GET", "/r4/ValueSet/$expand", {}, None, None, {}, 400, "invalid"),
    ("GET", "/r4/ValueSet/$expand", {"url": "http://x/vs"}, None, None, {}, 404, "not-found"),
    (
        "GET",
        "/r4/ValueSet/$expand",
        {"url": "http://x/vs", "count": "many"},
        None,
        None,
        {},
        400,
        "invalid",
    ),
    ("GET", "/r4/ValueSet/$validate-code", {"code": "x"}, None, None, {}, 400, "invalid"),
    ("GET", "/r4/CodeSystem", {"_summary": "maybe"}, None, None, {}, 400, "invalid"),
    ("GET", "/r4/metadata", {"mode": "everything"}, None, None, {}, 400, "invalid"),
]


def _send(
    client: Any, method: str, path: str, query: Any, body: Any, raw: Any, headers: dict[str, str]
) -> Any:
    kwargs: dict[str, Any] = {"params": query, "headers": headers}
    if body is not None:
        kwargs["json"] = body
    if raw is not None:
        kwargs["content"] = raw
    return client.request(method, path, **kwargs)


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "raw", "headers", "status", "code"), MALFORMED
)
def test_malformed_requests_get_a_4xx_operation_outcome(
    client: Any,
    method: str,
    path: str,
    query: Any,
    body: Any,
    raw: Any,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    r = _send(client, method, path, query, body, raw, headers)
    assert r.status_code == status, r.text
    outcome = r.json()
    assert outcome["resourceType"] == "OperationOutcome"
    issue = outcome["issue"][0]
    assert issue["severity"] == "error"
    assert issue["code"] == code
    assert issue["details"]["text"]


def test_code_without_system_names_the_parameter(client: Any) -> None:
    r = client.get(T, params={"sourceCode": "mwa-liver"})
    assert r.json()["issue"][0]["expression"] == ["sourceCode"]


ROUTES = [
    "/r4/ConceptMap/$translate",
    "/r4/ConceptMap/ipg406-coding/$translate",
    "/r4/CodeSystem/$lookup",
    "/r4/CodeSystem/$subsumes",
    "/r4/CodeSystem/$validate-code",
    "/r4/ValueSet/$expand",
    "/r4/ValueSet/$validate-code",
    "/r4/ValueSet/ipg406-procedures/$expand",
    "/r4/metadata",
    "/r4/$versions",
    "/r4/CodeSystem",
    "/r4/ValueSet/ipg406-procedures",
    "/r4/ConceptMap",
    "/r4/ValueSet/$batch-validate-code",
    "/r4/ConceptMap/$closure",
    "/r4/$closure",
]
# Every route again on the R5 base: same engine, other wire form, same promise.
ROUTES += [r.replace("/r4/", "/r5/", 1) for r in ROUTES]


def test_every_registered_operation_is_in_the_matrix() -> None:
    served = {f"/r4/{t}/${op.name}" for op in OPERATIONS for t in op.resource_types}
    served |= {f"/r4/${op.name}" for op in OPERATIONS if op.system}
    assert served <= set(ROUTES), sorted(served - set(ROUTES))


JUNK_QUERIES = [
    {},
    {"code": ""},
    {"system": "", "code": ""},
    {"coding": "|"},
    {"coding": "a|"},
    {"url": "", "count": "-1"},
    {"offset": "-5", "url": "x"},
    {"count": "1e9"},
    {"system": "\x00", "code": "\ud7ff"},
    {"reverse": "true"},
    {"_count": "-1"},
    {"property": "x" * 5000},
    {"dependency": "x"},
    {"tx-resource": "x"},
    {"valueSet": "x"},
    {"mode": "terminology"},
    {"_summary": "count"},
    {"url": "|", "version": "|"},
]
JUNK_BODIES: list[Any] = [
    None,
    "",
    0,
    [],
    {},
    {"resourceType": "Parameters"},
    {"resourceType": "Parameters", "parameter": [{}]},
    {"resourceType": "Parameters", "parameter": [{"name": 1}]},
    {"resourceType": "Parameters", "parameter": [{"name": "coding", "valueCoding": "x"}]},
    {
        "resourceType": "Parameters",
        "parameter": [{"name": "codeableConcept", "valueCodeableConcept": {"coding": "x"}}],
    },
    {
        "resourceType": "Parameters",
        "parameter": [{"name": "codeableConcept", "valueCodeableConcept": {"coding": [1]}}],
    },
    {"resourceType": "Parameters", "parameter": [{"name": "tx-resource", "resource": {}}]},
    {
        "resourceType": "Parameters",
        "parameter": [{"name": "tx-resource", "resource": {"resourceType": "ValueSet"}}],
    },
    {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "tx-resource",
                "resource": {
                    "resourceType": "ConceptMap",
                    "url": "u",
                    "group": [{"element": [{"code": 1}]}],
                },
            }
        ],
    },
    {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "conceptMap", "resource": {"resourceType": "ConceptMap", "group": "x"}},
            {"name": "system", "valueUri": "a"},
            {"name": "code", "valueCode": "b"},
        ],
    },
    {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "valueSet",
                "resource": {
                    "resourceType": "ValueSet",
                    "compose": {
                        "include": [
                            {
                                "system": "x",
                                "filter": [{"property": "concept", "op": "regex", "value": "("}],
                            }
                        ]
                    },
                },
            }
        ],
    },
    {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "dependency", "part": [{"name": "concept", "valueCodeableConcept": {}}]},
            {"name": "system", "valueUri": PROC},
            {"name": "code", "valueCode": "mwa-liver"},
        ],
    },
]


def _assert_clean(r: Any) -> None:
    assert r.status_code < 500, (r.status_code, r.text)
    if r.status_code >= 400:
        assert r.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("query", JUNK_QUERIES)
def test_no_5xx_for_junk_queries(client: Any, route: str, query: dict[str, str]) -> None:
    _assert_clean(client.get(route, params=query))


@pytest.mark.parametrize("route", [r for r in ROUTES if "$" in r])
@pytest.mark.parametrize("body", JUNK_BODIES)
def test_no_5xx_for_junk_bodies(client: Any, route: str, body: Any) -> None:
    _assert_clean(client.post(route, json=body))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
_names = st.sampled_from(
    [
        "code",
        "system",
        "coding",
        "codeableConcept",
        "url",
        "reverse",
        "dependency",
        "conceptMap",
        "tx-resource",
        "targetsystem",
        "count",
        "filter",
        "valueSet",
        "property",
        "sourceCode",
        "targetCode",
    ]
)
_param = st.fixed_dictionaries(
    {"name": _names},
    optional={
        "valueCode": _json,
        "valueString": _json,
        "valueCoding": _json,
        "valueBoolean": _json,
        "valueCodeableConcept": _json,
        "valueInteger": _json,
        "resource": _json,
        "part": _json,
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    route=st.sampled_from([r for r in ROUTES if "$" in r]), parameter=st.lists(_param, max_size=5)
)
def test_no_5xx_for_generated_parameters(client: Any, route: str, parameter: list[Any]) -> None:
    _assert_clean(client.post(route, json={"resourceType": "Parameters", "parameter": parameter}))


# Hostile bodies (depth, size, encodings): each one a 4xx or a 200, never a 5xx, on every route.
_PARAMS_A = b'{"resourceType":"Parameters","parameter":[{"name":"code","valueCode":"a"}]}'
HOSTILE_BODIES: list[Any] = [
    pytest.param(hostile.expand_with(hostile.nested_chain(475)), id="concepts-475-deep"),
    pytest.param(hostile.expand_with(hostile.flat_chain(200)), id="hierarchy-200-deep"),
    pytest.param(hostile.deep_parameters(600), id="parts-600-deep"),
    pytest.param(b"[" * 5000 + b"]" * 5000, id="arrays-5000-deep"),
    pytest.param(
        hostile.encode(
            {
                "resourceType": "Parameters",
                "parameter": [
                    {"name": "codeSystem", "resource": {"resourceType": "CodeSystem"}},
                    {"name": "code", "valueCode": "a"},
                ],
            }
        ),
        id="codesystem-without-url",
    ),
    pytest.param(
        hostile.encode(
            {
                "resourceType": "Parameters",
                "parameter": [
                    {"name": "codeableConcept", "valueCodeableConcept": {"text": "mwa " * 250_000}}
                ],
            }
        ),
        id="description-1MB",
    ),
    pytest.param(_PARAMS_A.decode().encode("utf-16"), id="utf-16-with-bom"),
    pytest.param(b"\xef\xbb\xbf" + _PARAMS_A, id="utf-8-bom"),
    pytest.param(_PARAMS_A.replace(b'"a"', b'"\xe9"'), id="latin-1-byte"),
    pytest.param(_PARAMS_A.replace(b'"a"', b'"\xc3"'), id="truncated-utf-8"),
    pytest.param(_PARAMS_A.replace(b'"a"', b'"\\ud800"'), id="lone-surrogate-escape"),
    pytest.param(_PARAMS_A.replace(b'"a"', b'"a\\u0000b"'), id="nul-escape"),
    pytest.param(_PARAMS_A + b"\x00", id="trailing-nul"),
]


@pytest.mark.parametrize("route", [r for r in ROUTES if "$" in r])
@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_no_5xx_for_hostile_bodies(client: Any, route: str, body: bytes) -> None:
    _assert_clean(
        client.post(route, content=body, headers={"Content-Type": "application/fhir+json"})
    )
