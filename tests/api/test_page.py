"""The coders' page at `/`: a static form that calls this server's own $translate."""

from __future__ import annotations

from typing import Any


def test_page_is_served_as_html(client: Any) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<textarea id="text"' in html
    # Relative URL: the page works wherever the app is mounted.
    assert 'fetch("r4/ConceptMap/$translate"' in html
    # The answer echoes the user's words: it is written as text, never as markup.
    assert "innerHTML" not in html.replace("never innerHTML", "")
    # A shared link carries the description and codes it on arrival.
    assert 'URLSearchParams(location.search).get("text")' in html


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
