"""Shared fixtures for the free-text tests: the built-in store and an HTTP client on the app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from plugin.api.app import create_app
from plugin.content.loader import build_store
from plugin.content.store import Store


@pytest.fixture(scope="session")
def store() -> Store:
    s, _ = build_store()
    return s


@pytest.fixture(scope="session")
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as c:
        yield c


def text_body(text: str, **extra: Any) -> dict[str, Any]:
    """A $translate Parameters with codeableConcept.text (and optional more parameters)."""
    params: list[dict[str, Any]] = [
        {"name": "codeableConcept", "valueCodeableConcept": {"text": text}}
    ]
    for name, value in extra.items():
        params.append({"name": name, **value})
    return {"resourceType": "Parameters", "parameter": params}


@pytest.fixture(scope="session")
def translate_text(client: TestClient) -> Callable[..., tuple[int, Any]]:
    def post(text: str, base: str = "r4", **extra: Any) -> tuple[int, Any]:
        r = client.post(
            f"/{base}/ConceptMap/$translate",
            json=text_body(text, **extra),
            headers={"Content-Type": "application/fhir+json"},
        )
        return r.status_code, r.json()

    return post
