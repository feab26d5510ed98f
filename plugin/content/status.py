"""Publication standing of terminology resources and concepts: draft, experimental, deprecated.

Clients are told when an answer leans on content that is not (or no longer) fit for general use:
FHIR `status`, `experimental` and the `structuredefinition-standards-status` extension on a
resource, and the `valueset-deprecated` / standards-status extensions on a value set's concept.
"""

from __future__ import annotations

from plugin.types import Resource

STANDARDS_STATUS = "http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status"
VS_DEPRECATED = "http://hl7.org/fhir/StructureDefinition/valueset-deprecated"


def _extension(element: Resource, url: str) -> object:
    for ext in element.get("extension", []) or []:
        if isinstance(ext, dict) and ext.get("url") == url:
            return next((v for k, v in ext.items() if k.startswith("value")), None)
    return None


def standing(resource: Resource, lifecycle: bool = True) -> str | None:
    """The standing of a resource: withdrawn, deprecated, draft, experimental; None when good.

    `lifecycle=False` asks only for the standards status (deprecated, withdrawn): value sets
    are routinely drafts, and saying so on every answer would be noise.
    """
    stated = _extension(resource, STANDARDS_STATUS)
    if stated in ("withdrawn", "deprecated"):
        return str(stated)
    if not lifecycle:
        return None
    if resource.get("status") == "draft":
        return "draft"
    if resource.get("experimental") is True:
        return "experimental"
    return None


def concept_deprecated(include_concept: Resource) -> bool:
    """True when a value set marks one of its listed concepts as deprecated."""
    flag = _extension(include_concept, VS_DEPRECATED)
    return flag in (True, "true") or _extension(include_concept, STANDARDS_STATUS) in (
        "deprecated",
        "withdrawn",
    )


def canonical(resource: Resource) -> str:
    """`url|version` of a resource (bare url when unversioned)."""
    url, version = str(resource.get("url", "")), resource.get("version")
    return f"{url}|{version}" if version else url
