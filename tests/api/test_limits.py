"""The stated limits: depth, work budget, answer size, body time; each ends in a 4xx, never 5xx."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest

from plugin.api import limits
from plugin.api.app import create_app
from plugin.api.limits import SlowBodyGuard
from plugin.config import CANONICAL_BASE, MAX_DEPTH
from plugin.content.store import Store
from tests import hostile

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

BASES = ["/r4", "/r5"]
JSON = {"Content-Type": "application/fhir+json"}


@pytest.fixture(scope="module")
def tight(store: Store) -> Iterator[TestClient]:
    """The app with a half-second work budget."""
    with TestClient(create_app(store, budget=0.5), raise_server_exceptions=False) as c:
        yield c


def _outcome(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text[:500]
    outcome: dict[str, Any] = r.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == code
    assert outcome["issue"][0]["details"]["text"]
    return outcome


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize(
    ("levels", "code", "says"),
    [
        (MAX_DEPTH + 1, "invalid", f"{MAX_DEPTH} levels"),
        (475, "invalid", f"{MAX_DEPTH} levels"),
        # deeper than the JSON parser reads at all (1,024 levels of arrays and objects)
        (2000, "structure", "not valid JSON"),
    ],
)
def test_concepts_nested_past_the_limit_are_refused(
    client: Any, base: str, levels: int, code: str, says: str
) -> None:
    body = hostile.expand_with(hostile.nested_chain(levels))
    r = client.post(f"{base}/ValueSet/$expand", content=body, headers=JSON)
    assert says in _outcome(r, 400, code)["issue"][0]["details"]["text"]


@pytest.mark.parametrize("base", BASES)
def test_concepts_nested_to_the_limit_are_expanded(client: Any, base: str) -> None:
    body = hostile.expand_with(hostile.nested_chain(MAX_DEPTH))
    r = client.post(f"{base}/ValueSet/$expand", content=body, headers=JSON)
    assert r.status_code == 200, r.text[:300]
    node, depth = r.json()["expansion"]["contains"][0], 1
    while "contains" in node:
        node, depth = node["contains"][0], depth + 1
    assert depth == MAX_DEPTH


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 127, 300])
def test_expansion_deeper_than_the_limit_is_too_costly(client: Any, base: str, levels: int) -> None:
    body = hostile.expand_with(hostile.flat_chain(levels))
    r = client.post(f"{base}/ValueSet/$expand", content=body, headers=JSON)
    outcome = _outcome(r, 422, "too-costly")
    assert outcome["issue"][0]["expression"] == ["excludeNested"]
    flat_body = hostile.expand_with(
        hostile.flat_chain(levels), None, {"name": "excludeNested", "valueBoolean": True}
    )
    flat = client.post(f"{base}/ValueSet/$expand", content=flat_body, headers=JSON)
    assert flat.status_code == 200
    assert flat.json()["expansion"]["total"] == levels
    assert all("contains" not in c for c in flat.json()["expansion"]["contains"])


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize(
    "given",
    [
        {"resourceType": "CodeSystem", "content": "complete", "concept": [{"code": "a"}]},
        {"resourceType": "ValueSet", "url": "http://example.org/fhir/ValueSet/x"},
        {"resourceType": "CodeSystem", "url": 7},
    ],
)
def test_inline_code_system_that_cannot_be_used_is_400(
    client: Any, base: str, given: dict[str, Any]
) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "codeSystem", "resource": given},
            {"name": "code", "valueCode": "a"},
        ],
    }
    r = client.post(f"{base}/CodeSystem/$validate-code", json=body)
    where = _outcome(r, 400, "invalid")["issue"][0]["expression"]
    assert where in (["codeSystem"], ["Parameters.parameter[0]"])


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            hostile.expand_with(
                hostile.flat_chain(10_000), [{"property": "concept", "op": "is-a", "value": "c0"}]
            ),
            id="10000-level-hierarchy",
        ),
        pytest.param(
            hostile.expand_with(hostile.flat_system(1000), hostile.regex_filters(5000)),
            id="5000-regex-filters",
        ),
    ],
)
def test_request_past_its_budget_is_too_costly(tight: Any, base: str, body: bytes) -> None:
    r = tight.post(f"{base}/ValueSet/$expand", content=body, headers=JSON)
    outcome = _outcome(r, 422, "too-costly")
    assert "0.5 s" in outcome["issue"][0]["details"]["text"]


def test_answer_past_the_size_cap_is_too_costly(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _a_value_set(client)
    monkeypatch.setattr(limits, "MAX_ANSWER_BYTES", 500)
    r = client.get("/r4/ValueSet/$expand", params={"url": url})
    assert "500" in _outcome(r, 422, "too-costly")["issue"][0]["details"]["text"]


def _a_value_set(client: Any) -> str:
    """The project's own value set with the largest expansion."""
    bundle = client.get("/r4/ValueSet", params={"_count": "1000"}).json()
    urls = [e["resource"]["url"] for e in bundle["entry"]]
    sizes: dict[str, int] = {}
    for u in urls:
        if u.startswith(CANONICAL_BASE):
            r = client.get("/r4/ValueSet/$expand", params={"url": u})
            if r.status_code == 200:
                sizes[u] = len(r.content)
    assert sizes
    return max(sizes, key=lambda u: sizes[u])


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_cheap_and_heavy_requests_answer_alike(client: Any, method: str) -> None:
    """The pool is an implementation detail: the same request answers the same either way."""
    url = _a_value_set(client)
    if method == "GET":
        r = client.get("/r4/ValueSet/$expand", params={"url": url})
    else:
        body = {"resourceType": "Parameters", "parameter": [{"name": "url", "valueUri": url}]}
        r = client.post("/r4/ValueSet/$expand", json=body)
    assert r.status_code == 200
    assert r.json()["expansion"]["total"] >= 1


@pytest.mark.parametrize(
    ("operation", "method", "length", "heavy"),
    [
        ("translate", "GET", None, False),
        ("translate", "POST", "300", False),
        ("translate", "POST", str(limits.HEAVY_BODY_BYTES + 1), True),
        ("translate", "POST", None, True),
        ("expand", "GET", None, True),
        ("batch-validate-code", "POST", "10", True),
    ],
)
def test_which_requests_leave_the_event_loop(
    operation: str, method: str, length: str | None, heavy: bool
) -> None:
    headers = {"content-length": length} if length else {}
    assert limits.is_heavy(operation, method, headers) is heavy


def _run_guard(chunks: list[bytes | None], timeout: float) -> list[MutableMapping[str, Any]]:
    """Drive SlowBodyGuard around an app that reads the whole body; None = a stalled client."""
    sent: list[MutableMapping[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive() -> dict[str, Any]:
        chunk = chunks.pop(0)
        if chunk is None:
            await asyncio.sleep(3600)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/r4/ConceptMap/$translate"}
    asyncio.run(SlowBodyGuard(app, timeout)(scope, receive, send))
    return sent


def test_a_stalled_body_ends_with_408() -> None:
    sent = _run_guard([b'{"resourceType":', None], timeout=0.2)
    assert sent[0]["status"] == 408
    assert b'"timeout"' in sent[1]["body"]
    assert (b"connection", b"close") in sent[0]["headers"]


def test_a_body_in_time_passes() -> None:
    sent = _run_guard([b"{", b"}"], timeout=5)
    assert sent[0]["status"] == 200


@pytest.mark.parametrize("path", ["/healthz"])
def test_head_health_for_load_balancers(client: Any, path: str) -> None:
    r = client.head(path)
    assert r.status_code == 200
    assert r.content == b""


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/r4/CodeSystem", "GET, HEAD"),
        ("PUT", "/r5/ValueSet/ipg406-procedures", "GET, HEAD"),
        ("DELETE", "/r4/ConceptMap/$translate", "GET, HEAD, POST"),
        ("PATCH", "/r5/ValueSet/$expand", "GET, HEAD, POST"),
        ("POST", "/r4/metadata", "GET, HEAD"),
    ],
)
def test_405_names_the_allowed_methods(client: Any, method: str, path: str, allow: str) -> None:
    r = client.request(method, path)
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["allow"].split(",")} == set(allow.split(", "))
    assert r.json()["resourceType"] == "OperationOutcome"


def test_costly_requests_past_the_queue_are_throttled(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "_queued", limits.POOL_THREADS + limits.MAX_WAITING)
    r = client.get("/r4/ValueSet/$expand", params={"url": "http://example.org/fhir/ValueSet/x"})
    _outcome(r, 429, "throttled")
    # cheap requests do not queue for the pool
    ok = client.get("/r4/CodeSystem/$lookup", params={"system": "http://x", "code": "1"})
    assert ok.status_code == 404
