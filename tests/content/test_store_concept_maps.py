"""Store.concept_maps_for: the per-system ConceptMap index $translate picks its maps from."""

from __future__ import annotations

import pytest

from plugin.content.store import Store, make_entry
from plugin.types import Resource

SYSTEMS = ("http://example.org/a", "http://example.org/b", "http://example.org/c")


def concept_map(name: str, source: str, target: str, version: str = "1") -> Resource:
    return {
        "resourceType": "ConceptMap",
        "id": name,
        "url": f"http://example.org/fhir/ConceptMap/{name}",
        "version": version,
        "status": "draft",
        "group": [{"source": source, "target": target, "element": [{"code": "x", "target": []}]}],
    }


def scan(store: Store, system: str) -> list[str]:
    """What the index must agree with: every map, in `all` order, touching `system`."""
    out = []
    for e in store.all("ConceptMap"):
        sources, targets = e.index.systems()
        if system in sources | targets:
            out.append(e.canonical)
    return out


def build() -> Store:
    store = Store()
    a, b, c = SYSTEMS
    for r in (concept_map("ab", a, b), concept_map("bc", b, c), concept_map("ca", c, a)):
        store.add(make_entry(r, "test"))
    return store


@pytest.mark.parametrize("system", [*SYSTEMS, "http://example.org/none"])
def test_index_agrees_with_a_full_scan(system: str) -> None:
    store = build()
    assert [e.canonical for e in store.concept_maps_for(system)] == scan(store, system)


@pytest.mark.parametrize("system", [*SYSTEMS, "http://example.org/d"])
def test_overlay_maps_come_first_and_shadow_the_same_canonical(system: str) -> None:
    a, _, c = SYSTEMS
    overlay = build().overlay(
        [
            concept_map("ab", a, c),  # same url|version as a stored map: replaces it
            concept_map("new", c, "http://example.org/d"),
        ]
    )
    found = [e.canonical for e in overlay.concept_maps_for(system)]
    assert found == scan(overlay, system)
    assert len(found) == len(set(found))
