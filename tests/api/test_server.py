"""The served app: built in each worker from the options the serve command recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from plugin.api.cache import DEFAULT_SIZE, ResponseCache
from plugin.api.server import CACHE_ENV, CONTENT_ENV, asgi_app, configure


@pytest.mark.parametrize(("size", "expected"), [(0, 0), (5, 5), (DEFAULT_SIZE, DEFAULT_SIZE)])
def test_cache_size_reaches_the_worker(
    monkeypatch: pytest.MonkeyPatch, size: int, expected: int
) -> None:
    monkeypatch.setenv(CONTENT_ENV, "")
    monkeypatch.setenv(CACHE_ENV, "")
    configure((), size)
    app = asgi_app()
    assert isinstance(app, ResponseCache)
    assert app.size == expected


def test_extra_content_reaches_the_worker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CONTENT_ENV, "")
    monkeypatch.setenv(CACHE_ENV, "")
    vs = {
        "resourceType": "ValueSet",
        "id": "extra",
        "url": "http://example.org/fhir/ValueSet/extra",
        "status": "draft",
    }
    (tmp_path / "vs.json").write_text(json.dumps(vs))
    configure([tmp_path], 10)
    with TestClient(asgi_app()) as tc:
        found = tc.get("/r4/ValueSet/extra")
    assert found.status_code == 200
    assert found.json()["url"] == vs["url"]
