"""Rendering of $closure outcomes as a ConceptMap (R4 `equivalence`, R5 `relationship`)."""

from __future__ import annotations

from plugin.outcomes import ClosureLink, ClosureOutcome
from plugin.types import R4_TO_R5, Resource

_NAMES = {
    "created": "Closure Table {name} Creation",
    "update": "Updates for Closure Table {name}",
    "replay": "Replay for Closure Table {name} from version {since}",
}


def _group(system: str, cs_version: str, links: list[ClosureLink], r5: bool) -> Resource:
    # One element per source code, its targets in the order they were found.
    elements: dict[str, list[Resource]] = {}
    for link in links:
        if r5:
            target = {"code": link.target, "relationship": R4_TO_R5[link.relation]}
        else:
            target = {"code": link.target, "equivalence": link.relation}
        elements.setdefault(link.source, []).append(target)
    group: Resource
    if r5:
        # R5 group.source/target are canonicals: the version goes after a bar.
        canonical = f"{system}|{cs_version}" if cs_version else system
        group = {"source": canonical, "target": canonical}
    else:
        group = {"source": system, "target": system}
        if cs_version:
            group = {
                "source": system,
                "sourceVersion": cs_version,
                "target": system,
                "targetVersion": cs_version,
            }
    group["element"] = [{"code": code, "target": ts} for code, ts in elements.items()]
    return group


def render(outcome: ClosureOutcome, r5: bool) -> Resource:
    """The ConceptMap a $closure call returns: the table's version, and the entries new to the
    client grouped by code system (version). The response never states that a code subsumes
    itself (FHIR: that is implicit)."""
    cm: Resource = {
        "resourceType": "ConceptMap",
        "id": outcome.name,
        "version": str(outcome.version),
        "name": _NAMES[outcome.kind].format(name=outcome.name, since=outcome.since),
        "status": "active",
        "experimental": True,
        "date": outcome.date,
    }
    by_system: dict[tuple[str, str], list[ClosureLink]] = {}
    for link in outcome.links:
        by_system.setdefault((link.system, link.cs_version), []).append(link)
    if by_system:
        cm["group"] = [_group(s, v, links, r5) for (s, v), links in by_system.items()]
    return cm
