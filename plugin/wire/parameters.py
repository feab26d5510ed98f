"""Parameters builders shared by the operation renderers."""

from __future__ import annotations

from typing import Any

from plugin.types import Coding, Resource

# FHIR type name -> its value[x] key ("code" -> "valueCode"); filled as types are first used.
_VALUE_KEYS: dict[str, str] = {}


def param(name: str, vtype: str, value: Any) -> Resource:
    """One `Parameters.parameter` with a `value[x]` of FHIR type `vtype`."""
    key = _VALUE_KEYS.get(vtype)
    if key is None:
        key = _VALUE_KEYS[vtype] = "value" + vtype[0].upper() + vtype[1:]
    return {"name": name, key: value}


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
