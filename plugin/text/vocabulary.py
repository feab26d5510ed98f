"""The recogniser's vocabulary, built from the loaded resources (data, not code).

Where everything comes from:

- **terms**: every CodeSystem designation whose `use` is from our `designation-use` system
  (`synonym`: fuzzy-matchable words; `abbreviation`: whole token only). A designation may carry
  the `designation-implies` extension: the term also states another value ("CRLM" names the
  liver as well as a metastasis).
- **facets**: in a CodeSystem whose top concepts are abstract (`notSelectable`), each top concept
  is a facet and its descendants are the values. A flat CodeSystem used as a ConceptMap
  `dependsOn` system is one facet whose values are passed to the engine as a `dependency` on
  that `dependsOn` element.
- **value flags**: boolean concept properties `in-scope` (within the guidance) and `not-stated`
  (says only that the facet applies; any stated value of the facet supersedes it).
- **procedures**: concepts of any CodeSystem whose properties are named after facets (the
  `technique`/`site`/`approach` properties of the procedure CodeSystem). A description is read as
  the most specific procedure whose facet properties it all states.
- **mapped**: (system, code) pairs that are a source element of some ConceptMap group: the
  recognised values the engine can translate by themselves (the lesion -> diagnosis group).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from plugin.config import CANONICAL_BASE
from plugin.content.codesystem import CodeSystemIndex
from plugin.content.conceptmap import ConceptMapIndex
from plugin.content.store import Store
from plugin.types import Coding, Dependency

DESIGNATION_USE = f"{CANONICAL_BASE}/CodeSystem/designation-use"
IMPLIES = f"{CANONICAL_BASE}/StructureDefinition/designation-implies"
NOT_STATED = "not-stated"
IN_SCOPE = "in-scope"
ANCHOR = "episode-anchor"

# Words: runs of letters or digits; everything else separates (hyphens too, so "ultrasound-guided"
# and "ultrasound guided" read the same). Linear time whatever the input.
WORD = re.compile(r"[^\W_]+")


def words_of(text: str) -> tuple[str, ...]:
    """The lower-case words of a term or text, as the matcher compares them."""
    return tuple(m.group().lower() for m in WORD.finditer(text))


@dataclass(frozen=True, slots=True)
class Facet:
    """A facet: `key` (the abstract concept's code, or the dependsOn element's last segment)."""

    key: str
    label: str
    element: str | None = None  # set when values travel as a ConceptMap dependency
    anchor: bool = False  # its mentions name the act of a procedure (`episode-anchor`)


@dataclass(frozen=True, slots=True)
class Value:
    """A facet value: a concept of a vocabulary CodeSystem."""

    system: str
    code: str
    display: str
    facet: str
    in_scope: bool | None = None
    not_stated: bool = False


@dataclass(frozen=True, slots=True)
class Term:
    """One designation: its words, the value it names, and the values it implies."""

    words: tuple[str, ...]
    value: Value
    written: str
    abbreviation: bool
    implies: tuple[Value, ...] = ()


@dataclass(frozen=True, slots=True)
class Procedure:
    """A concept defined by facet values (its facet-named properties)."""

    system: str
    code: str
    display: str
    requires: frozenset[tuple[str, str]]


@dataclass(slots=True)
class Vocabulary:
    """Everything the recogniser knows, indexed for matching."""

    facets: dict[str, Facet] = field(default_factory=dict)
    values: dict[tuple[str, str], Value] = field(default_factory=dict)
    # first word -> terms starting with it, longest first (longest match wins).
    by_first: dict[str, list[Term]] = field(default_factory=dict)
    # every word of every term -> True when it must be matched exactly (written in capitals or
    # part of an abbreviation); False when it may be matched approximately.
    words: dict[str, bool] = field(default_factory=dict)
    # two-letter words written in capitals ("US", "CT", "MR"): in mixed-case text they must be
    # written in capitals too, since "us" and "Mr" are ordinary words.
    caps_only: frozenset[str] = frozenset()
    procedures: list[Procedure] = field(default_factory=list)
    mapped: frozenset[tuple[str, str]] = frozenset()
    # facets the procedures are defined by (technique, site, approach)
    selection_facets: frozenset[str] = frozenset()
    # facets of what is treated: neither selection nor dependency, with in-scope values (lesion)
    lesion_facets: frozenset[str] = frozenset()
    # facets whose mentions name the act of a procedure (see `episode`)
    anchor_facets: frozenset[str] = frozenset()
    # Memo of the small immutable objects handed to the engine (a few per vocabulary).
    _codings: dict[tuple[str, str], Coding] = field(default_factory=dict)
    _deps: dict[tuple[str, str, str], Dependency] = field(default_factory=dict)
    _refined: dict[tuple[str, str], list[Procedure]] = field(default_factory=dict)

    def coding(self, system: str, code: str, display: str | None) -> Coding:
        """The (shared) Coding for a value or procedure."""
        found = self._codings.get((system, code))
        if found is None:
            found = self._codings[(system, code)] = Coding(system, code, display)
        return found

    def dependency(self, element: str, system: str, code: str) -> Dependency:
        """The (shared) Dependency for a dependency-facet value."""
        key = (element, system, code)
        found = self._deps.get(key)
        if found is None:
            found = self._deps[key] = Dependency(element, system, code)
        return found

    def refinements(self, procedure: Procedure) -> list[Procedure]:
        """Procedures of the same system that state everything `procedure` states, and more."""
        key = (procedure.system, procedure.code)
        found = self._refined.get(key)
        if found is None:
            found = self._refined[key] = [
                p
                for p in self.procedures
                if procedure.requires < p.requires and p.system == procedure.system
            ]
        return found

    def add_term(self, term: Term) -> None:
        """Index a term under its first word, keeping longer terms first."""
        bucket = self.by_first.setdefault(term.words[0], [])
        bucket.append(term)
        bucket.sort(key=lambda t: -len(t.words))
        capitals = term.abbreviation or term.written.isupper()
        for w, raw in zip(term.words, WORD.findall(term.written), strict=True):
            strict = capitals or (raw.isupper() and len(raw) > 1)
            self.words[w] = self.words.get(w, False) or strict


def _bool_property(concept_props: list[dict[str, Any]], name: str) -> bool | None:
    for p in concept_props:
        if p.get("code") == name and isinstance(p.get("valueBoolean"), bool):
            return bool(p["valueBoolean"])
    return None


def _dependency_elements(store: Store) -> dict[str, str]:
    """system -> dependency element, for every system whose values a ConceptMap depends on."""
    out: dict[str, str] = {}
    for entry in store.all("ConceptMap"):
        cm: ConceptMapIndex = entry.index
        for system, element in cm.dependency_elements.items():
            out.setdefault(system, element)
    return out


def _facet_of(cs: CodeSystemIndex, code: str) -> str | None:
    """The abstract top concept above `code`, or None for a flat CodeSystem."""
    concept = cs.concepts[code]
    if concept.not_selectable:
        return None
    tops = [a for a in cs.ancestors(code) if not cs.concepts[a].parents]
    abstract = [a for a in tops if cs.concepts[a].not_selectable]
    return abstract[0] if abstract else None


def _values(cs: CodeSystemIndex, elements: dict[str, str], vocab: Vocabulary) -> None:
    for code, concept in cs.concepts.items():
        if concept.not_selectable:
            continue
        key = _facet_of(cs, code)
        if key is not None:
            top = cs.concepts[key]
            anchor = _bool_property(top.properties, ANCHOR) is True
            facet = vocab.facets.setdefault(key, Facet(key, (top.display or key).lower()))
            if anchor and not facet.anchor:
                # a facet is the act's wherever one CodeSystem says so (facets are shared by key)
                vocab.facets[key] = Facet(facet.key, facet.label, facet.element, True)
        elif cs.url in elements:
            element = elements[cs.url]
            key = element.rstrip("/").rsplit("/", 1)[-1]
            label = (cs.title or cs.name or key).lower()
            vocab.facets.setdefault(key, Facet(key, label, element))
        else:
            continue
        vocab.values[(cs.url, code)] = Value(
            cs.url,
            code,
            concept.display or code,
            key,
            _bool_property(concept.properties, IN_SCOPE),
            _bool_property(concept.properties, NOT_STATED) is True,
        )


def _terms(cs: CodeSystemIndex, vocab: Vocabulary) -> None:
    for code, concept in cs.concepts.items():
        value = vocab.values.get((cs.url, code))
        if value is None:
            continue
        for d in concept.designations:
            use = d.get("use") or {}
            text = d.get("value")
            if use.get("system") != DESIGNATION_USE or not isinstance(text, str):
                continue
            words = words_of(text)
            if not words:
                continue
            implied = []
            for ext in d.get("extension", []):
                vc = ext.get("valueCoding") or {}
                other = vocab.values.get((str(vc.get("system")), str(vc.get("code"))))
                if ext.get("url") == IMPLIES and other is not None:
                    implied.append(other)
            abbreviation = use.get("code") == "abbreviation"
            vocab.add_term(Term(words, value, text, abbreviation, tuple(implied)))


def _procedures(store: Store, vocab: Vocabulary) -> None:
    facet_keys = set(vocab.facets)
    for entry in store.all("CodeSystem"):
        cs: CodeSystemIndex = entry.index
        for code, concept in cs.concepts.items():
            requires = frozenset(
                (p["code"], p["valueCode"])
                for p in concept.properties
                if p.get("code") in facet_keys and isinstance(p.get("valueCode"), str)
            )
            if requires:
                vocab.procedures.append(Procedure(cs.url, code, concept.display or code, requires))


def build(store: Store) -> Vocabulary:
    """Build the vocabulary from every CodeSystem and ConceptMap in `store`."""
    vocab = Vocabulary()
    elements = _dependency_elements(store)
    systems = [e.index for e in store.all("CodeSystem")]
    for cs in systems:
        _values(cs, elements, vocab)
    for cs in systems:
        _terms(cs, vocab)
    _procedures(store, vocab)
    vocab.caps_only = frozenset(
        w
        for terms in vocab.by_first.values()
        for t in terms
        for w in t.words
        if len(w) == 2 and w.isalpha() and vocab.words.get(w)
    )
    mapped: set[tuple[str, str]] = set()
    for entry in store.all("ConceptMap"):
        for g in entry.index.groups:
            # a companion group's codes are dependency values, not sources to translate
            if g.source and g.companion is None:
                mapped.update((g.source, code) for code in g.elements)
    vocab.mapped = frozenset(mapped)
    vocab.selection_facets = frozenset(f for p in vocab.procedures for f, _ in p.requires)
    vocab.lesion_facets = frozenset(
        v.facet
        for v in vocab.values.values()
        if v.in_scope
        and v.facet not in vocab.selection_facets
        and vocab.facets[v.facet].element is None
    )
    vocab.anchor_facets = frozenset(k for k, f in vocab.facets.items() if f.anchor)
    return vocab
