"""ValueSet compose filters: the FHIR filter operators over one CodeSystem's concepts.

is-a, descendent-of, is-not-a, generalizes, child-of, descendent-leaf on the hierarchy; =, in,
not-in, regex and exists on any property (code, display, or a concept property). Regular
expressions run with a time limit, so a hostile pattern cannot hang the server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import regex

from plugin.config import REGEX_TIMEOUT
from plugin.content.codesystem import CodeSystemIndex, Concept
from plugin.content.systems import normalise_code
from plugin.errors import FhirError, invalid
from plugin.messages import error
from plugin.types import Resource

EXT_FILTER_OP = (
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.compose.include.filter.op"
)


def filter_op(f: Resource) -> object:
    """A compose filter's `op`, also when an R4 client sent an R5 operator as an extension."""
    if "op" in f:
        return f["op"]
    for ext in (f.get("_op") or {}).get("extension", []):
        if ext.get("url") == EXT_FILTER_OP:
            return ext.get("valueCode")
    return None


def compose_filter(cs: CodeSystemIndex, f: Resource, where: str) -> Callable[[Concept], bool]:
    """A predicate for one compose filter (FHIR ValueSet.compose.include.filter operators)."""
    prop, op, value = f.get("property"), filter_op(f), f.get("value")
    if not isinstance(prop, str) or not isinstance(op, str) or not isinstance(value, str):
        raise error(
            "UNABLE_TO_HANDLE_SYSTEM_FILTER_WITH_NO_VALUE",
            (where,),
            system=cs.url,
            property=prop,
            op=op,
        )
    if prop in ("concept", "code") and op in _HIERARCHY:
        return _HIERARCHY[op](cs, normalise_code(cs.url, value))
    if op in _PROPERTY:
        return _PROPERTY[op](prop, value, where)
    raise FhirError(
        "not-supported",
        f"The filter operator '{op}' is not supported for property '{prop}'",
        (where,),
    )


Predicate = Callable[[Concept], bool]

# FHIR filter operators over the hierarchy: (the code system, the root code) -> predicate.
_HIERARCHY: dict[str, Callable[[CodeSystemIndex, str], Predicate]] = {
    "is-a": lambda cs, root: lambda c: cs.subsumes(root, c.code),
    "descendent-of": lambda cs, root: lambda c: c.code != root and cs.subsumes(root, c.code),
    "is-not-a": lambda cs, root: lambda c: not cs.subsumes(root, c.code),
    "generalizes": lambda cs, root: lambda c: cs.subsumes(c.code, root),
    "child-of": lambda cs, root: lambda c: root in c.parents,
    "descendent-leaf": lambda cs, root: (
        lambda c: c.code != root and cs.subsumes(root, c.code) and not c.children
    ),
}


def _regex(prop: str, value: str, where: str) -> Predicate:
    try:
        pattern = regex.compile(value)
    except regex.error:
        raise invalid(f"The regex '{value}' is not valid", where) from None
    return lambda c: any(_fullmatch(pattern, v, value, where) for v in _values(c, prop))


def _in(prop: str, value: str, negated: bool) -> Predicate:
    wanted = {v.strip() for v in value.split(",")}
    return lambda c: any(str(v) in wanted for v in _values(c, prop)) != negated


# FHIR filter operators on any property (code, display, a concept property): (property, value,
# where) -> predicate.
_PROPERTY: dict[str, Callable[[str, str, str], Predicate]] = {
    "regex": _regex,
    "=": lambda prop, value, _: lambda c: any(str(v) == value for v in _values(c, prop)),
    "in": lambda prop, value, _: _in(prop, value, negated=False),
    "not-in": lambda prop, value, _: _in(prop, value, negated=True),
    "exists": lambda prop, value, _: lambda c: bool(_values(c, prop)) == (value == "true"),
}


def _fullmatch(pattern: regex.Pattern[str], text: str, source: str, where: str) -> bool:
    """A regex filter match with a time limit: a hostile pattern ("(a+)+") must not hang."""
    try:
        return pattern.fullmatch(text, timeout=REGEX_TIMEOUT) is not None
    except TimeoutError:
        raise FhirError(
            "too-costly",
            f"The regex '{source}' takes too long to evaluate; use a simpler pattern",
            (where,),
        ) from None


def _values(c: Concept, prop: str) -> list[Any]:
    if prop in ("code", "concept"):
        return [c.code]
    if prop == "display":
        return [c.display] if c.display else []
    return [_text(v) for v in c.property_values(prop)]


def _text(value: Any) -> str:
    """A property value as filter text: FHIR writes booleans `true`/`false`, Codings by code."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return str(value.get("code", ""))
    return str(value)
