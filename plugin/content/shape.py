"""Structural checks of resources a client supplies (tx-resource, inline maps and value sets).

The engine trusts the shape of what it indexes; content from a request is checked first so a
malformed resource is the client's 400, not the server's 500. Only the elements the engine reads
are described; anything else passes through untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from plugin.config import MAX_DEPTH
from plugin.types import Resource

# A schema maps element name -> str | bool | int | dict (object schema) | [schema] (array).
Schema = dict[str, Any]

_CODING: Schema = {"system": str, "version": str, "code": str, "display": str}
_DESIGNATION: Schema = {"language": str, "use": _CODING, "value": str}
_CONCEPT: Schema = {
    "code": str,
    "display": str,
    "definition": str,
    "designation": [_DESIGNATION],
    "property": [{"code": str}],
}
_CONCEPT["concept"] = [_CONCEPT]
_INCLUDE: Schema = {
    "system": str,
    "version": str,
    "valueSet": [str],
    "concept": [{"code": str, "display": str, "designation": [_DESIGNATION]}],
    "filter": [{"property": str, "op": str, "value": str}],
}
_CONTAINS: Schema = {
    "system": str,
    "version": str,
    "code": str,
    "display": str,
    "abstract": bool,
    "inactive": bool,
}
_CONTAINS["contains"] = [_CONTAINS]
# The self-similar elements: each level of them is one level of a hierarchy.
_NESTING = (_CONCEPT, _CONTAINS)
_OTHER: Schema = {
    "property": str,
    "attribute": str,
    "system": str,
    "value": str,
    "display": str,
    "valueCoding": _CODING,
}
_TARGET: Schema = {
    "code": str,
    "display": str,
    "equivalence": str,
    "relationship": str,
    "comment": str,
    "product": [_OTHER],
    "dependsOn": [_OTHER],
}

SCHEMAS: dict[str, Schema] = {
    "CodeSystem": {
        "url": str,
        "version": str,
        "name": str,
        "content": str,
        "caseSensitive": bool,
        "supplements": str,
        "concept": [_CONCEPT],
    },
    "ValueSet": {
        "url": str,
        "version": str,
        "compose": {"inactive": bool, "include": [_INCLUDE], "exclude": [_INCLUDE]},
        "expansion": {"contains": [_CONTAINS]},
    },
    "ConceptMap": {
        "url": str,
        "version": str,
        "group": [
            {
                "source": str,
                "target": str,
                "sourceVersion": str,
                "targetVersion": str,
                "element": [{"code": str, "display": str, "noMap": bool, "target": [_TARGET]}],
                "unmapped": {
                    "mode": str,
                    "code": str,
                    "display": str,
                    "url": str,
                    "equivalence": str,
                    "relationship": str,
                },
            }
        ],
    },
}


def check(value: Any, schema: Any, path: str) -> None:
    """Raise ValueError naming the first element whose JSON type is not what FHIR says.

    Walked with an explicit stack, never by recursion: client data may nest as deep as its
    JSON allows. A hierarchy (concept in concept, contains in contains) deeper than `MAX_DEPTH`
    levels is refused (ValueError), as the engine would not walk it either.
    """
    stack: list[tuple[Any, Any, str, int]] = [(value, schema, path, 0)]
    while stack:
        value, schema, path, depth = stack.pop()
        if isinstance(schema, list):
            if not isinstance(value, list):
                raise ValueError(f"{path} must be an array")
            nests = any(schema[0] is n for n in _NESTING)
            if nests and depth >= MAX_DEPTH:
                where = path.split("[", 1)[0]
                raise ValueError(
                    f"{where} nests deeper than the {MAX_DEPTH} levels this server reads"
                )
            deeper = depth + 1 if nests else depth
            stack.extend(
                (item, schema[0], f"{path}[{i}]", deeper)
                for i, item in reversed(list(enumerate(value)))
            )
        elif isinstance(schema, dict):
            if not isinstance(value, dict):
                raise ValueError(f"{path} must be an object")
            stack.extend(
                (value[key], sub, f"{path}.{key}", depth)
                for key, sub in reversed(schema.items())
                if key in value
            )
        elif schema is bool:
            if not isinstance(value, bool):
                raise ValueError(f"{path} must be a boolean")
        elif not isinstance(value, schema) or isinstance(value, bool):
            raise ValueError(f"{path} must be a {schema.__name__}")


def preorder(nodes: list[Resource], children: str) -> Iterator[Resource]:
    """Every node of a hierarchy (`children` names the nested list), parents first, depth first.

    An explicit stack, never recursion: the nesting is client data.
    """
    stack = [iter(nodes)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            continue
        yield node
        nested = node.get(children)
        if isinstance(nested, list):
            stack.append(iter(nested))


def json_depth_within(value: Any, limit: int) -> bool:
    """True when `value` nests objects and arrays at most `limit` levels deep (explicit stack)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return False
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return True


def check_resource(resource: Resource) -> None:
    """Check a terminology resource's shape (other resource types are not checked here)."""
    rtype = resource.get("resourceType")
    schema = SCHEMAS.get(rtype) if isinstance(rtype, str) else None
    if schema is not None:
        check(resource, schema, str(rtype))


# Datatypes that arrive as operation parameter values.
COMPLEX: dict[str, Schema] = {
    "Coding": _CODING,
    "CodeableConcept": {"coding": [_CODING], "text": str},
}
