"""CodeSystem supplements: extra designations and properties layered onto a code system.

A client asks for a supplement with `useSupplement`; the supplemented system replaces the base
one for that request only (a request-scoped overlay), so every operation sees the same content.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator

from plugin.content.status import canonical
from plugin.content.store import Store, make_entry
from plugin.errors import FhirError
from plugin.messages import error
from plugin.types import Resource


def _walk(concepts: list[Resource]) -> Iterator[Resource]:
    for c in concepts:
        yield c
        yield from _walk(c.get("concept", []))


def _merge(base: Resource, supplement: Resource) -> Resource:
    """The base CodeSystem with the supplement's concept content added (FHIR supplements)."""
    out = copy.deepcopy(base)
    known = {p.get("code") for p in out.get("property", [])}
    out["property"] = out.get("property", []) + [
        p for p in supplement.get("property", []) if p.get("code") not in known
    ]
    by_code = {c.get("code"): c for c in _walk(out.get("concept", []))}
    for extra in _walk(supplement.get("concept", [])):
        target = by_code.get(extra.get("code"))
        if target is None:
            continue  # a supplement cannot add codes
        for key in ("designation", "property", "extension"):
            if extra.get(key):
                target[key] = target.get(key, []) + copy.deepcopy(extra[key])
    return out


def with_supplements(store: Store, urls: Iterable[str]) -> Store:
    """`store` with each named supplement applied to its base system; 404 for unknown ones."""
    wanted = list(urls)
    if not wanted:
        return store
    merged: dict[str, tuple[Resource, list[Resource]]] = {}
    for url in wanted:
        entry = store.resolve("CodeSystem", url)
        if entry is None or not entry.index.supplements:
            raise error("VALUESET_SUPPLEMENT_MISSING", url=url)
        base_url = entry.index.supplements
        base, applied = merged.get(base_url, (None, []))
        if base is None:
            found = store.resolve("CodeSystem", base_url)
            if found is None:
                raise FhirError(
                    "not-found",
                    f"The code system '{base_url}' that supplement {url} extends is not known",
                    tx_code="not-found",
                )
            base = found.resource
        merged[base_url] = (_merge(base, entry.resource), [*applied, entry.resource])
    view = Store(parent=store)
    for resource, supplements in merged.values():
        new = make_entry(resource, "useSupplement")
        new.index.applied_supplements = [canonical(s) for s in supplements]
        new.index.designation_sources = {
            (str(c.get("code")), str(d.get("value"))): canonical(s)
            for s in supplements
            for c in _walk(s.get("concept", []))
            for d in c.get("designation", [])
        }
        view.add(new)
    return view


VS_SUPPLEMENT = "http://hl7.org/fhir/StructureDefinition/valueset-supplement"


def declared_supplements(vs: Resource) -> list[str]:
    """Supplements a ValueSet says it needs (valueset-supplement extension)."""
    return [
        str(e.get("valueCanonical"))
        for e in vs.get("extension", [])
        if e.get("url") == VS_SUPPLEMENT and e.get("valueCanonical")
    ]
