"""The Python API: the terminology operations as plain functions with typed results.

Each call runs the same operation code as the HTTP service (same parameter checks, same engine),
so an answer here equals the HTTP answer; only the rendering differs: frozen dataclasses instead
of FHIR Parameters. Bad input raises `FhirError` (its `outcome()` is the OperationOutcome the
HTTP service would send); "no match" and "unknown code" are results, not exceptions.

The module-level functions use the built-in content (every registered content pack), loaded once
per process; `Terminology(store)` works over any other content. Both are safe to call from many
threads: content is immutable after loading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from plugin.content.loader import build_store
from plugin.content.store import Store
from plugin.ops import expand as expand_op
from plugin.ops import lookup as lookup_op
from plugin.ops import translate as translate_op
from plugin.ops import validate_code as validate_op
from plugin.ops.operation import Context
from plugin.ops.params import Param, parse_parameters
from plugin.types import Coding, Resource
from plugin.types import Match as EngineMatch

Code = Coding
"""A coded value: system, code and, when known, display and system version (the engine's own
Coding type: frozen, hashable, cheap)."""


@dataclass(frozen=True, slots=True)
class Match:
    """One $translate match: the main code, its companions in coding order, and why."""

    equivalence: str
    """FHIR R4 ConceptMap equivalence (`wider`, `narrower`, `equivalent`, `unmatched`...)."""
    target: Code | None
    """The answer: the main code (None for an `unmatched` entry)."""
    additional: tuple[Code, ...]
    """Companion codes to record after the main code (ConceptMap `target.product`)."""
    source: Code
    """The input coding this match answers."""
    origin_map: str
    """`url|version` of the ConceptMap the match came from."""
    conditions: tuple[str, ...] = ()
    """The `dependsOn` conditions the match relied on, as `element = system|value`."""
    comment: str | None = None

    @property
    def codes(self) -> tuple[Code, ...]:
        """Main code then companions: what a coder records, in order."""
        return ((self.target,) if self.target else ()) + self.additional


@dataclass(frozen=True, slots=True)
class Translation:
    """The answer of $translate: `result` is true when at least one match is usable."""

    result: bool
    matches: tuple[Match, ...]
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Expansion:
    """The codes of a ValueSet ($expand), after filtering and paging."""

    url: str | None
    version: str | None
    total: int
    codes: tuple[Code, ...]


@dataclass(frozen=True, slots=True)
class Validation:
    """The answer of $validate-code: `result` false carries the reason in `message`.

    `warnings` holds what a valid answer still says (a code a fragment does not list, an
    inactive or deprecated concept), from the answer's `issues`.
    """

    result: bool
    message: str | None
    code: Code | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Property:
    """One concept property from $lookup (`value` is a str, bool, int or Code)."""

    code: str
    value: object
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Lookup:
    """The answer of $lookup: the concept's display, designations and properties."""

    name: str
    version: str | None
    display: str | None
    designations: tuple[tuple[str | None, str], ...]
    """(language, value) pairs."""
    properties: tuple[Property, ...]


def _p(name: str, vtype: str, value: Any) -> Resource:
    return {"name": name, f"value{vtype}": value}


def _args(params: Sequence[Param], items: Iterable[Resource | None]) -> Any:
    body = {"resourceType": "Parameters", "parameter": [i for i in items if i is not None]}
    return parse_parameters(params, body)


def _match(m: EngineMatch) -> Match:
    conditions = tuple(f"{d.element} = {d.system or ''}|{d.value}" for d in m.depends_on)
    return Match(
        equivalence=m.equivalence,
        target=m.concept,
        additional=tuple(p.coding for p in m.products),
        source=m.source,
        origin_map=m.origin_map,
        conditions=conditions,
        comment=m.comment,
    )


def _coding_json(c: Code | Mapping[str, str]) -> Resource:
    if isinstance(c, Code):
        out = {"system": c.system, "code": c.code}
        if c.version:
            out["version"] = c.version
        return out
    return dict(c)


def _value(value: tuple[str, object]) -> object:
    """A property value for Python: a Coding becomes a `Code`, other values stay as they are."""
    vtype, v = value
    if vtype == "Coding" and isinstance(v, dict):
        return Code(v.get("system", ""), v.get("code", ""), v.get("display"), v.get("version"))
    return v


class Terminology:
    """The terminology operations over one store of content."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @classmethod
    def from_content(cls, paths: Iterable[Path] = (), *, packs: bool = True) -> Terminology:
        """Load the registered content packs (unless `packs=False`) and `paths` (files,
        folders or FHIR packages)."""
        store, _ = build_store(paths, packs=packs)
        return cls(store)

    def translate(  # noqa: PLR0913 (keyword-only $translate inputs)
        self,
        system: str,
        code: str,
        *,
        target_system: str | None = None,
        dependencies: Mapping[str, Code] | None = None,
        reverse: bool = False,
        url: str | None = None,
    ) -> Translation:
        """ConceptMap/$translate of `system|code`.

        FHIR: the map is chosen by `url`, else by the source (target, when `reverse`) system;
        `dependencies` are the R4 `dependency` inputs (element URI -> value) that `dependsOn`
        conditions are matched against; no match is `result=False` with a message.
        """
        deps = [
            {
                "name": "dependency",
                "part": [
                    _p("element", "Uri", element),
                    _p("concept", "CodeableConcept", {"coding": [_coding_json(value)]}),
                ],
            }
            for element, value in (dependencies or {}).items()
        ]
        args = _args(
            translate_op.PARAMS,
            [
                _p("url", "Uri", url) if url else None,
                _p("system", "Uri", system),
                _p("code", "Code", code),
                _p("targetsystem", "Uri", target_system) if target_system else None,
                _p("reverse", "Boolean", True) if reverse else None,
                *deps,
            ],
        )
        outcome = translate_op.evaluate(Context(args, self.store, "ConceptMap"))
        return Translation(
            outcome.result, tuple(_match(m) for m in outcome.matches), outcome.message
        )

    def expand(self, url: str, *, filter: str | None = None, count: int | None = None) -> Expansion:
        """ValueSet/$expand of the value set `url` (optionally text-filtered and limited)."""
        args = _args(
            expand_op.PARAMS,
            [
                _p("url", "Uri", url),
                _p("filter", "String", filter) if filter else None,
                _p("count", "Integer", count) if count is not None else None,
            ],
        )
        found = expand_op.evaluate(Context(args, self.store, "ValueSet"))
        vs = found.value_set
        return Expansion(vs.get("url"), vs.get("version"), found.total, found.codes)

    def validate_code(
        self,
        system: str,
        code: str,
        *,
        display: str | None = None,
        value_set: str | None = None,
    ) -> Validation:
        """$validate-code: `code` in CodeSystem `system`, or in ValueSet `value_set` if given.

        FHIR: an unknown code or a wrong display is `result=False` with a message, not an error.
        """
        params: Sequence[Param]
        if value_set is None:
            params, rtype = validate_op.CS_PARAMS, "CodeSystem"
            evaluate = validate_op.evaluate_codesystem
            items = [_p("url", "Uri", system)]
        else:
            params, rtype = validate_op.VS_PARAMS, "ValueSet"
            evaluate = validate_op.evaluate_valueset
            items = [_p("url", "Uri", value_set), _p("system", "Uri", system)]
        items += [_p("code", "Code", code)]
        if display is not None:
            items.append(_p("display", "String", display))
        found = evaluate(Context(_args(params, items), self.store, rtype))
        code_ = None
        if found.code is not None:
            code_ = Code(found.system or "", found.code, found.display, found.version)
        warnings = tuple(i.text for i in found.issues if i.severity == "warning")
        return Validation(found.result, found.message, code_, warnings)

    def lookup(self, system: str, code: str, *, properties: Sequence[str] = ()) -> Lookup:
        """CodeSystem/$lookup: display, designations and properties (all, or those named).

        An unknown system or code raises `FhirError` (`not-found`), as $lookup does on HTTP.
        """
        items = [_p("system", "Uri", system), _p("code", "Code", code)]
        items += [_p("property", "Code", p) for p in properties]
        found = lookup_op.evaluate(
            Context(_args(lookup_op.PARAMS, items), self.store, "CodeSystem")
        )
        return Lookup(
            found.name,
            found.version,
            found.display,
            tuple((d.language, d.value) for d in found.designations),
            tuple(
                Property(p.code, _value(p.values[0]) if p.values else None, p.description)
                for p in found.properties
            ),
        )


@lru_cache(maxsize=1)
def default() -> Terminology:
    """The process-wide service over the registered content packs (loaded on first use)."""
    return Terminology.from_content()


def translate(  # noqa: PLR0913 (keyword-only $translate inputs)
    system: str,
    code: str,
    *,
    target_system: str | None = None,
    dependencies: Mapping[str, Code] | None = None,
    reverse: bool = False,
    url: str | None = None,
) -> Translation:
    """ConceptMap/$translate over the built-in content (see `Terminology.translate`)."""
    return default().translate(
        system,
        code,
        target_system=target_system,
        dependencies=dependencies,
        reverse=reverse,
        url=url,
    )


def expand(url: str, *, filter: str | None = None, count: int | None = None) -> Expansion:
    """ValueSet/$expand over the built-in content (see `Terminology.expand`)."""
    return default().expand(url, filter=filter, count=count)


def validate_code(
    system: str, code: str, *, display: str | None = None, value_set: str | None = None
) -> Validation:
    """$validate-code over the built-in content (see `Terminology.validate_code`)."""
    return default().validate_code(system, code, display=display, value_set=value_set)


def lookup(system: str, code: str, *, properties: Sequence[str] = ()) -> Lookup:
    """CodeSystem/$lookup over the built-in content (see `Terminology.lookup`)."""
    return default().lookup(system, code, properties=properties)
