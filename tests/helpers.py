"""Readers for FHIR Parameters answers, used across the tests."""

from __future__ import annotations

from typing import Any


def params(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Every parameter named `name`."""
    return [p for p in body.get("parameter", []) if p["name"] == name]


def value(p: dict[str, Any]) -> Any:
    """The value[x] of a parameter or part."""
    return next(v for k, v in p.items() if k.startswith("value"))


def part(p: dict[str, Any], name: str) -> Any:
    """The value of the first part named `name`, or None."""
    for q in p.get("part", []):
        if q["name"] == name:
            return value(q)
    return None


def parts(p: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Every part named `name`."""
    return [q for q in p.get("part", []) if q["name"] == name]


def matches(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The `match` parameters of a $translate answer, simplified to code/equivalence/products."""
    out = []
    for m in params(body, "match"):
        concept = part(m, "concept")
        out.append(
            {
                "code": concept["code"] if concept else None,
                "system": concept["system"] if concept else None,
                "equivalence": part(m, "equivalence") or part(m, "relationship"),
                "products": [part(p, "concept") or part(p, "value") for p in parts(m, "product")],
                "origin": part(m, "originMap"),
            }
        )
    return out


def result(body: dict[str, Any]) -> bool:
    """The `result` boolean."""
    return bool(value(params(body, "result")[0]))
