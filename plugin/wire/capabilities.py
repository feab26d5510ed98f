"""Rendering of the capability outcomes: CapabilityStatement, TerminologyCapabilities and the
$versions Parameters (the same shape in R4 and R5)."""

from __future__ import annotations

from plugin.config import SERVER_NAME, SERVER_VERSION, TX_TEST_VERSION
from plugin.outcomes import CapabilitiesOutcome, TerminologyOutcome, VersionsOutcome
from plugin.types import Resource

RELEASE_DATE = "2026-11-24"
FEATURE = "http://hl7.org/fhir/uv/application-feature/StructureDefinition/feature"


def _feature(definition: str, value: str | None) -> Resource:
    parts: list[Resource] = [{"url": "definition", "valueCanonical": definition}]
    parts.append({"url": "value", "valueCode": value} if value else {"url": "value"})
    return {"url": FEATURE, "extension": parts}


def capability_statement(outcome: CapabilitiesOutcome) -> Resource:
    """The server's CapabilityStatement (kind instance, instantiating terminology-server)."""
    resources = [
        {
            "type": t.type,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": name, "type": ptype, "documentation": doc}
                for name, ptype, doc in outcome.search_params
            ],
            "operation": [{"name": n, "definition": d} for n, d in t.operations],
        }
        for t in outcome.types
    ]
    system_ops = [
        {
            "name": "versions",
            "definition": "http://hl7.org/fhir/OperationDefinition/Resource-versions",
        },
        *({"name": n, "definition": d} for n, d in outcome.system_operations),
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
        "url": f"{outcome.base}/metadata",
        "version": SERVER_VERSION,
        "name": "NiceTxTerminologyServer",
        "title": "nice-tx FHIR terminology server",
        "status": "active",
        "date": RELEASE_DATE,
        "publisher": "nice-tx project",
        "kind": "instance",
        "instantiates": ["http://hl7.org/fhir/CapabilityStatement/terminology-server"],
        "software": {"name": SERVER_NAME, "version": SERVER_VERSION, "releaseDate": RELEASE_DATE},
        "implementation": {"description": outcome.description, "url": outcome.base},
        "fhirVersion": outcome.fhir_version,
        "format": ["application/fhir+json", "application/json"],
        "rest": [{"mode": "server", "resource": resources, "operation": system_ops}],
    }


def terminology_capabilities(outcome: TerminologyOutcome) -> Resource:
    """TerminologyCapabilities: code systems and versions, expansion parameters, translation."""
    code_systems = []
    for uri, versions in outcome.code_systems:
        entry: Resource = {"uri": uri}
        if versions:
            entry["version"] = [{"code": v} for v in versions]
        code_systems.append(entry)
    return {
        "resourceType": "TerminologyCapabilities",
        "url": f"{outcome.base}/metadata?mode=terminology",
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
                {"name": name, "documentation": doc} for name, doc in outcome.expansion_params
            ],
        },
        "translation": {"needsMap": False},
        # $closure relates codes within one code system, never across systems.
        "closure": {"translation": False},
    }


def versions(outcome: VersionsOutcome) -> Resource:
    """System $versions: the FHIR versions served (major.minor) and the default."""
    params: list[Resource] = [{"name": "version", "valueString": v} for v in outcome.versions]
    params.append({"name": "default", "valueString": outcome.default})
    return {"resourceType": "Parameters", "parameter": params}
