"""The coders' page at `/`: a static form that calls this server's own $translate."""

from __future__ import annotations

import re
from typing import Any


def test_page_is_served_as_html(client: Any) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<textarea id="text"' in html
    # Relative URLs: the page works wherever the app is mounted.
    assert 'const BASE = "r4/"' in html
    assert 'authed("ConceptMap/$translate"' in html
    # The answer echoes the user's words: it is written as text, never as markup.
    assert "innerHTML" not in html
    assert "insertAdjacentHTML" not in html
    # A shared link carries the description and codes it on arrival.
    assert 'new URLSearchParams(location.search).get("text")' in html


def test_page_needs_nothing_from_elsewhere(client: Any) -> None:
    """No external script, style, font or image: the page works without internet access."""
    html = client.get("/").text
    assert re.findall(r"<(?:script|img|iframe)[^>]*\bsrc=", html) == []
    assert "<link" not in html
    assert "@import" not in html
    assert "url(" not in html


def test_the_call_the_page_makes_answers(client: Any) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "codeableConcept",
                "valueCodeableConcept": {
                    "text": "Percutaneous MWA of colorectal liver metastasis, ultrasound guided"
                },
            }
        ],
    }
    r = client.post(
        "/r4/ConceptMap/$translate", json=body, headers={"Content-Type": "application/fhir+json"}
    )
    codes = [
        p["valueCoding"]["code"]
        for m in r.json()["parameter"]
        if m["name"] == "match"
        for p in m["part"]
        if p["name"] == "concept"
    ]
    assert codes == ["J12.7", "C78.7"]
