"""CORS (off by default) and optional bearer-token auth around the service app."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from plugin.api.app import create_app
from plugin.api.middleware import wrap
from plugin.content.loader import build_store
from plugin.content.store import Store

ORIGIN = "https://ehr.example.org"
TRANSLATE = "/r4/ConceptMap/$translate"


@pytest.fixture(scope="module")
def store() -> Store:
    return build_store()[0]


def _preflight(client: TestClient, origin: str = ORIGIN) -> httpx.Response:
    return client.options(
        TRANSLATE,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_cors_off_by_default(store: Store) -> None:
    client = TestClient(wrap(create_app(store)))
    response = client.get("/healthz", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in _preflight(client).headers


@pytest.mark.parametrize("origins", [[ORIGIN], ["*"]])
def test_cors_preflight_with_authorization_and_content_type(
    store: Store, origins: list[str]
) -> None:
    client = TestClient(wrap(create_app(store), cors_origins=origins, token="s3cret"))
    response = _preflight(client)
    assert response.status_code == 200  # answered before auth: preflights carry no token
    assert response.headers["access-control-allow-origin"] in (ORIGIN, "*")
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed
    assert "POST" in response.headers["access-control-allow-methods"]
    actual = client.get("/healthz", headers={"Origin": ORIGIN, "Authorization": "Bearer s3cret"})
    assert actual.headers["access-control-allow-origin"] in (ORIGIN, "*")


def test_cors_refuses_other_origin(store: Store) -> None:
    client = TestClient(wrap(create_app(store), cors_origins=[ORIGIN]))
    response = _preflight(client, "https://elsewhere.example.org")
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("Bearer wrong", 401),
        ("Basic czNjcmV0", 401),
        ("Bearer s3cret", 200),
        ("bearer s3cret", 200),
    ],
)
def test_bearer_auth(store: Store, header: str | None, status: int) -> None:
    client = TestClient(wrap(create_app(store), token="s3cret"))
    headers = {"Authorization": header} if header else {}
    response = client.get("/r4/metadata", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
        outcome = response.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["code"] == "login"


def test_healthz_open_without_token(store: Store) -> None:
    client = TestClient(wrap(create_app(store), token="s3cret"))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize(("path", "status"), [("/", 200), ("/r4/ConceptMap?_summary=true", 401)])
def test_page_open_without_token_but_not_its_data(store: Store, path: str, status: int) -> None:
    """The page is a static file; every call it makes for data still needs the token."""
    client = TestClient(wrap(create_app(store), token="s3cret"))
    assert client.get(path).status_code == status


def test_no_token_means_no_auth(store: Store) -> None:
    client = TestClient(wrap(create_app(store)))
    assert client.get("/r4/metadata").status_code == 200
