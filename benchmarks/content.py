"""Synthetic ConceptMaps for the scaling benchmark (example.org systems; not clinical content)."""

from __future__ import annotations

import json
from pathlib import Path

BASE = "http://example.org/fhir/bench"
ELEMENTS = 20


def source_system(i: int) -> str:
    """The source system of generated map `i`."""
    return f"{BASE}/CodeSystem/source-{i}"


def concept_map(i: int) -> dict[str, object]:
    """Map `i`: one group of ELEMENTS codes `c0..` each to one target `t0..`."""
    return {
        "resourceType": "ConceptMap",
        "id": f"bench-{i}",
        "url": f"{BASE}/ConceptMap/bench-{i}",
        "version": "1",
        "status": "draft",
        "group": [
            {
                "source": source_system(i),
                "target": f"{BASE}/CodeSystem/target-{i}",
                "element": [
                    {
                        "code": f"c{j}",
                        "target": [{"code": f"t{j}", "equivalence": "equivalent"}],
                    }
                    for j in range(ELEMENTS)
                ],
            }
        ],
    }


def write_maps(folder: Path, count: int) -> Path:
    """Write `count` generated ConceptMaps as JSON files into `folder`; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"bench-{i}.json").write_text(json.dumps(concept_map(i)))
    return folder


def probe_query(count: int) -> str:
    """A $translate query for a code of the middle map of `count`."""
    return f"system={source_system(count // 2)}&code=c7"
