"""CapabilityStatement, TerminologyCapabilities and $versions, built from the operation table.

Only what the router really serves is advertised: the same `Operation` declarations drive both.
The outcomes are rendered by `plugin.wire.capabilities`.
"""

from __future__ import annotations

from collections.abc import Sequence

from plugin.content.core import code_system_summaries
from plugin.content.store import TERMINOLOGY_TYPES, Store
from plugin.ops.expand import PARAMS as EXPAND_PARAMS
from plugin.ops.operation import Operation
from plugin.ops.search import PARAMS as SEARCH_PARAMS
from plugin.outcomes import (
    CapabilitiesOutcome,
    ServedType,
    TerminologyOutcome,
    VersionsOutcome,
)
from plugin.types import Resource
from plugin.wire import capabilities as render

# Search parameters advertised (the `_` ones are result parameters, not search parameters).
_SEARCH_TYPES = {
    "url": "uri",
    "version": "token",
    "name": "string",
    "title": "string",
    "status": "token",
    "_id": "token",
}


def describe(store: Store) -> str:
    """The server's one-line description, naming the content packs it serves."""
    serves = "; ".join(store.titles)
    return f"FHIR terminology service for {serves}" if serves else "FHIR terminology service"


def capabilities(
    ops: Sequence[Operation], fhir_version: str, base: str, description: str
) -> CapabilitiesOutcome:
    """The types served, each with its operations, and the search parameters."""
    types = tuple(
        ServedType(
            rtype, tuple((op.name, op.definition) for op in ops if rtype in op.resource_types)
        )
        for rtype in TERMINOLOGY_TYPES
    )
    search = tuple(
        (p.name, _SEARCH_TYPES[p.name], p.doc) for p in SEARCH_PARAMS if p.name in _SEARCH_TYPES
    )
    system = tuple((op.name, op.definition) for op in ops if op.system)
    return CapabilitiesOutcome(fhir_version, base, description, types, search, system)


def terminology(store: Store, base: str) -> TerminologyOutcome:
    """The code systems (and versions) served, and the parameters $expand takes."""
    systems: dict[str, list[str]] = {}
    for url, version, content in code_system_summaries(store):
        if content != "supplement":
            systems.setdefault(url, []).append(version or "")
    code_systems = tuple(
        (url, tuple(sorted(v for v in systems[url] if v))) for url in sorted(systems)
    )
    params = tuple(
        (p.name, p.doc)
        for p in sorted(EXPAND_PARAMS, key=lambda p: p.name)
        if p.name not in ("url", "valueSet", "valueSetVersion")
    )
    return TerminologyOutcome(base, code_systems, params)


def capability_statement(
    ops: Sequence[Operation], fhir_version: str, base: str, description: str
) -> Resource:
    """The server's CapabilityStatement (kind instance, instantiating terminology-server)."""
    return render.capability_statement(capabilities(ops, fhir_version, base, description))


def terminology_capabilities(store: Store, fhir_version: str, base: str) -> Resource:
    """TerminologyCapabilities: code systems and versions, expansion parameters, translation."""
    return render.terminology_capabilities(terminology(store, base))


def versions(fhir_versions: Sequence[str], default: str) -> Resource:
    """System $versions: the FHIR versions served (major.minor) and the default."""
    return render.versions(VersionsOutcome(tuple(fhir_versions), default))
