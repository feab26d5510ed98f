"""What the reference runner does to a response before comparing it, written for this project.

The reference is `TxTesterScrubbers` and `TxTesterSorters` in hapifhir/org.hl7.fhir.core
(`org.hl7.fhir.validation/src/main/java/org/hl7/fhir/validation/special/`):

- scrub: drop `text` and `meta` of the resource, and every extension whose url is absolute and
  not one of the extensions the suite manages (`MANAGED`), except inside `ValueSet.compose`;
  from an OperationOutcome drop issues that have diagnostics but no details, and diagnostics;
  from Parameters drop `meta`;
- sort (stable): Parameters by name (`property` by code then value, `designation` by language
  then value, case-insensitively) with the `; `-joined parts of a `message` sorted; the issues of
  an OperationOutcome by severity, code, first expression, details text; a ValueSet expansion's
  parameters, properties, extensions and `contains` (by code, recursively with their
  designations and properties); the lists of a CapabilityStatement and TerminologyCapabilities.

Left out: `tight` mode (keep every extension), which the suite's general mode does not use.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from tests.txsuite.compare import Num

# Extensions with an absolute url that survive the scrub.
MANAGED = frozenset(
    "http://hl7.org/fhir/" + tail
    for tail in (
        "StructureDefinition/codesystem-alternate",
        "StructureDefinition/codesystem-conceptOrder",
        "StructureDefinition/codesystem-label",
        "StructureDefinition/coding-sctdescid",
        "StructureDefinition/structuredefinition-standards-status",
        "StructureDefinition/itemWeight",
        "StructureDefinition/rendering-style",
        "StructureDefinition/rendering-xhtml",
        "StructureDefinition/translation",
        "StructureDefinition/valueset-concept-definition",
        "StructureDefinition/valueset-conceptOrder",
        "StructureDefinition/valueset-deprecated",
        "StructureDefinition/valueset-label",
        "StructureDefinition/valueset-supplement",
        "StructureDefinition/valueset-unclosed",
        "StructureDefinition/valueset-unclosed-reason",
        "StructureDefinition/alternate-code-use",
        "StructureDefinition/alternate-code-status",
        "StructureDefinition/operationoutcome-message-id",
        "test/CodeSystem/de-multi",
        "test/CodeSystem/en-multi",
        "test/StructureDefinition/unknown-extension-1",
        "test/StructureDefinition/unknown-extension-3",
        "test/StructureDefinition/unknown-extension-4",
        "test/StructureDefinition/unknown-extension-5",
        "test/ValueSet/extensions-bad-supplement",
        "test/ValueSet/simple-all",
        "test/ValueSet/simple-enumerated",
        "test/ValueSet/simple-filter-isa",
    )
)

Json = dict[str, Any]


def value_of(element: Json) -> Any:
    """The `value[x]` of a parameter, extension or property, or None."""
    for key, value in element.items():
        if key.startswith("value") and key[5:6].isupper():
            return value
    return None


def text_of(value: Any) -> str | None:
    """A primitive as the reference's `primitiveValue()` renders it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Num):
        return value.text
    if isinstance(value, str):
        return value
    return None


def _managed(ext: Any) -> bool:
    url = ext.get("url") if isinstance(ext, dict) else None
    return not isinstance(url, str) or ":" not in url or url in MANAGED


def _scrub_extensions(node: Any, in_value_set: bool = False) -> None:
    if isinstance(node, list):
        for item in node:
            _scrub_extensions(item, in_value_set)
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("extension"), list):
        node["extension"] = [e for e in node["extension"] if _managed(e)]
        if not node["extension"]:
            del node["extension"]
    in_value_set = node.get("resourceType", "ValueSet" if in_value_set else None) == "ValueSet"
    for key, value in node.items():
        if not (in_value_set and key == "compose"):
            _scrub_extensions(value, in_value_set)


def scrub_resource(res: Json) -> Json:
    """Scrub a ValueSet, CapabilityStatement or other domain resource."""
    res.pop("text", None)
    res.pop("meta", None)
    _scrub_extensions(res)
    return res


def scrub_outcome(oo: Json) -> Json:
    """Scrub an OperationOutcome: as a resource, then issues with diagnostics only, diagnostics."""
    scrub_resource(oo)
    oo["issue"] = [i for i in oo.get("issue", []) if "details" in i or "diagnostics" not in i]
    for issue in oo["issue"]:
        issue.pop("diagnostics", None)
    return oo


def scrub_parameters(params: Json) -> Json:
    """Scrub Parameters: only `meta` goes; an embedded outcome or value set is scrubbed too."""
    params.pop("meta", None)
    for p in params.get("parameter", []):
        res = p.get("resource")
        if isinstance(res, dict):
            kind = res.get("resourceType")
            if kind == "OperationOutcome":
                scrub_outcome(res)
            elif kind == "Parameters":
                scrub_parameters(res)
            else:
                scrub_resource(res)
    return params


# -- sorting


def _sort(items: Any, key: Callable[[Any], Any]) -> None:
    if isinstance(items, list) and len(items) > 1:
        items.sort(key=key)


def _sort_cmp(items: Any, cmp: Callable[[Any, Any], int]) -> None:
    if isinstance(items, list) and len(items) > 1:
        items.sort(key=functools.cmp_to_key(cmp))


def sort_extensions(exts: Any) -> None:
    """Extensions by url, nested extensions too."""
    for e in exts or []:
        sort_extensions(e.get("extension"))
    _sort(exts, lambda e: e.get("url") or "")


def _part_text(param: Json, name: str) -> str | None:
    for part in param.get("part", []):
        if part.get("name") == name:
            return text_of(value_of(part))
    return None


def _order(a: str, b: str) -> int:
    return (a > b) - (a < b)


def _param_cmp(p1: Json, p2: Json) -> int:
    name1, name2 = p1.get("name", ""), p2.get("name", "")
    keys = {"property": "code", "designation": "language"}.get(name1)
    if name1 == name2 and keys:
        k1, k2 = (p.lower() for p in (_part_text(p1, keys) or "", _part_text(p2, keys) or ""))
        if k1 != k2:
            return _order(k1, k2)
        v1, v2 = _part_text(p1, "value"), _part_text(p2, "value")
        if v1 is not None and v2 is not None and v1.lower() != v2.lower():
            return _order(v1.lower(), v2.lower())
    return _order(name1, name2)


def _issue_key(issue: Json) -> tuple[str, str, str, str]:
    expression = issue.get("expression") or [""]
    return (
        issue.get("severity", ""),
        issue.get("code", ""),
        expression[0],
        issue.get("details", {}).get("text", ""),
    )


def sort_parameters(params: Json) -> Json:
    """Sort Parameters (and the outcomes and Parameters inside) as the reference does."""
    for p in params.get("parameter", []):
        _sort_parts(p)
    _sort_cmp(params.get("parameter"), _param_cmp)
    for p in params.get("parameter", []):
        res = p.get("resource")
        if isinstance(res, dict) and res.get("resourceType") == "OperationOutcome":
            _sort(res.get("issue"), _issue_key)
        elif isinstance(res, dict) and res.get("resourceType") == "Parameters":
            sort_parameters(res)
        message = text_of(value_of(p)) if p.get("name") == "message" else None
        if message is not None and "; " in message:
            for key in [k for k in p if k.startswith(("value", "_value"))]:
                del p[key]
            p["valueString"] = "; ".join(sorted(message.split("; ")))
    return params


def _sort_parts(param: Json) -> None:
    sort_extensions(param.get("extension"))
    for part in param.get("part", []):
        _sort_parts(part)
    _sort_cmp(param.get("part"), _param_cmp)


def _sort_contains(item: Json) -> None:
    _sort(item.get("contains"), lambda c: c.get("code", ""))
    sort_extensions(item.get("extension"))
    _sort_cmp(item.get("designation"), _designation_cmp)
    _sort(item.get("property"), lambda p: p.get("code", ""))
    for child in item.get("contains", []):
        _sort_contains(child)


def _designation_cmp(d1: Json, d2: Json) -> int:
    if "language" in d1 and "language" in d2:
        return _order(d1["language"], d2["language"])
    return _order(d1.get("value", ""), d2.get("value", ""))


def sort_value_set(vs: Json) -> Json:
    """Sort a ValueSet's extensions and its expansion as the reference does."""
    sort_extensions(vs.get("extension"))
    exp = vs.get("expansion")
    if isinstance(exp, dict):
        for p in exp.get("parameter", []):
            sort_extensions(p.get("extension"))
        _sort(exp.get("parameter"), lambda p: (p.get("name", ""), text_of(value_of(p)) or ""))
        _sort(
            exp.get("property"), lambda p: (p.get("uri") is not None, p.get("uri", ""), p["code"])
        )
        sort_extensions(exp.get("extension"))
        _sort(exp.get("contains"), lambda c: c.get("code", ""))
        for item in exp.get("contains", []):
            _sort_contains(item)
    return vs


def sort_concept_map(cm: Json) -> Json:
    """Sort a $closure ConceptMap: groups by source and target, elements and their targets by
    code. The order of a closure table's entries means nothing (the project's rule: the
    reference runner defines no closure step; see runner.py)."""
    _sort(cm.get("group"), lambda g: (g.get("source", ""), g.get("target", "")))
    for group in cm.get("group", []):
        _sort(group.get("element"), lambda e: e.get("code", ""))
        for element in group.get("element", []):
            _sort(element.get("target"), lambda t: t.get("code", ""))
    return cm


def _coding_key(coding: Json) -> tuple[str, str]:
    return coding.get("system", ""), coding.get("code", "")


def sort_capability_statement(cs: Json) -> Json:
    """Sort the lists of a CapabilityStatement (formats, rest, resources, operations ...)."""
    for key in ("format", "instantiates", "imports", "acceptLanguage"):
        _sort(cs.get(key), str)
    _sort(cs.get("rest"), lambda r: r.get("mode", ""))
    for rest in cs.get("rest", []):
        for service in rest.get("security", {}).get("service", []):
            _sort(service.get("coding"), _coding_key)
        _sort(rest.get("security", {}).get("service"), _service_key)
        _sort(rest.get("resource"), lambda r: r.get("type", ""))
        for res in rest.get("resource", []):
            for key in ("supportedProfile", "searchInclude", "searchRevInclude"):
                _sort(res.get(key), str)
            _sort(res.get("interaction"), lambda i: i.get("code", ""))
            _sort(res.get("searchParam"), lambda s: s.get("name", ""))
            _sort(res.get("operation"), lambda o: o.get("name", ""))
        _sort(rest.get("interaction"), lambda i: i.get("code", ""))
        _sort(rest.get("searchParam"), lambda s: s.get("name", ""))
        _sort(rest.get("operation"), lambda o: o.get("name", ""))
        _sort(rest.get("compartment"), str)
    return cs


def _service_key(cc: Json) -> tuple[str, str]:
    codings = cc.get("coding") or []
    return _coding_key(codings[0]) if codings else ("", cc.get("text", ""))


def sort_terminology_capabilities(tc: Json) -> Json:
    """Sort the code systems (by uri), their versions' lists, and the expansion parameters."""
    _sort(tc.get("codeSystem"), lambda c: c.get("uri", ""))
    for system in tc.get("codeSystem", []):
        for version in system.get("version", []):
            _sort(version.get("language"), str)
            _sort(version.get("property"), str)
            _sort(version.get("filter"), lambda f: f.get("code", ""))
    _sort(tc.get("expansion", {}).get("parameter"), lambda p: p.get("name", ""))
    return tc
