"""R4 form of the R5-only parts of an expansion.

R4 has no `expansion.property` nor `contains.property`; FHIR's cross-version extensions carry
them (http://hl7.org/fhir/5.0/StructureDefinition/extension-...), as the HL7 validator expects.
"""

from __future__ import annotations

from plugin.types import Resource

EXT_EXPANSION_PROPERTY = (
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.property"
)
EXT_CONTAINS_PROPERTY = (
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.contains.property"
)


def _contains_r4(entries: list[Resource]) -> None:
    for c in entries:
        props = c.pop("property", None)
        if props:
            exts = c.setdefault("extension", [])
            for p in props:
                subs: list[Resource] = [{"url": "code", "valueCode": p["code"]}]
                subs += [{"url": "value", k: v} for k, v in p.items() if k.startswith("value")]
                exts.append({"url": EXT_CONTAINS_PROPERTY, "extension": subs})
        _contains_r4(c.get("contains", []))


def expansion_to_r4(vs: Resource) -> Resource:
    """Move the R5-only expansion elements into their R4 extensions (in place)."""
    exp = vs.get("expansion")
    if not isinstance(exp, dict):
        return vs
    props = exp.pop("property", None)
    if props:
        exp["extension"] = exp.get("extension", []) + [
            {
                "url": EXT_EXPANSION_PROPERTY,
                "extension": [
                    {"url": "code", "valueCode": p["code"]},
                    {"url": "uri", "valueUri": p["uri"]},
                ],
            }
            for p in props
        ]
    _contains_r4(exp.get("contains", []))
    return vs
