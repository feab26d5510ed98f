"""ConceptMap index and the generic translation engine.

Reads R4 and R5 ConceptMaps alike; results are version-neutral data (`Match`) whose relationship
is kept as the R4 equivalence code, the richer of the two vocabularies; the renderers convert.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from plugin.content.systems import canonical_system, normalise_code
from plugin.types import R5_TO_R4, Coding, Dependency, Product, Resource

# The project's extension on `ConceptMap.group` marking a companion group: its source codes are
# the values of a dependency (sub-extension `dependency`, the property URI) and its targets are
# additional codes that follow the main code when that dependency is supplied (sub-extension
# `product`, the product property they take). An engine that ignores the mark still reads each
# target as an unconditional mapping of the dependency value, so no conditional target can be
# taken for an alternative main code.
COMPANION_GROUP = "https://w3id.org/nice-tx/fhir/StructureDefinition/companion-group"
# Equivalences that do not make a translation succeed.
NEGATIVE = frozenset({"unmatched", "disjoint"})


def canonical_coding(
    system: str, code: str, display: str | None = None, version: str | None = None
) -> Coding:
    """A Coding in canonical form: system aliases resolved, code form normalised (J127 -> J12.7)."""
    canon = canonical_system(system)
    return Coding(canon, normalise_code(canon, code), display, version)


@dataclass(frozen=True, slots=True)
class Target:
    """One `element.target`."""

    code: str | None
    display: str | None
    equivalence: str
    products: tuple[Product, ...] = ()
    depends_on: tuple[Dependency, ...] = ()
    comment: str | None = None
    # The answer side as a Coding of the group's target system (built once, at load time).
    concept: Coding | None = None
    # `depends_on` in comparable form (derived, see `condition`).
    conditions: tuple[Condition, ...] = field(default=(), init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "conditions", tuple(condition(d) for d in self.depends_on))


@dataclass(slots=True)
class Group:
    """One ConceptMap `group` with its elements keyed by canonical source code."""

    source: str | None
    source_version: str | None
    target: str | None
    target_version: str | None
    elements: dict[str, tuple[str | None, list[Target]]] = field(default_factory=dict)
    unmapped: Resource | None = None
    # Set on a companion group (see `COMPANION_GROUP`): the dependency property whose values
    # the group maps, and the product property its codes take in the main code's sequence.
    companion: Companion | None = None


@dataclass(frozen=True, slots=True)
class Companion:
    """What makes a group a companion group: `dependency` values map to `product` codes."""

    dependency: str
    product: str


def _equivalence(t: Resource, default: str = "equivalent") -> str:
    if isinstance(t.get("equivalence"), str):
        return str(t["equivalence"])
    rel = t.get("relationship")
    if isinstance(rel, str):
        return R5_TO_R4.get(rel, "relatedto")
    return default


def _dependency(d: Resource) -> Dependency:
    # R4: property/system/value; R5: attribute/value[x] (valueCoding, valueCode, valueString...).
    element = d.get("property") or d.get("attribute")
    if isinstance(d.get("valueCoding"), dict):
        vc = d["valueCoding"]
        return Dependency(element, vc.get("system"), str(vc.get("code", "")))
    value = d.get("value")
    if value is None:
        value = next((v for k, v in d.items() if k.startswith("value")), "")
    return Dependency(element, d.get("system"), str(value))


def _product(p: Resource, default_system: str | None) -> Product:
    dep = _dependency(p)
    system = dep.system or default_system or ""
    return Product(dep.element or "", canonical_coding(system, dep.value, p.get("display")))


class ConceptMapIndex:
    """An indexed ConceptMap (R4 or R5 JSON)."""

    def __init__(self, resource: Resource) -> None:
        self.resource = resource
        self.url: str = resource.get("url", "")
        self.version: str | None = resource.get("version")
        self.source_scope: str | None = _first(
            resource, "sourceUri", "sourceCanonical", "sourceScopeUri", "sourceScopeCanonical"
        )
        self.target_scope: str | None = _first(
            resource, "targetUri", "targetCanonical", "targetScopeUri", "targetScopeCanonical"
        )
        self.groups: list[Group] = [self._group(g) for g in resource.get("group", [])]
        # `url|version` as the `originMap` output names it.
        self.origin = f"{self.url}|{self.version}" if self.version else self.url
        self._systems = (
            frozenset(g.source for g in self.groups if g.source),
            frozenset(g.target for g in self.groups if g.target),
        )

    def _group(self, g: Resource) -> Group:
        source = canonical_system(g["source"]) if isinstance(g.get("source"), str) else None
        target = canonical_system(g["target"]) if isinstance(g.get("target"), str) else None
        source_version, target_version = g.get("sourceVersion"), g.get("targetVersion")
        if source and "|" in source:
            source, source_version = source.split("|", 1)
        if target and "|" in target:
            target, target_version = target.split("|", 1)
        group = Group(source, source_version, target, target_version, unmapped=g.get("unmapped"))
        group.companion = _companion(g)
        for e in g.get("element", []):
            if not isinstance(e.get("code"), str):
                continue
            targets = []
            for t in e.get("target", []):
                code = normalise_code(target or "", t["code"]) if t.get("code") else None
                targets.append(
                    Target(
                        code=code,
                        display=t.get("display"),
                        equivalence=_equivalence(t),
                        products=tuple(_product(p, target) for p in t.get("product", [])),
                        depends_on=tuple(_dependency(d) for d in t.get("dependsOn", [])),
                        comment=t.get("comment"),
                        concept=(
                            Coding(target or "", code, t.get("display"), target_version)
                            if code
                            else None
                        ),
                    )
                )
            if e.get("noMap") is True and not targets:
                targets.append(Target(None, None, "unmatched"))
            code = normalise_code(source or "", e["code"])
            group.elements[code] = (e.get("display"), targets)
        return group

    def systems(self) -> tuple[frozenset[str], frozenset[str]]:
        """The source and target systems of the map's groups."""
        return self._systems

    @functools.cached_property
    def dependency_elements(self) -> dict[str, str]:
        """System -> dependency element, for each system whose codes are values of a dependency
        of the map: the source of a companion group (its values map to companion codes), and
        the system of every coded `dependsOn` condition. Worked out once per map."""
        out: dict[str, str] = {}
        for g in self.groups:
            if g.companion is not None and g.source:
                out.setdefault(g.source, g.companion.dependency)
            for _, targets in g.elements.values():
                for t in targets:
                    for d in t.depends_on:
                        if d.element and d.system:
                            out.setdefault(canonical_system(d.system), d.element)
        return out


def _companion(g: Resource) -> Companion | None:
    for ext in g.get("extension") or ():
        if not isinstance(ext, dict) or ext.get("url") != COMPANION_GROUP:
            continue
        parts = {
            e.get("url"): e.get("valueUri")
            for e in ext.get("extension") or ()
            if isinstance(e, dict) and isinstance(e.get("valueUri"), str)
        }
        if parts.get("dependency") and parts.get("product"):
            return Companion(str(parts["dependency"]), str(parts["product"]))
    return None


def _first(resource: Resource, *names: str) -> str | None:
    for n in names:
        v = resource.get(n)
        if isinstance(v, str):
            return v
    return None


# A dependency in comparable form: (element, canonical system, code in the system's canonical
# form, code as written). Conditions are keyed once at load time, a request's dependencies once
# per request, so matching is tuple comparison.
Condition = tuple[str | None, str | None, str, str]


def condition(d: Dependency) -> Condition:
    """The comparable form of a `dependsOn` condition or a `dependency` input."""
    system = canonical_system(d.system) if d.system else None
    return (d.element, system, normalise_code(system, d.value) if system else d.value, d.value)


def _meets(c: Condition, given: Condition) -> bool:
    """FHIR: a condition is met by a dependency on the same element with the same value (the
    same code of the same system, in any accepted form, when both name their system)."""
    if c[0] and given[0] and c[0] != given[0]:
        return False
    if c[1] and given[1]:
        return c[1] == given[1] and c[2] == given[2]
    return c[3] == given[3]


def most_specific(targets: list[Target], given: tuple[Dependency, ...]) -> list[Target]:
    """Targets that hold under `given`, dropping those a more specific target supersedes.

    A target whose `dependsOn` are all satisfied supersedes a target with the same code whose
    `dependsOn` are a strict subset: "J12.7 under ultrasound control" replaces plain "J12.7" when
    the ultrasound dependency is supplied, instead of both being returned.
    """
    if not given:
        # Nothing supplied: only unconditional targets hold, and none of them can be
        # superseded (that needs a holding target with more conditions).
        return [t for t in targets if not t.depends_on]
    keys = [condition(d) for d in given]
    # A target with `dependsOn` holds only if each condition is met by a dependency.
    holding = [t for t in targets if all(any(_meets(c, d) for d in keys) for c in t.conditions)]
    out = []
    for t in holding:
        conds = set(t.depends_on)
        if not any(o is not t and o.code == t.code and conds < set(o.depends_on) for o in holding):
            out.append(t)
    return out
