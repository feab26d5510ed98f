"""Golden answers for the main calls, checked by hand against the FHIR R4 operation definitions.

Volatile elements (expansion identifier and timestamp) are blanked before comparing. To refresh
after a deliberate change: `NICE_TX_UPDATE_GOLDEN=1 pytest tests/api/test_golden.py`, then read
the diff as a reviewer would.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IMAGE, IMAGE_ELEMENT, OPCS, PROC

GOLDEN = Path(__file__).parent / "golden"

CALLS: dict[str, tuple[str, str, Any]] = {
    "translate-open-get": (
        "GET",
        "/r4/ConceptMap/$translate",
        {"system": PROC, "code": "mwa-liver-open"},
    ),
    "translate-not-stated-get": (
        "GET",
        "/r4/ConceptMap/$translate",
        {"system": PROC, "code": "mwa-liver"},
    ),
    "translate-percutaneous-ultrasound-post": (
        "POST",
        "/r4/ConceptMap/$translate",
        {
            "resourceType": "Parameters",
            "parameter": [
                {
                    "name": "codeableConcept",
                    "valueCodeableConcept": {
                        "coding": [{"system": PROC, "code": "mwa-liver-percutaneous"}]
                    },
                },
                {"name": "targetsystem", "valueUri": OPCS},
                {
                    "name": "dependency",
                    "part": [
                        {"name": "element", "valueUri": IMAGE_ELEMENT},
                        {
                            "name": "concept",
                            "valueCodeableConcept": {
                                "coding": [{"system": IMAGE, "code": "ultrasound"}]
                            },
                        },
                    ],
                },
            ],
        },
    ),
    "translate-reverse-j127-alias": (
        "GET",
        "/r4/ConceptMap/$translate",
        {"system": "https://fhir.nhs.uk/Id/opcs-4", "code": "J127", "reverse": "true"},
    ),
    "lookup-j127": ("GET", "/r4/CodeSystem/$lookup", {"system": OPCS, "code": "J12.7"}),
    "expand-image-control": (
        "GET",
        "/r4/ValueSet/$expand",
        {"url": "https://w3id.org/nice-tx/fhir/ValueSet/ipg406-opcs4-image-control"},
    ),
    "translate-no-system-error": ("GET", "/r4/ConceptMap/$translate", {"code": "J12.7"}),
}


def _stable(body: Any) -> Any:
    exp = body.get("expansion") if isinstance(body, dict) else None
    if exp:
        exp["identifier"] = "urn:uuid:(volatile)"
        exp["timestamp"] = "(volatile)"
    return body


@pytest.mark.parametrize("name", sorted(CALLS))
def test_golden(client: Any, name: str) -> None:
    method, path, data = CALLS[name]
    r = client.get(path, params=data) if method == "GET" else client.post(path, json=data)
    got = {"status": r.status_code, "body": _stable(r.json())}
    file = GOLDEN / f"{name}.json"
    if os.environ.get("NICE_TX_UPDATE_GOLDEN"):
        file.write_text(json.dumps(got, indent=2) + "\n")
    assert got == json.loads(file.read_text())
