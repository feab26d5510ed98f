"""The FHIR operations in `/openapi.json`, generated from their declared parameters.

The FHIR routes are plain Starlette routes (no FastAPI validation on the request path), so
FastAPI does not see them; this module describes them from the same `Param` declarations the
parser uses, so the document cannot drift from what the server accepts. Clients, API consoles
(`/docs`) and fuzzers (the test suite runs Schemathesis against it) read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI

from plugin.config import FHIR_VERSIONS
from plugin.content.store import TERMINOLOGY_TYPES
from plugin.ops.operation import Operation
from plugin.ops.params import STRINGY, Param
from plugin.ops.search import PARAMS as SEARCH_PARAMS

Schema = dict[str, Any]
FHIR_JSON = "application/fhir+json"

_CODING: Schema = {
    "type": "object",
    "properties": {k: {"type": "string"} for k in ("system", "version", "code", "display")},
}
_CODEABLE: Schema = {
    "type": "object",
    "properties": {"coding": {"type": "array", "items": _CODING}, "text": {"type": "string"}},
}
_RESOURCE: Schema = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {"resourceType": {"type": "string"}},
}
OUTCOME: Schema = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {"severity": {"type": "string"}, "code": {"type": "string"}},
            },
        },
    },
}


def _resource(rtype: str) -> Schema:
    return {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"const": rtype}},
    }


def _query_schema(p: Param) -> Schema | None:
    """The query-string schema of a parameter, or None when it can only be POSTed."""
    if p.type == "boolean":
        one: Schema = {"type": "boolean"}
    elif p.type == "integer":
        one = {"type": "integer"}
    elif p.type in STRINGY or p.type == "Coding":
        # A Coding in a URL is the token `system|code`.
        one = {"type": "string"}
    else:
        return None
    return one if p.max == 1 else {"type": "array", "items": one}


# Value element and schema of a Parameters.parameter by declared type (strings apart).
_VALUE_ELEMENTS: dict[str, tuple[str, Schema]] = {
    "Resource": ("resource", _RESOURCE),
    "boolean": ("valueBoolean", {"type": "boolean"}),
    "integer": ("valueInteger", {"type": "integer"}),
    "Coding": ("valueCoding", _CODING),
    "CodeableConcept": ("valueCodeableConcept", _CODEABLE),
}


def _value_schema(p: Param) -> tuple[str, Schema]:
    """The element and schema carrying a parameter's value in a Parameters resource."""
    if p.type == "part":
        parts = [_parameter_schema(sub) for sub in p.parts]
        return "part", {"type": "array", "items": {"anyOf": parts} if parts else _RESOURCE}
    if p.type in _VALUE_ELEMENTS:
        return _VALUE_ELEMENTS[p.type]
    kind = p.type if p.type in STRINGY else "string"
    return "value" + kind[0].upper() + kind[1:], {"type": "string"}


def _parameter_schema(p: Param) -> Schema:
    element, schema = _value_schema(p)
    return {
        "type": "object",
        "required": ["name", element],
        "properties": {"name": {"enum": list(p.names)}, element: schema},
        "description": p.doc,
    }


def _responses(ok: Schema) -> Schema:
    return {
        "200": {"description": "The answer", "content": {FHIR_JSON: {"schema": ok}}},
        "default": {
            "description": "A refused request: an OperationOutcome (4xx)",
            "content": {FHIR_JSON: {"schema": OUTCOME}},
        },
    }


def _get(summary: str, params: Sequence[Param], ok: Schema, path_id: bool) -> Schema:
    query = [
        {"name": name, "in": "query", "required": False, "schema": schema, "description": p.doc}
        for p in params
        if (schema := _query_schema(p)) is not None
        for name in p.names
    ]
    if path_id:
        query.insert(
            0, {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        )
    return {"summary": summary, "parameters": query, "responses": _responses(ok)}


def operation_paths(op: Operation, base: str) -> dict[str, Schema]:
    """The paths of one operation on one base: type level, instance level and system level
    (where the operation is served there), GET and POST."""
    ok = _resource(op.returns)
    body = {
        "required": True,
        "content": {
            FHIR_JSON: {
                "schema": {
                    "type": "object",
                    "required": ["resourceType"],
                    "properties": {
                        "resourceType": {"const": "Parameters"},
                        "parameter": {
                            "type": "array",
                            "items": {"anyOf": [_parameter_schema(p) for p in op.params]},
                        },
                    },
                }
            }
        },
    }
    # (what the summary calls it, path, whether the path names an instance)
    levels: list[tuple[str, str, bool]] = []
    for rtype in op.resource_types:
        levels.append((f"{rtype}/${op.name}", f"/{base}/{rtype}/${op.name}", False))
        if op.instance:
            levels.append((f"{rtype}/${op.name}", f"/{base}/{rtype}/{{id}}/${op.name}", True))
    if op.system:
        levels.append((f"${op.name}", f"/{base}/${op.name}", False))
    out: dict[str, Schema] = {}
    for where, path, with_id in levels:
        get = _get(f"{where} ({base}): {op.definition}", op.params, ok, with_id)
        post = {**get, "parameters": get["parameters"][:1] if with_id else []}
        out[path] = {"post": {**post, "requestBody": body}}
        if not op.affects_state:  # FHIR: an operation that changes state is POST only
            out[path] = {"get": get, **out[path]}
    return out


def fhir_paths(operations: Sequence[Operation]) -> dict[str, Schema]:
    """Every FHIR path of every base: operations, metadata, search and read."""
    paths: dict[str, Schema] = {}
    for base in FHIR_VERSIONS:
        for op in operations:
            paths.update(operation_paths(op, base))
        mode = Param("mode", "code", "full, normal or terminology")
        paths[f"/{base}/metadata"] = {
            "get": _get("The CapabilityStatement", [mode], _RESOURCE, False)
        }
        for rtype in TERMINOLOGY_TYPES:
            paths[f"/{base}/{rtype}"] = {
                "get": _get(f"Search {rtype}", SEARCH_PARAMS, _resource("Bundle"), False)
            }
            paths[f"/{base}/{rtype}/{{id}}"] = {
                "get": _get(f"Read a {rtype}", [], _resource(rtype), True)
            }
    return paths


def install_openapi(app: FastAPI, operations: Sequence[Operation]) -> None:
    """Make `app.openapi()` (served at `/openapi.json`) include the FHIR routes."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = plain()
            schema.setdefault("paths", {}).update(fhir_paths(operations))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
