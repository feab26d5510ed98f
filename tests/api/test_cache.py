"""The response cache: repeated operation requests answered from memory, never wrongly."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from plugin.api.app import create_app
from plugin.api.cache import MAX_ENTRY_BYTES, ResponseCache


class Echo:
    """An ASGI app answering with what it was asked, counting how often it ran."""

    def __init__(self, status: int = 200) -> None:
        self.calls = 0
        self.status = status

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        accept = dict(scope["headers"]).get(b"accept", b"")
        answer = b"%d|%s|%s|%s" % (self.calls, scope["query_string"], accept, body)
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(answer))]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})


def client(app: Any, size: int = 16) -> tuple[TestClient, ResponseCache]:
    cache = ResponseCache(app, size)
    return TestClient(cache), cache


OP = "/r4/ConceptMap/$translate"


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        ("system=s&code=c", "system=s&code=c", True),
        ("system=s&code=c", "code=c&system=s", True),
        ("code=a&code=b", "code=b&code=a", False),
        ("system=s&code=c", "system=s&code=d", False),
    ],
)
def test_get_keys_on_sorted_query_items(first: str, second: str, shared: bool) -> None:
    echo = Echo()
    tc, _ = client(echo)
    one = tc.get(f"{OP}?{first}")
    two = tc.get(f"{OP}?{second}")
    assert one.status_code == two.status_code == 200
    assert echo.calls == (1 if shared else 2)
    assert (one.content == two.content) is shared


def test_accept_header_is_part_of_the_key() -> None:
    echo = Echo()
    tc, _ = client(echo)
    fhir = tc.get(f"{OP}?code=c", headers={"accept": "application/fhir+json"})
    xml = tc.get(f"{OP}?code=c", headers={"accept": "application/fhir+xml"})
    assert echo.calls == 2
    assert b"fhir+json" in fhir.content
    assert b"fhir+xml" in xml.content


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/r4/ConceptMap", {}),
        ("GET", "/healthz", {}),
        ("GET", f"{OP}?tx-resource=x", {}),
        ("POST", OP, {"content": b'{"parameter":[{"name":"tx-resource"}]}'}),
        ("POST", OP, {"content": b"x" * (MAX_ENTRY_BYTES + 1)}),
        ("DELETE", OP, {}),
    ],
)
def test_requests_that_bypass_the_cache_reach_the_app_intact(
    method: str, path: str, kwargs: dict[str, Any]
) -> None:
    echo = Echo()
    tc, cache = client(echo)
    answers = [tc.request(method, path, **kwargs) for _ in range(2)]
    assert echo.calls == 2
    assert len(cache) == 0
    assert answers[1].content.endswith(kwargs.get("content", b""))


def test_post_bodies_are_keyed_by_their_bytes() -> None:
    echo = Echo()
    tc, _ = client(echo)
    a1 = tc.post(OP, content=b'{"a":1}')
    a2 = tc.post(OP, content=b'{"a":1}')
    b = tc.post(OP, content=b'{"a":2}')
    assert echo.calls == 2
    assert a1.content == a2.content
    assert a1.content.endswith(b'{"a":1}')
    assert b.content.endswith(b'{"a":2}')


# 408/422/429: answers of the moment (a body timed out, a request past its work budget).
@pytest.mark.parametrize(
    ("status", "size"), [(500, 16), (503, 16), (200, 0), (408, 16), (422, 16), (429, 16)]
)
def test_server_errors_and_size_zero_store_nothing(status: int, size: int) -> None:
    echo = Echo(status=status)
    tc, cache = client(echo, size=size)
    tc.get(f"{OP}?code=c")
    tc.get(f"{OP}?code=c")
    assert echo.calls == 2
    assert len(cache) == 0


def test_the_least_recently_used_answer_is_evicted() -> None:
    echo = Echo()
    tc, cache = client(echo, size=2)
    for query in ("code=a", "code=b", "code=a", "code=c", "code=a", "code=b"):
        tc.get(f"{OP}?{query}")
    # a stays hot; b was evicted by c and fetched again.
    assert echo.calls == 4
    assert len(cache) == 2


OPCS4 = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
PROCEDURE = "https://w3id.org/nice-tx/fhir/CodeSystem/mwa-liver-procedure"


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/r4/ConceptMap/$translate", f"system={PROCEDURE}&code=mwa-liver-percutaneous"),
        ("/r4/ConceptMap/$translate", f"system={PROCEDURE}&code=no-such-code"),
        ("/r4/ConceptMap/$translate", "code=mwa-liver"),
        ("/r4/CodeSystem/$validate-code", f"url={OPCS4}&code=J12.7"),
        ("/r4/CodeSystem/$lookup", f"system={OPCS4}&code=J12.7"),
        ("/r4/CodeSystem/$lookup", f"system={OPCS4}&code=J12.7&_format=xml"),
    ],
)
def test_cached_answers_equal_fresh_ones(path: str, query: str) -> None:
    fresh = TestClient(create_app()).get(f"{path}?{query}")
    tc, cache = client(create_app())
    first = tc.get(f"{path}?{query}")
    again = tc.get(f"{path}?{query}")
    assert cache.hits == 1
    for answer in (first, again):
        assert answer.status_code == fresh.status_code
        assert answer.content == fresh.content
        assert answer.headers["content-type"] == fresh.headers["content-type"]


def test_the_byte_budget_bounds_memory_whatever_the_entry_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("plugin.api.cache.MAX_TOTAL_BYTES", 3 * 600)
    echo = Echo()
    tc, cache = client(echo, size=1000)
    for i in range(6):
        tc.get(f"{OP}?code=c{i}")
    assert 0 < len(cache) < 6
    assert cache.bytes <= 3 * 600
    tc.get(f"{OP}?code=c5")  # the newest answer survived eviction
    assert echo.calls == 6
