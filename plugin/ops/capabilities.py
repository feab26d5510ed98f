"""CapabilityStatement, TerminologyCapabilities and $versions, built from the operation table.

Only what the router really serves is advertised: the same `Operation` declarations drive both.
"""

from __future__ import annotations

from collections.abc import Sequence

from plugin.config import SERVER_NAME, SERVER_VERSION, TX_TEST_VERSION
from plugin.content.store import TERMINOLOGY_TYPES, Store
from plugin.ops.expand import PARAMS as EXPAND_PARAMS
from plugin.ops.registry import Operation
from plugin.ops.search import PARAMS as SEARCH_PARAMS
from plugin.types import Resource

RELEASE_DATE = "2026-11-24"
FEATURE = "http://hl7.org/fhir/uv/application-feature/StructureDefinition/feature"

# Search parameters advertised (the `_` ones are result parameters, not search parameters).
_SEARCH_TYPES = {
    "url": "uri",
    "version": "token",
    "name": "string",
    "title": "string",
    "status": "token",
    "_id": "token",
}


def _feature(definition: str, value: str | None) -> Resource:
    parts: list[Resource] = [{"url": "definition", "valueCanonical": definition}]
    parts.append({"url": "value", "valueCode": value} if value else {"url": "value"})
    return {"url": FEATURE, "extension": parts}


def describe(store: Store) -> str:
    """The server's one-line description, naming the content packs it serves."""
    serves = "; ".join(store.titles)
    return f"FHIR terminology service for {serves}" if serves else "FHIR terminology service"


def capability_statement(
    ops: Sequence[Operation], fhir_version: str, base: str, description: str
) -> Resource:
    """The server's CapabilityStatement (kind instance, instantiating terminology-server)."""
    resources = []
    for rtype in TERMINOLOGY_TYPES:
        operations = [
            {"name": op.name, "definition": op.definition}
            for op in ops
            if rtype in op.resource_types
        ]
        resources.append(
            {
                "type": rtype,
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "searchParam": [
                    {"name": p.name, "type": _SEARCH_TYPES[p.name], "documentation": p.doc}
                    for p in SEARCH_PARAMS
                    if p.name in _SEARCH_TYPES
                ],
                "operation": operations,
            }
        )
    system_ops = [
        {
            "name": "versions",
            "definition": "http://hl7.org/fhir/OperationDefinition/Resource-versions",
        }
    ]
    return {
        "resourceType": "CapabilityStatement",
        "extension": [
            _feature(
                "http://hl7.org/fhir/uv/tx-tests/FeatureDefinition/test-version", TX_TEST_VERSION
            ),
            _feature(
                "http://hl7.org/fhir/uv/tx-ecosystem/FeatureDefinition/CodeSystemAsParameter", None
            ),
        ],
        "url": f"{base}/metadata",
        "version": SERVER_VERSION,
        "name": "NiceTxTerminologyServer",
        "title": "nice-tx FHIR terminology server",
        "status": "active",
        "date": RELEASE_DATE,
        "publisher": "nice-tx project",
        "kind": "instance",
        "instantiates": ["http://hl7.org/fhir/CapabilityStatement/terminology-server"],
        "software": {"name": SERVER_NAME, "version": SERVER_VERSION, "releaseDate": RELEASE_DATE},
        "implementation": {
            "description": description,
            "url": base,
        },
        "fhirVersion": fhir_version,
        "format": ["application/fhir+json", "application/json"],
        "rest": [{"mode": "server", "resource": resources, "operation": system_ops}],
    }


def terminology_capabilities(store: Store, fhir_version: str, base: str) -> Resource:
    """TerminologyCapabilities: code systems and versions, expansion parameters, translation."""
    systems: dict[str, list[str]] = {}
    for e in store.all("CodeSystem"):
        if e.resource.get("content") != "supplement":
            systems.setdefault(e.url, []).append(e.version or "")
    code_systems = []
    for url in sorted(systems):
        entry: Resource = {"uri": url}
        versions = sorted(v for v in systems[url] if v)
        if versions:
            entry["version"] = [{"code": v} for v in versions]
        code_systems.append(entry)
    return {
        "resourceType": "TerminologyCapabilities",
        "url": f"{base}/metadata?mode=terminology",
        "version": SERVER_VERSION,
        "name": "NiceTxTerminologyCapabilities",
        "title": "nice-tx terminology capabilities",
        "status": "active",
        "date": RELEASE_DATE,
        "kind": "instance",
        "software": {"name": SERVER_NAME, "version": SERVER_VERSION},
        "codeSystem": code_systems,
        "expansion": {
            "hierarchical": False,
            "paging": True,
            "parameter": [
                {"name": p.name, "documentation": p.doc}
                for p in sorted(EXPAND_PARAMS, key=lambda p: p.name)
                if p.name not in ("url", "valueSet", "valueSetVersion")
            ],
        },
        "translation": {"needsMap": False},
    }


def versions(fhir_versions: Sequence[str], default: str) -> Resource:
    """System $versions: the FHIR versions served (major.minor) and the default."""
    params: list[Resource] = [{"name": "version", "valueString": v} for v in fhir_versions]
    params.append({"name": "default", "valueString": default})
    return {"resourceType": "Parameters", "parameter": params}
