"""R5 <-> R4 for the terminology resources the suite sends and receives, written for this project.

The suite's files are R5. The reference runner talks R4 to an R4 server through its R4 client,
which converts with the HL7 version convertors (`VersionConvertor_40_50` in
hapifhir/org.hl7.fhir.core); the cross-version extensions are those of
https://hl7.org/fhir/versions.html#extensions. Implemented, for the elements the terminology
operations use:

- requests (R5 -> R4): in Parameters and their `tx-resource`s, CodeSystem and ValueSet lose the
  R5-only elements (`versionAlgorithm[x]`, `copyrightLabel`, designation `additionalUse` ...), a
  filter operator R4 lacks becomes the `filter.op` extension; a ConceptMap is rewritten in R4
  shape (scopes, `group.source|version`, `relationship` -> `equivalence`, `noMap`, attributes of
  `dependsOn`/`product`, `unmapped.otherMap`);
- responses (R4 -> R5): a ValueSet expansion's `property` and `contains.property` extensions
  and the `filter.op` extension become the R5 elements again; a ConceptMap's (a `$closure`
  answer) `group.sourceVersion`/`targetVersion` and `equivalence` become R5's versioned
  canonicals and `relationship`.

Left out: other resource types (the suite sends none) and the R4 parser's silent dropping of
unknown JSON properties (a server that sends them fails the comparison instead).
"""

from __future__ import annotations

from typing import Any

from tests.txsuite.normalise import Json, text_of, value_of

_X5 = "http://hl7.org/fhir/5.0/StructureDefinition/extension-"
EXT_FILTER_OP = _X5 + "ValueSet.compose.include.filter.op"
EXT_EXP_PROPERTY = _X5 + "ValueSet.expansion.property"
EXT_CONTAINS_PROPERTY = _X5 + "ValueSet.expansion.contains.property"
EXT_VERSION_ALGORITHM = _X5 + "CanonicalResource.versionAlgorithm"

# Filter operators R4 knows; others travel as the extension.
R4_FILTER_OPS = frozenset(
    {"=", "is-a", "descendent-of", "is-not-a", "regex", "in", "not-in", "generalizes", "exists"}
)
# Canonical-resource elements that R5 added.
R5_ONLY = frozenset(
    {
        "versionAlgorithmString",
        "versionAlgorithmCoding",
        "copyrightLabel",
        "approvalDate",
        "lastReviewDate",
        "effectivePeriod",
        "topic",
        "author",
        "editor",
        "reviewer",
        "endorser",
        "relatedArtifact",
        "scope",
    }
)
EQUIVALENCE = {
    "related-to": "relatedto",
    "equivalent": "equivalent",
    "source-is-narrower-than-target": "wider",
    "source-is-broader-than-target": "narrower",
    "not-related-to": "disjoint",
}
# R4 equivalence -> R5 relationship (R5's ConceptMap page, "Mapping from R4").
RELATIONSHIP = {
    "relatedto": "related-to",
    "equivalent": "equivalent",
    "equal": "equivalent",
    "wider": "source-is-narrower-than-target",
    "subsumes": "source-is-narrower-than-target",
    "narrower": "source-is-broader-than-target",
    "specializes": "source-is-broader-than-target",
    "inexact": "related-to",
    "unmatched": "not-related-to",
    "disjoint": "not-related-to",
}
UNMAPPED_MODE = {"use-source-code": "provided", "fixed": "fixed", "other-map": "other-map"}


def _add_extension(element: Json, ext: Json) -> None:
    element.setdefault("extension", []).append(ext)


def _take_extensions(element: Json, url: str) -> list[Json]:
    exts = element.get("extension", [])
    taken = [e for e in exts if e.get("url") == url]
    rest = [e for e in exts if e.get("url") != url]
    if rest:
        element["extension"] = rest
    else:
        element.pop("extension", None)
    return taken


# -- requests


def to_r4(res: Any) -> Any:
    """An R5 resource (Parameters, CodeSystem, ValueSet, ConceptMap) in its R4 form."""
    if not isinstance(res, dict):
        return res
    kind = res.get("resourceType")
    if kind == "Parameters":
        for p in res.get("parameter", []):
            if "resource" in p:
                p["resource"] = to_r4(p["resource"])
        return res
    if kind in ("CodeSystem", "ValueSet", "ConceptMap"):
        res["contained"] = [to_r4(c) for c in res.get("contained", [])]
        if not res["contained"]:
            del res["contained"]
        algorithm = {
            k: res.pop(k, None) for k in ("versionAlgorithmString", "versionAlgorithmCoding")
        }
        for key, value in algorithm.items():
            if value is not None:
                ext = {
                    "url": EXT_VERSION_ALGORITHM,
                    key.replace("versionAlgorithm", "value"): value,
                }
                _add_extension(res, ext)
        for key in R5_ONLY & res.keys():
            del res[key]
    if kind == "CodeSystem":
        _drop_additional_use(res.get("concept", []))
    elif kind == "ValueSet":
        _value_set_to_r4(res)
    elif kind == "ConceptMap":
        return _concept_map_to_r4(res)
    return res


def _drop_additional_use(concepts: list[Json]) -> None:
    for concept in concepts:
        for designation in concept.get("designation", []):
            designation.pop("additionalUse", None)
        _drop_additional_use(concept.get("concept", []))


def _value_set_to_r4(vs: Json) -> None:
    compose = vs.get("compose", {})
    for part in compose.get("include", []) + compose.get("exclude", []):
        for concept in part.get("concept", []):
            for designation in concept.get("designation", []):
                designation.pop("additionalUse", None)
        for flt in part.get("filter", []):
            op = flt.get("op")
            if op is not None and op not in R4_FILTER_OPS:
                del flt["op"]
                _add_extension(flt.setdefault("_op", {}), {"url": EXT_FILTER_OP, "valueCode": op})


def _split(canonical: str | None) -> tuple[str | None, str | None]:
    if canonical is None or "|" not in canonical:
        return canonical, None
    url, version = canonical.split("|", 1)
    return url, version


def _concept_map_to_r4(cm: Json) -> Json:
    if isinstance(cm.get("identifier"), list):
        cm["identifier"] = cm["identifier"][0] if cm["identifier"] else None
        if cm["identifier"] is None:
            del cm["identifier"]
    for r5, r4 in (
        ("sourceScopeUri", "sourceUri"),
        ("sourceScopeCanonical", "sourceCanonical"),
        ("targetScopeUri", "targetUri"),
        ("targetScopeCanonical", "targetCanonical"),
    ):
        if r5 in cm:
            cm[r4] = cm.pop(r5)
    attributes = {a.get("code"): a.get("uri") for a in cm.pop("additionalAttribute", [])}
    cm.pop("property", None)
    for group in cm.get("group", []):
        for end in ("source", "target"):
            url, version = _split(group.pop(end, None))
            if url:
                group[end] = url
            if version:
                group[end + "Version"] = version
        for element in group.get("element", []):
            element.pop("valueSet", None)
            if element.pop("noMap", False):
                element["target"] = [{"equivalence": "unmatched"}]
            for target in element.get("target", []):
                _target_to_r4(target, attributes)
        unmapped = group.get("unmapped")
        if isinstance(unmapped, dict):
            if "mode" in unmapped:
                unmapped["mode"] = UNMAPPED_MODE.get(unmapped["mode"], unmapped["mode"])
            if "otherMap" in unmapped:
                unmapped["url"] = unmapped.pop("otherMap")
            unmapped.pop("relationship", None)
            unmapped.pop("valueSet", None)
    return cm


def _target_to_r4(target: Json, attributes: dict[Any, Any]) -> None:
    relationship = target.pop("relationship", None)
    if "equivalence" not in target:
        target["equivalence"] = EQUIVALENCE.get(relationship or "related-to", "relatedto")
    target.pop("property", None)
    target.pop("valueSet", None)
    for key in ("dependsOn", "product"):
        target[key] = [_other_element_to_r4(o, attributes) for o in target.get(key, [])]
        if not target[key]:
            del target[key]


def _other_element_to_r4(other: Json, attributes: dict[Any, Any]) -> Json:
    out: Json = {k: other[k] for k in ("id", "extension") if k in other}
    out["property"] = attributes.get(other.get("attribute"), other.get("attribute"))
    coding = other.get("valueCoding")
    if isinstance(coding, dict):
        out.update({k: coding[k] for k in ("system", "display") if k in coding})
        if "code" in coding:
            out["value"] = coding["code"]
    elif (text := text_of(value_of(other))) is not None:
        out["value"] = text
    return out


# -- responses


def to_r5(res: Any) -> Any:
    """An R4 response resource with the cross-version extensions turned back into R5 elements."""
    if not isinstance(res, dict):
        return res
    kind = res.get("resourceType")
    if kind == "Parameters":
        for p in res.get("parameter", []):
            to_r5(p.get("resource"))
            for part in p.get("part", []):
                to_r5(part.get("resource"))
    elif kind == "ValueSet":
        for contained in res.get("contained", []):
            to_r5(contained)
        compose = res.get("compose", {})
        for part in compose.get("include", []) + compose.get("exclude", []):
            for flt in part.get("filter", []):
                taken = _take_extensions(flt.get("_op", {}), EXT_FILTER_OP)
                if taken:
                    flt["op"] = taken[0].get("valueCode")
                if flt.get("_op") == {}:
                    del flt["_op"]
        if isinstance(res.get("expansion"), dict):
            _expansion_to_r5(res["expansion"])
    elif kind == "ConceptMap":
        _concept_map_to_r5(res)
    return res


def _concept_map_to_r5(cm: Json) -> None:
    """The groups of a ConceptMap answer ($closure) in R5 shape: versioned canonicals,
    `relationship` for `equivalence`."""
    for group in cm.get("group", []):
        for end in ("source", "target"):
            version = group.pop(end + "Version", None)
            if version and end in group:
                group[end] = f"{group[end]}|{version}"
        for element in group.get("element", []):
            for target in element.get("target", []):
                if "equivalence" in target:
                    target["relationship"] = RELATIONSHIP.get(target.pop("equivalence"), "")


def _sub_value(ext: Json, url: str) -> Any:
    for sub in ext.get("extension", []):
        if sub.get("url") == url:
            return value_of(sub)
    return None


def _expansion_to_r5(exp: Json) -> None:
    props = [
        {k: v for k, v in (("code", _sub_value(e, "code")), ("uri", _sub_value(e, "uri"))) if v}
        for e in _take_extensions(exp, EXT_EXP_PROPERTY)
    ]
    if props:
        exp["property"] = props
    _contains_to_r5(exp.get("contains", []))


def _contains_to_r5(items: list[Json]) -> None:
    for item in items:
        props = []
        for ext in _take_extensions(item, EXT_CONTAINS_PROPERTY):
            prop: Json = {"code": _sub_value(ext, "code")}
            for sub in ext.get("extension", []):
                if sub.get("url") in ("value", "value[x]"):
                    prop.update({k: v for k, v in sub.items() if k.startswith("value")})
            props.append(prop)
        if props:
            item["property"] = item.get("property", []) + props
        _contains_to_r5(item.get("contains", []))
