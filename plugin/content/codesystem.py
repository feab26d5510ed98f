"""CodeSystem index: concepts by code, hierarchy, properties and designations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plugin.content.systems import canonical_system, normalise_code
from plugin.types import Resource

# Concept properties that carry the hierarchy in a flat CodeSystem.
_PARENT_PROPS = frozenset({"parent", "subsumedBy"})
_CHILD_PROPS = frozenset({"child"})
_CONCEPT_PROPERTIES = "http://hl7.org/fhir/concept-properties"


_EXT = "http://hl7.org/fhir/StructureDefinition/"
# Concept extensions that state a FHIR concept property: extension -> (property, value type).
_PROPERTY_EXTENSIONS = {
    _EXT + "codesystem-conceptOrder": ("order", "valueDecimal"),
    _EXT + "codesystem-label": ("label", "valueString"),
    _EXT + "itemWeight": ("weight", "valueDecimal"),
    _EXT + "structuredefinition-standards-status": ("status", "valueCode"),
}
# The same, stated by a value set for one of its listed concepts.
VS_PROPERTY_EXTENSIONS = {
    _EXT + "valueset-conceptOrder": ("order", "valueDecimal"),
    _EXT + "valueset-label": ("label", "valueString"),
    _EXT + "itemWeight": ("weight", "valueDecimal"),
}
RENDERING_EXTENSIONS = frozenset({_EXT + "rendering-style", _EXT + "rendering-xhtml"})
# URIs of the derived properties, for expansion.property.
DERIVED_URIS = {
    "order": "http://hl7.org/fhir/concept-properties#order",
    "label": "http://hl7.org/fhir/concept-properties#label",
    "weight": "http://hl7.org/fhir/concept-properties#itemWeight",
    "status": "http://hl7.org/fhir/concept-properties#status",
}


def derived_properties(
    concept: Resource, table: dict[str, tuple[str, str]] | None = None
) -> list[Resource]:
    """Concept properties stated as extensions (`table`: extension url -> property, type)."""
    out: list[Resource] = []
    for ext in concept.get("extension", []):
        known = (table or _PROPERTY_EXTENSIONS).get(ext.get("url"))
        value = next((v for k, v in ext.items() if k.startswith("value")), None)
        if known and value is not None:
            out.append({"code": known[0], known[1]: value})
    return out


@dataclass(slots=True)
class Concept:
    """One concept of a CodeSystem with its hierarchy resolved."""

    code: str
    display: str | None
    definition: str | None
    designations: list[Resource]
    properties: list[Resource]
    parents: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    # Local property code -> FHIR concept-property name, from the system's property URIs.
    aliases: dict[str, str] = field(default_factory=dict)
    # Properties stated as FHIR extensions (conceptOrder, label, itemWeight, standards-status).
    derived: list[Resource] = field(default_factory=list)
    # Rendering hints (rendering-style, rendering-xhtml) passed on to clients as they are.
    rendering: list[Resource] = field(default_factory=list)

    def property_values(self, name: str) -> list[Any]:
        """Values of concept property `name` (or the local property with its FHIR URI)."""
        out: list[Any] = []
        for p in [*self.properties, *self.derived]:
            code = p.get("code")
            if code == name or self.aliases.get(str(code)) == name:
                out.extend(v for k, v in p.items() if k.startswith("value"))
        return out

    @property
    def inactive(self) -> bool:
        """True when the concept is retired/inactive (FHIR `status`/`inactive` properties)."""
        if True in self.property_values("inactive"):
            return True
        return any(v in ("retired", "inactive") for v in self.property_values("status"))

    @property
    def deprecated(self) -> bool:
        """True when the `status` property says `deprecated`."""
        return "deprecated" in self.property_values("status")

    @property
    def not_selectable(self) -> bool:
        """True for abstract concepts (`notSelectable` = true)."""
        return True in self.property_values("notSelectable")


class CodeSystemIndex:
    """An indexed CodeSystem resource. Codes are stored in canonical form for the system."""

    def __init__(self, resource: Resource) -> None:
        self.resource = resource
        self.url: str = canonical_system(resource.get("url", ""))
        self.version: str | None = resource.get("version")
        self.name: str | None = resource.get("name")
        self.title: str | None = resource.get("title")
        self.content: str = resource.get("content", "complete")
        self.case_sensitive: bool = resource.get("caseSensitive", True) is not False
        self.supplements: str | None = resource.get("supplements")
        self.language: str | None = resource.get("language")
        self.concepts: dict[str, Concept] = {}
        self._folded: dict[str, str] = {}
        self.roots: list[str] = []
        # Set when this index is a base system with supplements applied (request-scoped).
        self.applied_supplements: list[str] = []
        self.designation_sources: dict[tuple[str, str], str] = {}
        self.property_uris: dict[str, str] = {
            p["code"]: p["uri"]
            for p in resource.get("property", [])
            if isinstance(p.get("code"), str) and isinstance(p.get("uri"), str)
        }
        # A system may name a FHIR-defined property its own way ("not-selectable" with the URI
        # of notSelectable): the URI says what it means.
        self._aliases = {
            code: uri.split("#", 1)[1]
            for code, uri in self.property_uris.items()
            if uri.startswith(_CONCEPT_PROPERTIES + "#")
        }
        self._index(resource.get("concept", []), None)
        self._link_flat_hierarchy()

    def _key(self, code: str) -> str:
        return normalise_code(self.url, code)

    def _index(self, concepts: list[Resource], parent: str | None) -> None:
        for c in concepts:
            raw_code = c.get("code")
            if not isinstance(raw_code, str):
                continue
            code = self._key(raw_code)
            concept = Concept(
                code=code,
                display=c.get("display"),
                definition=c.get("definition"),
                designations=list(c.get("designation", [])),
                properties=list(c.get("property", [])),
                aliases=self._aliases,
                derived=derived_properties(c),
                rendering=[
                    e for e in c.get("extension", []) if e.get("url") in RENDERING_EXTENSIONS
                ],
            )
            self.concepts[code] = concept
            self._folded.setdefault(code.lower(), code)
            if parent is None:
                self.roots.append(code)
            else:
                concept.parents.append(parent)
                self.concepts[parent].children.append(code)
            self._index(c.get("concept", []), code)

    def _link_flat_hierarchy(self) -> None:
        # Flat CodeSystems state the hierarchy with parent/child properties instead of nesting.
        for concept in self.concepts.values():
            for p in concept.properties:
                value = p.get("valueCode")
                if not isinstance(value, str):
                    continue
                other = self.concepts.get(self._key(value))
                if other is None:
                    continue
                if p.get("code") in _PARENT_PROPS and other.code not in concept.parents:
                    concept.parents.append(other.code)
                    other.children.append(concept.code)
                elif p.get("code") in _CHILD_PROPS and other.code not in concept.children:
                    concept.children.append(other.code)
                    other.parents.append(concept.code)
        self.roots = [c for c in self.concepts if not self.concepts[c].parents]

    def get(self, code: str) -> Concept | None:
        """The concept for `code`, honouring the system's case sensitivity and code forms."""
        key = self._key(code)
        found = self.concepts.get(key)
        if found is None and not self.case_sensitive:
            canon = self._folded.get(key.lower())
            found = self.concepts.get(canon) if canon else None
        return found

    def ancestors(self, code: str) -> set[str]:
        """All codes above `code` in the hierarchy."""
        seen: set[str] = set()
        stack = list(self.concepts[code].parents) if code in self.concepts else []
        while stack:
            c = stack.pop()
            if c not in seen:
                seen.add(c)
                stack.extend(self.concepts[c].parents)
        return seen

    def subsumes(self, ancestor: str, code: str) -> bool:
        """True when `ancestor` is `code` or one of its ancestors (FHIR is-a)."""
        return ancestor == code or ancestor in self.ancestors(code)
