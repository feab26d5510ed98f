"""Rendering of $lookup outcomes as Parameters (the same in R4 and R5)."""

from __future__ import annotations

from plugin.outcomes import ConceptProperty, Designation, LookupOutcome
from plugin.types import Resource
from plugin.wire.parameters import param, parameters, part


def _designation(d: Designation) -> Resource:
    parts: list[Resource] = []
    if d.language:
        parts.append(param("language", "code", d.language))
    if d.use:
        parts.append(param("use", "Coding", d.use))
    if d.source:
        parts.append(param("source", "canonical", d.source))
    parts.append(param("value", "string", d.value))
    return part("designation", parts)


def _property(p: ConceptProperty) -> Resource:
    parts = [param("code", "code", p.code)]
    parts += [param("value", vtype, value) for vtype, value in p.values]
    if p.description:
        parts.append(param("description", "string", p.description))
    return part("property", parts)


def render(outcome: LookupOutcome) -> Resource:
    """$lookup output: name, code, system, version, display, definition, abstract, then the
    designations, properties and supplements used, in the order FHIR lists them."""
    out: list[Resource] = [
        param("name", "string", outcome.name),
        param("code", "code", outcome.code),
        param("system", "uri", outcome.system),
    ]
    if outcome.version:
        out.append(param("version", "string", outcome.version))
    if outcome.display:
        out.append(param("display", "string", outcome.display))
    if outcome.definition:
        out.append(param("definition", "string", outcome.definition))
    out.append(param("abstract", "boolean", outcome.abstract))
    out += [_designation(d) for d in outcome.designations]
    out += [_property(p) for p in outcome.properties]
    out += [param("used-supplement", "canonical", a) for a in outcome.used_supplements]
    return parameters(out)
