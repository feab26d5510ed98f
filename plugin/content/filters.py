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
    if prop in ("concept", "code") and op in (
        "is-a",
        "descendent-of",
        "is-not-a",
        "generalizes",
        "child-of",
        "descendent-leaf",
    ):
        root = normalise_code(cs.url, value)
        if op == "is-a":
            return lambda c: cs.subsumes(root, c.code)
        if op == "descendent-of":
            return lambda c: c.code != root and cs.subsumes(root, c.code)
        if op == "is-not-a":
            return lambda c: not cs.subsumes(root, c.code)
        if op == "generalizes":
            return lambda c: cs.subsumes(c.code, root)
        if op == "child-of":
            return lambda c: root in c.parents
        return lambda c: c.code != root and cs.subsumes(root, c.code) and not c.children
    if op == "regex":
        try:
            pattern = regex.compile(value)
        except regex.error:
            raise invalid(f"The regex '{value}' is not valid", where) from None
        return lambda c: any(_fullmatch(pattern, v, value, where) for v in _values(c, prop))
    if op == "=":
        return lambda c: any(str(v) == value for v in _values(c, prop))
    if op in ("in", "not-in"):
        wanted = {v.strip() for v in value.split(",")}
        if op == "in":
            return lambda c: any(str(v) in wanted for v in _values(c, prop))
        return lambda c: not any(str(v) in wanted for v in _values(c, prop))
    if op == "exists":
        want = value == "true"
        return lambda c: bool(_values(c, prop)) == want
    raise FhirError(
        "not-supported",
        f"The filter operator '{op}' is not supported for property '{prop}'",
        (where,),
    )


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
