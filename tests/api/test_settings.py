"""Deployment settings from NICE_TX_* environment variables, as workers read them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from plugin.api.settings import Settings, app_from_env, build_app


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, Settings()),
        ({"NICE_TX_CONTENT": "", "NICE_TX_CORS_ORIGINS": "", "NICE_TX_AUTH_TOKEN": ""}, Settings()),
        (
            {
                "NICE_TX_CONTENT": os.pathsep.join(["a", "b/c.tgz"]),
                "NICE_TX_CORS_ORIGINS": "https://a.example, https://b.example",
                "NICE_TX_AUTH_TOKEN": "t",
            },
            Settings((Path("a"), Path("b/c.tgz")), ("https://a.example", "https://b.example"), "t"),
        ),
    ],
)
def test_from_env(env: dict[str, str], expected: Settings) -> None:
    assert Settings.from_env(env) == expected


def test_round_trip_through_env() -> None:
    s = Settings((Path("/x/y"),), ("*",), "tok")
    assert Settings.from_env(s.to_env()) == s


def test_app_from_env_applies_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NICE_TX_AUTH_TOKEN", "tok")
    monkeypatch.delenv("NICE_TX_CONTENT", raising=False)
    monkeypatch.delenv("NICE_TX_CORS_ORIGINS", raising=False)
    client = TestClient(app_from_env())
    assert client.get("/r4/metadata").status_code == 401
    assert client.get("/r4/metadata", headers={"Authorization": "Bearer tok"}).status_code == 200


def test_build_app_loads_extra_content(tmp_path: Path) -> None:
    cs = tmp_path / "cs.json"
    cs.write_text(
        '{"resourceType":"CodeSystem","id":"t","url":"http://example.org/fhir/CodeSystem/t",'
        '"status":"active","content":"complete","concept":[{"code":"a","display":"A"}]}'
    )
    client = TestClient(build_app(Settings(content=(cs,))))
    response = client.get(
        "/r4/CodeSystem/$lookup",
        params={"system": "http://example.org/fhir/CodeSystem/t", "code": "a"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize("lanes", [True, False])
def test_lanes_setting_reaches_workers_and_answers_alike(lanes: bool) -> None:
    s = Settings(lanes=lanes)
    assert Settings.from_env(s.to_env()) == s
    client = TestClient(build_app(s))
    response = client.get(
        "/r4/CodeSystem/$validate-code",
        params={"url": "http://fhir.hl7.org.uk/CodeSystem/OPCS-4", "code": "J12.7"},
    )
    assert response.status_code == 200
    assert response.json()["parameter"][0] == {"name": "result", "valueBoolean": True}


def test_no_lanes_compiles_none() -> None:
    from plugin.api.app import create_app

    assert create_app(lanes=False).lanes == {}
    assert len(create_app().lanes) == 4  # $translate and $validate-code on /r4 and /r5
