"""Rendering of search outcomes as a searchset Bundle (the same in R4 and R5)."""

from __future__ import annotations

from plugin.outcomes import SearchOutcome
from plugin.types import Resource


def render(outcome: SearchOutcome) -> Resource:
    """FHIR searchset Bundle: total, the `self` link (and `next` when more pages follow), one
    `match` entry per resource with its fullUrl (the search URL's base and the resource id)."""
    bundle: Resource = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": outcome.total,
        "link": [{"relation": "self", "url": outcome.self_url}],
    }
    if outcome.next_url:
        bundle["link"].append({"relation": "next", "url": outcome.next_url})
    base = outcome.self_url.split("?", 1)[0]
    entries = []
    for rid, resource in outcome.entries:
        entry: Resource = {"resource": resource, "search": {"mode": "match"}}
        if rid:
            entry = {"fullUrl": f"{base}/{rid}", **entry}
        entries.append(entry)
    if entries:
        bundle["entry"] = entries
    return bundle
