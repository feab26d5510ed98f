"""Request bodies several test modules send (plain FHIR JSON, built in one place)."""

from __future__ import annotations

from typing import Any

from plugin.config import CANONICAL_BASE

PROCEDURE = f"{CANONICAL_BASE}/CodeSystem/mwa-liver-procedure"
IMAGE = f"{CANONICAL_BASE}/CodeSystem/image-control"


def translate_with_image_control(approach: str, method: str) -> dict[str, Any]:
    """R4 $translate of a procedure concept with an image-control `dependency`."""
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "system", "valueUri": PROCEDURE},
            {"name": "code", "valueCode": approach},
            {
                "name": "dependency",
                "part": [
                    {"name": "element", "valueUri": f"{CANONICAL_BASE}/property/image-control"},
                    {
                        "name": "concept",
                        "valueCodeableConcept": {"coding": [{"system": IMAGE, "code": method}]},
                    },
                ],
            },
        ],
    }
