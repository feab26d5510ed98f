"""Operation parameters: declared once, used to parse requests, to advertise and to document.

An operation lists its `Param`s; `parse_query` and `parse_parameters` turn a GET query string or a
POST Parameters resource into `Args` keyed by the declared (R4) name, whatever alias the client
used. The guard helpers at the end state an operation's supported surface at a glance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from plugin.content.shape import COMPLEX, check, check_resource
from plugin.errors import invalid
from plugin.types import Resource

# FHIR primitive types a client may use interchangeably for a string-like parameter.
STRINGY = ("code", "string", "uri", "canonical", "url", "id", "oid", "uuid", "markdown")
_INT_KEYS = ("valueInteger", "valueUnsignedInt", "valuePositiveInt", "valueInteger64")
_STRING_KEYS = tuple("value" + t[0].upper() + t[1:] for t in STRINGY)


@dataclass(frozen=True)
class Param:
    """One declared operation parameter.

    `type` is a FHIR type name (`code`, `uri`, `boolean`, `integer`, `Coding`,
    `CodeableConcept`, `Resource`) or `part` for a parameter made of named parts.
    """

    name: str
    type: str
    doc: str
    max: int | None = 1
    aliases: tuple[str, ...] = ()
    parts: tuple[Param, ...] = ()
    use: str = "in"

    @property
    def names(self) -> tuple[str, ...]:
        """Every wire name accepted for this parameter."""
        return (self.name, *self.aliases)


@dataclass(slots=True)
class Args:
    """Parsed parameters: declared name -> values, and which wire name was used."""

    values: dict[str, list[Any]] = field(default_factory=dict)
    spelled: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def get(self, name: str, default: Any = None) -> Any:
        """The single value of `name`, or `default`."""
        v = self.values.get(name)
        return v[0] if v else default

    def all(self, name: str) -> list[Any]:
        """Every value of `name` (repeating parameters)."""
        return self.values.get(name, [])

    def has(self, name: str) -> bool:
        """True when the request gave `name` (under any alias)."""
        # A name has a bucket only once a value was added to it (see `add`).
        return name in self.values

    def add(self, param: Param, wire_name: str, value: Any) -> None:
        """Record a value, enforcing the declared cardinality."""
        bucket = self.values.setdefault(param.name, [])
        if param.max is not None and len(bucket) >= param.max:
            raise invalid(
                f"Parameter '{wire_name}' may appear at most {param.max} time(s)", wire_name
            )
        bucket.append(value)
        self.spelled.setdefault(param.name, wire_name)


# Wire name -> Param per declaration tuple. Declarations are module constants, so the table is
# built once per tuple; holding the tuple keeps its id from being reused. Bounded in case a
# caller builds tuples on the fly.
_TABLES: dict[int, tuple[Sequence[Param], dict[str, Param]]] = {}


def _lookup(params: Sequence[Param]) -> dict[str, Param]:
    known = _TABLES.get(id(params))
    if known is not None and known[0] is params:
        return known[1]
    table = {n: p for p in params for n in p.names}
    if isinstance(params, tuple) and len(_TABLES) < 256:
        _TABLES[id(params)] = (params, table)
    return table


def _from_text(param: Param, wire: str, text: str) -> Any:
    """Convert a query-string value to the declared type."""
    if param.type in STRINGY:
        return text
    if param.type == "boolean":
        if text in ("true", "false"):
            return text == "true"
        raise invalid(f"Parameter '{wire}' must be 'true' or 'false', not '{text}'", wire)
    if param.type == "integer":
        try:
            return int(text)
        except ValueError:
            raise invalid(f"Parameter '{wire}' must be an integer, not '{text}'", wire) from None
    if param.type == "Coding":
        # The token form `system|code` that tx.fhir.org and the HL7 validator accept in a URL.
        system, sep, code = text.rpartition("|")
        if not sep or not code:
            raise invalid(f"Parameter '{wire}' in a URL must be written system|code", wire)
        return {"system": system, "code": code} if system else {"code": code}
    raise invalid(f"Parameter '{wire}' ({param.type}) cannot be given in a URL; use POST", wire)


def parse_query(params: Sequence[Param], items: Iterable[tuple[str, str]]) -> Args:
    """Parse GET query parameters against the declarations (unknown names are ignored)."""
    table = _lookup(params)
    args = Args()
    for wire, text in items:
        param = table.get(wire)
        if param is None:
            args.ignored.append(wire)
            continue
        args.add(param, wire, _from_text(param, wire, text))
    return args


# The escapes of ASCII punctuation that displays and URIs carry in a URL. Each always stands for
# the one character (an ASCII byte is never part of a multi-byte UTF-8 sequence).
_ASCII_ESCAPES = tuple((f"%{ord(c):02X}", c) for c in " !\"#$&'()*,/:;<=>?@[]^`{|}~") + tuple(
    (f"%{ord(c):02x}", c) for c in "*,/:;<=>?@[]^`{|}~"
)


def unquote(text: str) -> str:
    """A query-string value decoded exactly as `urllib.parse.unquote_plus` decodes it.

    Most values are plain (URIs and codes) and are returned as they are; the escapes of ASCII
    punctuation are replaced in place (a few C-speed scans); anything else still escaped
    (`%25`, non-ASCII UTF-8, a malformed escape) is left to `unquote_plus` from the start.
    """
    if "%" not in text:
        return text.replace("+", " ") if "+" in text else text
    out = text.replace("+", " ") if "+" in text else text
    for escape, char in _ASCII_ESCAPES:
        if escape in out:
            out = out.replace(escape, char)
            if "%" not in out:
                return out
    return unquote_plus(text)


def parse_query_string(params: Sequence[Param], query: str) -> Args:
    """Parse a raw query string (`a=1&b=2`) straight into `Args` against the declarations.

    Same reading as `parse_qsl(query, keep_blank_values=True)` (RFC 3986 form encoding: `&`
    separates items, `+` is a space, `%XX` escapes UTF-8), without the intermediate list.
    """
    table = _lookup(params)
    args = Args()
    for item in query.split("&"):
        if not item:
            continue
        wire, _, text = item.partition("=")
        wire = unquote(wire)
        param = table.get(wire)
        if param is None:
            args.ignored.append(wire)
            continue
        args.add(param, wire, _from_text(param, wire, unquote(text)))
    return args


def _resource_value(wire: str, p: Mapping[str, Any], path: str) -> Resource:
    """A `resource` parameter: a resource whose shape is checked."""
    res = p.get("resource")
    if not isinstance(res, dict) or not isinstance(res.get("resourceType"), str):
        raise invalid(f"Parameter '{wire}' must carry a resource", path)
    try:
        check_resource(res)
    except ValueError as exc:
        raise invalid(f"Parameter '{wire}': {exc}", path) from None
    return res


_WRONG_TYPE = object()


def _primitive(param: Param, key: str, value: Any) -> Any:
    """The value of a primitive-typed parameter, or `_WRONG_TYPE`."""
    if param.type in STRINGY:
        return value if key in _STRING_KEYS and isinstance(value, str) else _WRONG_TYPE
    if param.type == "boolean":
        if key == "valueBoolean" and isinstance(value, bool):
            return value
        # Tolerant reader: some clients send the JSON string "true"/"false".
        if key == "valueBoolean" and value in ("true", "false"):
            return value == "true"
        return _WRONG_TYPE
    if param.type == "integer":
        ok = key in _INT_KEYS and isinstance(value, int) and not isinstance(value, bool)
        return value if ok else _WRONG_TYPE
    return _WRONG_TYPE


def _value(param: Param, wire: str, p: Mapping[str, Any], path: str) -> Any:
    """The value of one Parameters.parameter, checked against the declared type."""
    if param.type == "part":
        parts = p.get("part")
        if not isinstance(parts, list):
            raise invalid(f"Parameter '{wire}' must have parts", path)
        return parse_parts(param.parts, parts, path)
    if param.type == "Resource":
        return _resource_value(wire, p, path)
    keys = [k for k in p if k.startswith("value")]
    if len(keys) != 1:
        raise invalid(f"Parameter '{wire}' must have exactly one value[x]", path)
    key = keys[0]
    value = p[key]
    if param.type == "*":
        # An open value[x] (R5 dependency.value): keep the type with the value.
        return (key[5:], value)
    if param.type in (*STRINGY, "boolean", "integer"):
        primitive = _primitive(param, key, value)
        if primitive is not _WRONG_TYPE:
            return primitive
    elif key == "value" + param.type and isinstance(value, dict):
        try:
            check(value, COMPLEX.get(param.type, {}), f"{path}.{key}")
        except ValueError as exc:
            raise invalid(f"Parameter '{wire}': {exc}", path) from None
        return value
    raise invalid(f"Parameter '{wire}' must be of type {param.type}, not {key}", path)


def parse_parts(params: Sequence[Param], parts: list[Any], path: str) -> Args:
    """Parse a list of `parameter` (or `part`) entries."""
    table = _lookup(params)
    args = Args()
    for i, p in enumerate(parts):
        where = f"{path}[{i}]"
        if not isinstance(p, dict) or not isinstance(p.get("name"), str):
            raise invalid("Each parameter must be an object with a name", where)
        wire = p["name"]
        param = table.get(wire)
        if param is None:
            args.ignored.append(wire)
            continue
        args.add(param, wire, _value(param, wire, p, where))
    return args


def parse_parameters(params: Sequence[Param], body: Any) -> Args:
    """Parse a POSTed Parameters resource against the declarations."""
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        rtype = body.get("resourceType") if isinstance(body, dict) else type(body).__name__
        raise invalid(f"The request body must be a Parameters resource, not {rtype}", "Parameters")
    parameter = body.get("parameter", [])
    if not isinstance(parameter, list):
        raise invalid("Parameters.parameter must be an array", "Parameters.parameter")
    return parse_parts(params, parameter, "Parameters.parameter")


# --- guards: the supported surface of an operation, stated at its top ---------------------------


def mutually_exclusive(args: Args, *names: str) -> None:
    """At most one of `names` may be given."""
    given = [args.spelled.get(n, n) for n in names if args.has(n)]
    if len(given) > 1:
        raise invalid(f"Parameters {' and '.join(given)} cannot be used together", *given)


def requires(args: Args, name: str, needed: str) -> None:
    """When `name` is given, `needed` must be too."""
    if args.has(name) and not args.has(needed):
        wire = args.spelled.get(name, name)
        raise invalid(f"Parameter '{wire}' requires '{needed}'", wire)


def coding_of(value: Resource, where: str) -> tuple[str | None, str, str | None, str | None]:
    """(system, code, display, version) of a Coding value; 400 when it has no code."""
    code = value.get("code")
    if not isinstance(code, str) or not code:
        raise invalid("A Coding must have a code", where)
    system = value.get("system")
    if system is not None and not isinstance(system, str):
        raise invalid("Coding.system must be a string", where)
    display, version = value.get("display"), value.get("version")
    return (
        system,
        code,
        display if isinstance(display, str) else None,
        version if isinstance(version, str) else None,
    )
