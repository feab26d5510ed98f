"""Rendering of $expand outcomes as an R5 ValueSet, or R4 with the R5-only parts as extensions.

R4 has no `expansion.property` nor `contains.property`; FHIR's cross-version extensions carry
them (http://hl7.org/fhir/5.0/StructureDefinition/extension-...), as the HL7 validator expects.
"""

from __future__ import annotations

from collections.abc import Iterable

from plugin.outcomes import ExpandOutcome, ExpansionEntry
from plugin.types import Resource
from plugin.wire.parameters import param

EXT_EXPANSION_PROPERTY = (
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.property"
)
EXT_CONTAINS_PROPERTY = (
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.contains.property"
)


_EXT = "http://hl7.org/fhir/StructureDefinition"


def _property_extensions(props: Iterable[Resource]) -> list[Resource]:
    """R5 `contains.property` entries as the R4 cross-version extension."""
    out = []
    for p in props:
        subs: list[Resource] = [{"url": "code", "valueCode": p["code"]}]
        subs += [{"url": "value", k: v} for k, v in p.items() if k.startswith("value")]
        out.append({"url": EXT_CONTAINS_PROPERTY, "extension": subs})
    return out


def _entry(e: ExpansionEntry, r5: bool) -> Resource:
    """One `contains` entry in FHIR element order; in R4 its properties become extensions."""
    out: Resource = {"system": e.system}
    moved = _property_extensions(e.properties) if e.properties and not r5 else []
    if e.extensions:
        out["extension"] = [*e.extensions, *moved]
    if e.abstract:
        out["abstract"] = True
    if e.inactive:
        out["inactive"] = True
    if e.version:
        out["version"] = e.version
    out["code"] = e.code
    if e.display:
        out["display"] = e.display
    if e.designations:
        out["designation"] = list(e.designations)
    if e.properties and r5:
        out["property"] = list(e.properties)
    if e.contains:
        out["contains"] = [_entry(c, r5) for c in e.contains]
    if moved and not e.extensions:
        out["extension"] = moved
    return out


def _expansion_properties_r4(exp: Resource) -> None:
    """R5 `expansion.property` as the R4 cross-version extension (in place)."""
    props = exp.pop("property", None)
    if props:
        exp["extension"] = exp.get("extension", []) + [
            {
                "url": EXT_EXPANSION_PROPERTY,
                "extension": [
                    {"url": "code", "valueCode": p["code"]},
                    *([{"url": "uri", "valueUri": p["uri"]}] if "uri" in p else []),
                ],
            }
            for p in props
        ]


def _unclosed(fragments: tuple[str, ...]) -> list[Resource]:
    systems = ", ".join(fragments)
    return [
        {"url": f"{_EXT}/valueset-unclosed", "valueBoolean": True},
        {
            "url": f"{_EXT}/valueset-unclosed-reason",
            "valueString": f"This extension is based on a fragment of the code system {systems}",
        },
    ]


def render(outcome: ExpandOutcome, r5: bool = False) -> Resource:
    """$expand output: the ValueSet with its `expansion` (identifier, timestamp, total, offset,
    parameter, contains, property), marked unclosed when built on a code system fragment."""
    body: Resource = {
        "identifier": outcome.identifier,
        "timestamp": outcome.timestamp,
        "total": outcome.total,
    }
    if outcome.offset is not None:
        body["offset"] = outcome.offset
    if outcome.parameters:
        body["parameter"] = [param(n, t, v) for n, t, v in outcome.parameters]
    if outcome.contains:
        body["contains"] = [_entry(e, r5) for e in outcome.contains]
    if outcome.properties:
        # A code system's own property stated without a uri is declared without one.
        body["property"] = [{"code": c, **({"uri": u} if u else {})} for c, u in outcome.properties]
    if outcome.fragments:
        # Built on a fragment: the list is not known to be complete (FHIR valueset-unclosed).
        body = {"extension": _unclosed(outcome.fragments), **body}
    if not r5:
        _expansion_properties_r4(body)
    return {**outcome.value_set, "expansion": body}
