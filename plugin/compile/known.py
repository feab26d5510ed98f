"""What the compiler takes from content: classification URIs and image-control companions.

Nothing about a classification is spelled in Python. The canonical URIs of OPCS-4 and ICD-10 are
the preferred `uniqueId` of the built-in NamingSystems (`OPCS4`, `ICD10UK`); SNOMED CT's, which
the built-in content does not name, comes from the compiler's own NamingSystem
(`snomed-ct.namingsystem.json` beside this module). Which Y53 code each image-control method is
classified to is the built-in map's companion group (image-control method -> OPCS-4 Y53.-), and
which method says only "image control, method not stated" is the image-control CodeSystem's
`not-stated` property.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from plugin.config import CANONICAL_BASE
from plugin.content.conceptmap import COMPANION_GROUP

Doc = dict[str, Any]
IMAGE_CONTROL = f"{CANONICAL_BASE}/CodeSystem/image-control"
# The schema's system labels -> the NamingSystem `name` that identifies the classification.
NAMES = {"OPCS-4": "OPCS4", "ICD-10": "ICD10UK", "SNOMED CT": "SNOMEDCT"}


@dataclass(frozen=True)
class Method:
    """An image-control method and the Y53 code it is classified to (from content)."""

    code: str
    display: str
    y53: str
    y53_display: str
    not_stated: bool
    comment: str | None = None


@dataclass(frozen=True)
class Known:
    """Classification URIs by schema label, the image-control methods and where they come from."""

    systems: dict[str, str]
    methods: list[Method] = field(default_factory=list)
    image_control_version: str | None = None


def _preferred(ns: Doc) -> str | None:
    return next(
        (u["value"] for u in ns.get("uniqueId", []) if u.get("preferred") and u.get("value")),
        None,
    )


def from_resources(resources: list[Doc]) -> Known:
    """What the compiler needs, read from a list of FHIR resources."""
    systems: dict[str, str] = {}
    by_name = {r.get("name"): r for r in resources if r.get("resourceType") == "NamingSystem"}
    for label, name in NAMES.items():
        uri = _preferred(by_name.get(name) or {})
        if uri:
            systems[label] = uri
    cs = next((r for r in resources if r.get("url") == IMAGE_CONTROL), {})
    not_stated = {
        c["code"]
        for c in cs.get("concept", [])
        if any(
            p.get("code") == "not-stated" and p.get("valueBoolean") for p in c.get("property", [])
        )
    }
    methods: list[Method] = []
    for cm in (r for r in resources if r.get("resourceType") == "ConceptMap"):
        for g in cm.get("group", []):
            marked = any(e.get("url") == COMPANION_GROUP for e in g.get("extension", []))
            if not marked or g.get("source") != IMAGE_CONTROL:
                continue
            for e in g.get("element", []):
                for t in e.get("target", [])[:1]:
                    methods.append(
                        Method(
                            e["code"],
                            e.get("display", e["code"]),
                            t["code"],
                            t.get("display", t["code"]),
                            e["code"] in not_stated,
                            t.get("comment"),
                        )
                    )
    return Known(systems, methods, cs.get("version"))


@cache
def known() -> Known:
    """From the built-in content and the compiler's own NamingSystem for SNOMED CT."""
    from plugin.content.builtin import content_dirs
    from plugin.content.loader import iter_json_files

    resources: list[Doc] = []
    for folder in content_dirs():
        for file in iter_json_files(folder):
            resources.append(json.loads(file.read_bytes()))
    own = json.loads((Path(__file__).parent / "snomed-ct.namingsystem.json").read_text("utf-8"))
    if not any(r.get("name") == own["name"] for r in resources):
        resources.append(own)
    return from_resources(resources)
