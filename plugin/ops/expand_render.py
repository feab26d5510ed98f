"""Shaping an expansion page: its entries, the requested properties and the hierarchy.

The layout follows what terminology clients (the HL7 validator, the IG publisher) expect from
tx.fhir.org: codes nest under their parents unless the client asks for a flat list, and a
`contains.version` is only stated when one system contributes codes from several versions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from plugin.config import MAX_DEPTH
from plugin.content.codesystem import DERIVED_URIS
from plugin.content.valueset import Item
from plugin.errors import FhirError
from plugin.outcomes import ExpansionEntry
from plugin.types import Resource

# Base of the FHIR-defined concept properties (http://hl7.org/fhir/concept-properties).
CONCEPT_PROPERTIES = "http://hl7.org/fhir/concept-properties"
# The properties that code system defines: a code system's property of one of these names,
# stated without a uri, means FHIR's. Any other property without a uri is declared without one.
FHIR_PROPERTIES = frozenset(
    {
        "inactive",
        "deprecated",
        "notSelectable",
        "parent",
        "child",
        "partOf",
        "synonym",
        "comment",
        "itemWeight",
        "status",
        "definition",
        "order",
        "label",
    }
)
PREFERRED_FOR_LANGUAGE = {
    "system": "http://terminology.hl7.org/CodeSystem/hl7TermMaintInfra",
    "code": "preferredForLanguage",
    "display": "Preferred For Language",
}


@dataclass
class Layout:
    """What the client asked to see of each code."""

    designations: bool = False
    properties: Sequence[str] = ()
    nested: bool = False
    language: str | None = None
    designation_languages: Sequence[str] = ()
    declared: dict[str, str] = field(default_factory=dict)


def can_nest(vs: Resource, excluded_nested: bool | None, text_filter: bool) -> bool:
    """True when the expansion may keep the code system hierarchy (FHIR excludeNested).

    Only whole-system or filter-based includes carry a hierarchy; enumerated concept lists,
    imported value sets and exclusions give a flat list, and so does a text filter over a whole
    system (the matches are a search result, not a sub-tree).
    """
    if excluded_nested:
        return False
    compose = vs.get("compose") or {}
    if compose.get("exclude"):
        return False
    includes = compose.get("include", [])
    for inc in includes:
        if "system" not in inc or inc.get("concept") or inc.get("valueSet"):
            return False
        if text_filter and not inc.get("filter"):
            return False
    return bool(includes)


def _property_entries(item: Item, layout: Layout) -> list[Resource]:
    out: list[Resource] = []
    concept = item.concept
    if concept is None:
        return out
    derived = {d["code"]: d for d in concept.derived} | {d["code"]: d for d in item.stated}
    for d in derived.values():
        out.append(d)
        layout.declared.setdefault(d["code"], DERIVED_URIS[d["code"]])
    names = [n for n in _requested(item, layout.properties) if n not in derived]
    # An inactive code always says why (its status), as clients show it to users.
    stated = "status" in names or "status" in derived
    if item.inactive and not stated and concept.property_values("status"):
        names.append("status")
    for name in names:
        if name == "definition":
            if concept.definition:
                out.append({"code": name, "valueString": concept.definition})
                layout.declared.setdefault(name, f"{CONCEPT_PROPERTIES}#definition")
            continue
        for p in concept.properties:
            if p.get("code") != name:
                continue
            values = {k: v for k, v in p.items() if k.startswith("value")}
            if values:
                out.append({"code": name, **values})
                uri = item.source.property_uris.get(name) if item.source else None
                fhir = f"{CONCEPT_PROPERTIES}#{name}" if name in FHIR_PROPERTIES else ""
                layout.declared.setdefault(name, uri or fhir)
    return out


def _requested(item: Item, wanted: Sequence[str]) -> list[str]:
    """The property codes asked for: by code, by the property's uri, or `*` for every property
    the concept has (ValueSet.compose.property allows all three), each once, in order."""
    by_uri = {u: c for c, u in item.source.property_uris.items()} if item.source else {}
    names: list[str] = []
    for want in wanted:
        if want == "*" and item.concept is not None:
            names += [
                str(p["code"]) for p in item.concept.properties if isinstance(p.get("code"), str)
            ]
        else:
            names.append(by_uri.get(want, want))
    return list(dict.fromkeys(names))


def lang_match(have: str, want: str) -> bool:
    """BCP-47 match: `de` matches `de-CH` and the reverse; case-insensitive."""
    h, w = have.lower(), want.lower()
    return h == w or h.startswith(w + "-") or w.startswith(h + "-")


def preferred_languages(value: str | None) -> tuple[list[str], bool]:
    """Languages of an Accept-Language style list, best first, and whether `*;q=0` forbids
    falling back to the code system's own display."""
    if not value:
        return [], False  # most requests name no language
    out: list[tuple[float, int, str]] = []
    hard = False
    for n, part in enumerate(value.split(",")):
        tag, _, rest = part.strip().partition(";")
        tag, rest = tag.strip(), rest.strip().replace(" ", "")
        q = 1.0
        if rest.startswith("q="):
            try:
                q = float(rest[2:])
            except ValueError:
                q = 1.0
        if tag == "*" and q == 0:
            hard = True
        if tag and q > 0:
            out.append((-q, n, tag))
    return [tag for _, _, tag in sorted(out)], hard


def _choose_display(item: Item, layout: Layout) -> tuple[str | None, Resource | None, bool]:
    """(display, designation used for it, base display demoted) for the client's languages."""
    concept = item.concept
    if not layout.language or concept is None:
        return item.display, None, False
    source_lang = item.source.language if item.source else None
    wanted, hard = preferred_languages(layout.language)
    for want in wanted:
        if want == "*" or (source_lang and lang_match(source_lang, want)):
            return item.display, None, False
        for d in concept.designations:
            lang = d.get("language")
            if isinstance(lang, str) and lang_match(lang, want) and isinstance(d.get("value"), str):
                return d["value"], d, True
    if hard and source_lang:
        return None, None, True
    return item.display, None, False


def _designations(
    item: Item, layout: Layout, used: Resource | None, demoted: bool
) -> list[Resource]:
    """The designations returned with a code; the base display becomes one when replaced."""
    assert item.concept is not None
    out: list[Resource] = []
    if demoted and item.display:
        base: Resource = {"value": item.display}
        if item.source and item.source.language:
            base = {"language": item.source.language, "use": PREFERRED_FOR_LANGUAGE, **base}
        out.append(base)
    for d in [*item.concept.designations, *item.designations]:
        if d is used:
            continue
        lang = d.get("language")
        # A designation parameter names a language exactly: `de` does not select `de-CH`.
        wanted = {w.lower() for w in layout.designation_languages}
        if wanted and not (isinstance(lang, str) and lang.lower() in wanted):
            continue
        out.append(d)
    return out


def entry(item: Item, layout: Layout, versioned: bool) -> ExpansionEntry:
    """One `expansion.contains` entry (without children)."""
    own = {e.get("url") for e in item.extensions}
    inherited = [
        e for e in (item.concept.rendering if item.concept else []) if e.get("url") not in own
    ]
    display, used, demoted = _choose_display(item, layout)
    designations = (
        _designations(item, layout, used, demoted) if layout.designations and item.concept else []
    )
    return ExpansionEntry(
        system=item.system,
        code=item.code,
        version=item.version if versioned else None,
        display=display,
        abstract=item.abstract,
        inactive=item.inactive,
        extensions=(*inherited, *item.extensions),
        designations=tuple(designations),
        properties=tuple(_property_entries(item, layout)),
    )


def contains(
    items: Sequence[Item], layout: Layout, used: Iterable[str] = ()
) -> list[ExpansionEntry]:
    """The `expansion.contains` list, nested under parents when the layout allows it.

    A code states its version when the expansion drew on several versions of its system
    (`used`: the used-codesystem canonicals), so the reader can tell them apart.
    """
    versions: dict[str, set[str | None]] = {}
    for i in items:
        versions.setdefault(i.system, set()).add(i.version)
    for canonical in used:
        system, _, version = canonical.partition("|")
        versions.setdefault(system, set()).add(version or None)
    multi = {s for s, v in versions.items() if len(v) > 1}
    rendered = [entry(i, layout, i.system in multi) for i in items]
    if not layout.nested:
        return rendered
    where = {(i.system, i.version, i.code): n for n, i in enumerate(items)}
    roots: list[int] = []
    children: dict[int, list[int]] = {}
    for n, item in enumerate(items):
        parent = None
        if item.concept is not None:
            for p in item.concept.parents:
                parent = where.get((item.system, item.version, p))
                if parent is not None:
                    break
        if parent is None or parent == n:
            roots.append(n)
        else:
            children.setdefault(parent, []).append(n)

    _check_depth(roots, children)

    def nest(n: int) -> ExpansionEntry:
        # Recursion bounded by _check_depth: at most MAX_DEPTH levels.
        below = tuple(nest(c) for c in children.get(n, ()))
        return replace(rendered[n], contains=below) if below else rendered[n]

    return [nest(n) for n in roots]


def _check_depth(roots: list[int], children: dict[int, list[int]]) -> None:
    """Refuse a nested expansion deeper than MAX_DEPTH levels (walked with a stack, never by
    recursion): the client can ask for the flat list (excludeNested) instead."""
    stack = [(r, 1) for r in roots]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FhirError(
                "too-costly",
                f"The hierarchy is deeper than the {MAX_DEPTH} levels this server nests; "
                "ask for a flat list with excludeNested=true",
                ("excludeNested",),
            )
        stack.extend((c, depth + 1) for c in children.get(node, ()))
