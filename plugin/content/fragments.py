"""Fragments of one code system version, merged.

Several content packs may each carry a `content: fragment` CodeSystem of the same classification
version (the built-in OPCS-4.6 fragment, and a compiled guidance's OPCS-4.6 codes). FHIR leaves
their combination to the server; replacing one by the other would lose codes, so the store
merges them: the concepts of both, the first-loaded concept winning where a code is in both
(a later pack adds codes, it does not retitle them).
"""

from __future__ import annotations

from typing import Any

from plugin.types import Resource


def is_fragment(resource: Resource) -> bool:
    """True for a CodeSystem whose `content` is `fragment`."""
    return resource.get("resourceType") == "CodeSystem" and resource.get("content") == "fragment"


def _codes(concepts: list[dict[str, Any]]) -> set[str]:
    out: set[str] = set()
    for c in concepts:
        out.add(str(c.get("code")))
        out |= _codes(c.get("concept", []))
    return out


def merge(first: Resource, later: Resource) -> Resource:
    """`first` with the concepts of `later` whose codes it does not have (top level, with their
    children), and the count updated."""
    concepts = list(first.get("concept", []))
    have = _codes(concepts)
    added = [c for c in later.get("concept", []) if str(c.get("code")) not in have]
    merged = dict(first)
    merged["concept"] = concepts + added
    if "count" in merged:
        merged["count"] = len(_codes(merged["concept"]))
    return merged
