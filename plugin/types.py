"""Shared value types at the bottom of the package: JSON shapes, codings and translation matches.

Every layer may import this module; it imports nothing of the package, so the content model,
the operations and the wire renderers can share these values without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

Resource: TypeAlias = dict[str, Any]
"""A FHIR resource as decoded JSON (a dict with `resourceType`)."""

# R5 relationship -> R4 equivalence (lossless in this direction).
R5_TO_R4 = {
    "related-to": "relatedto",
    "equivalent": "equivalent",
    "source-is-narrower-than-target": "wider",
    "source-is-broader-than-target": "narrower",
    "not-related-to": "disjoint",
}
# R4 equivalence -> R5 relationship.
R4_TO_R5 = {
    "relatedto": "related-to",
    "equivalent": "equivalent",
    "equal": "equivalent",
    "wider": "source-is-narrower-than-target",
    "subsumes": "source-is-narrower-than-target",
    "narrower": "source-is-broader-than-target",
    "specializes": "source-is-broader-than-target",
    "inexact": "related-to",
    "unmatched": "not-related-to",
    "disjoint": "not-related-to",
}


@dataclass(frozen=True, slots=True)
class Coding:
    """A (system, code) pair in canonical form, with optional display and version."""

    system: str
    code: str
    display: str | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Dependency:
    """A `dependsOn` condition or a `dependency` input: element (property URI) and a coding."""

    element: str | None
    system: str | None
    value: str


@dataclass(frozen=True, slots=True)
class Product:
    """A `target.product`: an additional code produced with the main one."""

    property: str
    coding: Coding


@dataclass(frozen=True, slots=True)
class Match:
    """One translation result, version-neutral.

    `concept` is the answer (target side forward, source side in reverse); `source` is the
    other side of the mapping; `origin_map` is `url|version` of the map it came from.
    """

    equivalence: str
    concept: Coding | None
    source: Coding
    origin_map: str
    products: tuple[Product, ...] = ()
    depends_on: tuple[Dependency, ...] = ()
    comment: str | None = None
