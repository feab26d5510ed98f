"""Parameters builders shared by the operation renderers."""

from __future__ import annotations

from typing import Any

from plugin.types import Coding, Resource


def param(name: str, vtype: str, value: Any) -> Resource:
    """One `Parameters.parameter` with a `value[x]` of FHIR type `vtype`."""
    return {"name": name, "value" + vtype[0].upper() + vtype[1:]: value}


def part(name: str, parts: list[Resource]) -> Resource:
    """One parameter made of parts."""
    return {"name": name, "part": parts}


def parameters(params: list[Resource]) -> Resource:
    """A Parameters resource."""
    return {"resourceType": "Parameters", "parameter": params}


def coding_json(c: Coding) -> Resource:
    """A Coding datatype in FHIR element order."""
    out: Resource = {"system": c.system}
    if c.version:
        out["version"] = c.version
    out["code"] = c.code
    if c.display:
        out["display"] = c.display
    return out
