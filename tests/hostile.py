"""Hostile request bodies: deep hierarchies, many filters, big texts (built, never stored).

They encode with a hand-written encoder because both `json` and orjson refuse nesting as deep
as a client may send.
"""

from __future__ import annotations

import json
from typing import Any

CS_URL = "http://example.org/fhir/CodeSystem/hostile"
VS_URL = "http://example.org/fhir/ValueSet/hostile"


def encode(value: Any) -> bytes:
    """JSON bytes of `value`, however deep (an explicit stack, no recursion limit)."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, _Raw):
            out.append(node.text)
        elif isinstance(node, dict):
            out.append("{")
            items: list[Any] = []
            for i, (k, v) in enumerate(node.items()):
                items += [_Raw(("," if i else "") + json.dumps(k) + ":"), v]
            stack += [_Raw("}"), *reversed(items)]
        elif isinstance(node, list):
            out.append("[")
            parts: list[Any] = []
            for i, v in enumerate(node):
                parts += [_Raw(",")] if i else []
                parts.append(v)
            stack += [_Raw("]"), *reversed(parts)]
        else:
            out.append(json.dumps(node))
    return "".join(out).encode()


class _Raw:
    def __init__(self, text: str) -> None:
        self.text = text


def flat_chain(levels: int) -> dict[str, Any]:
    """A CodeSystem whose concepts form one chain `levels` deep, stated by `parent` properties."""
    concepts: list[dict[str, Any]] = [{"code": "c0", "display": "level 0"}]
    concepts += [
        {
            "code": f"c{i}",
            "display": f"level {i}",
            "property": [{"code": "parent", "valueCode": f"c{i - 1}"}],
        }
        for i in range(1, levels)
    ]
    return {
        "resourceType": "CodeSystem",
        "url": CS_URL,
        "content": "complete",
        "property": [{"code": "parent", "type": "code"}],
        "concept": concepts,
    }


def nested_chain(levels: int) -> dict[str, Any]:
    """A CodeSystem whose concepts nest `levels` deep (concept inside concept)."""
    root: dict[str, Any] = {"code": "c0"}
    node = root
    for i in range(1, levels):
        child: dict[str, Any] = {"code": f"c{i}"}
        node["concept"] = [child]
        node = child
    return {"resourceType": "CodeSystem", "url": CS_URL, "content": "complete", "concept": [root]}


def flat_system(codes: int) -> dict[str, Any]:
    """A CodeSystem of `codes` codes, no hierarchy."""
    return {
        "resourceType": "CodeSystem",
        "url": CS_URL,
        "content": "complete",
        "concept": [{"code": f"code{i}", "display": f"display {i}"} for i in range(codes)],
    }


def expand_with(
    system: dict[str, Any],
    filters: list[dict[str, str]] | None = None,
    *more: dict[str, Any],
) -> bytes:
    """POST $expand body: a ValueSet over `system` (with `filters`), the system as tx-resource,
    and `more` parameters."""
    include: dict[str, Any] = {"system": CS_URL}
    if filters:
        include["filter"] = filters
    vs = {"resourceType": "ValueSet", "url": VS_URL, "compose": {"include": [include]}}
    return encode(
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "valueSet", "resource": vs},
                {"name": "tx-resource", "resource": system},
                *more,
            ],
        }
    )


def regex_filters(count: int) -> list[dict[str, str]]:
    """`count` distinct regex filters that every code of `flat_system` matches: each match is
    cheap, together they cost seconds."""
    return [
        {"property": "code", "op": "regex", "value": f"code[0-9]{{1,{3 + i}}}"}
        for i in range(count)
    ]


def deep_parameters(levels: int) -> bytes:
    """A Parameters resource whose one parameter nests `levels` parts deep."""
    node: dict[str, Any] = {"name": "dependency", "part": []}
    root = node
    for _ in range(levels):
        child: dict[str, Any] = {"name": "element", "part": []}
        node["part"].append(child)
        node = child
    return encode({"resourceType": "Parameters", "parameter": [root]})
