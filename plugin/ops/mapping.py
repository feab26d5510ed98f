"""The generic translation engine: which maps apply, forward and reverse lookup, `unmapped`.

Works on any loaded ConceptMap (R4 or R5 JSON) and answers version-neutral `Match`es; the
$translate operation (`plugin.ops.translate`) parses requests into a `TranslateRequest` and
renders the outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from plugin.content.conceptmap import NEGATIVE, ConceptMapIndex, Group, Target, most_specific
from plugin.content.store import Entry, Store
from plugin.content.systems import canonical_system, normalise_code
from plugin.outcomes import ASSERTING, TranslateOutcome
from plugin.text.explain import system_label
from plugin.types import R5_TO_R4, Coding, Dependency, Match, Product, Resource

if TYPE_CHECKING:
    from plugin.text import Reading


@dataclass
class TranslateRequest:
    """A $translate request after parsing and guard checks."""

    codings: list[Coding]
    dependencies: tuple[Dependency, ...] = ()
    reverse: bool = False
    echo_source: bool = False
    result_system: str | None = None
    source_scope: str | None = None
    target_scope: str | None = None
    maps: list[ConceptMapIndex] | None = None
    # Set when the input was a description: what the recogniser read, for the explanation.
    reading: Reading | None = None
    # Set when the description was longer than the recogniser reads: its full length.
    unread_from: int | None = None
    # State the coded sequence in the top-level message (requests in R4 form, as HAPI sends
    # them; R5-form requests get the answer shape of the reference server, without it).
    state_sequence: bool = False


def _candidate_maps(req: TranslateRequest, store: Store) -> list[ConceptMapIndex]:
    """Maps to try when no url was given: those with a group from the input system."""
    if req.maps is not None:
        return req.maps
    systems = {c.system for c in req.codings}
    if len(systems) == 1:
        entries: Iterable[Entry] = store.concept_maps_for(next(iter(systems)))
    else:
        # Only maps with a group from or to one of the systems can apply. One such map needs
        # no ordering; several keep the order `all` gives (a full scan, which a store layered
        # on FHIR core makes costly).
        found = {id(e): e for system in systems for e in store.concept_maps_for(system)}
        entries = list(found.values()) if len(found) <= 1 else store.all("ConceptMap")
    out = []
    for entry in entries:
        cm: ConceptMapIndex = entry.index
        if req.source_scope and cm.source_scope and cm.source_scope != req.source_scope:
            continue
        if req.target_scope and cm.target_scope and cm.target_scope != req.target_scope:
            continue
        sources, targets = cm.systems()
        if systems & (targets if req.reverse else sources):
            out.append(cm)
    return out


_REVERSE_RANK = {
    "equal": 0,
    "equivalent": 0,
    "narrower": 1,
    "specializes": 1,
    "wider": 3,
    "subsumes": 3,
    "unmatched": 4,
    "disjoint": 4,
}
_INVERSE = {
    "wider": "narrower",
    "narrower": "wider",
    "subsumes": "specializes",
    "specializes": "subsumes",
}


@dataclass(frozen=True, slots=True)
class _Companion:
    """A code a supplied dependency adds after the main code, from a companion group."""

    product: Product
    equivalence: str
    source: Coding
    dependency: Dependency
    comment: str | None


def _companions(cm: ConceptMapIndex, target: str | None, req: TranslateRequest) -> list[_Companion]:
    """The additional codes the request's dependencies bring, in the order they were supplied.

    A dependency whose property a companion group of the same map declares, and whose value that
    group maps to the same target system, adds the group's target codes to the sequence.
    """
    out: list[_Companion] = []
    for dep in req.dependencies:
        for g in cm.groups:
            c = g.companion
            if c is None or g.target != target or (dep.element and dep.element != c.dependency):
                continue
            if dep.system and canonical_system(dep.system) != g.source:
                continue
            found = g.elements.get(normalise_code(g.source or "", dep.value))
            if found is None:
                continue
            source = Coding(g.source or "", dep.value, found[0], g.source_version)
            for t in found[1]:
                if t.code and t.equivalence not in NEGATIVE:
                    coding = Coding(target or "", t.code, t.display, g.target_version)
                    product = Product(c.product, coding)
                    out.append(_Companion(product, t.equivalence, source, dep, t.comment))
    return out


def _with_companions(match: Match, companions: list[_Companion]) -> Match:
    """The match with the companions appended to its products (each code once)."""
    have = {p.coding for p in match.products}
    extra = [c for c in companions if c.product.coding not in have]
    if not extra:
        return match
    comment = " ".join(x for x in (match.comment, *(c.comment for c in extra)) if x) or None
    return Match(
        match.equivalence,
        match.concept,
        match.source,
        match.origin_map,
        (*match.products, *(c.product for c in extra)),
        (*match.depends_on, *(c.dependency for c in extra)),
        comment,
    )


def _certain(companions: list[_Companion], origin: str) -> list[Match]:
    """Companions asserted on their own: certain whichever candidate main code is chosen."""
    out: list[Match] = []
    seen: set[Coding] = set()
    for c in companions:
        if c.product.coding in seen:
            continue
        seen.add(c.product.coding)
        why = " ".join(x for x in (c.comment, "Certain whichever candidate is chosen.") if x)
        out.append(Match(c.equivalence, c.product.coding, c.source, origin, comment=why))
    return out


def _forward(cm: ConceptMapIndex, coding: Coding, req: TranslateRequest) -> list[Match]:
    out: list[Match] = []
    for g in cm.groups:
        if g.source != coding.system:
            continue
        if req.result_system and g.target != req.result_system:
            continue
        found = g.elements.get(coding.code)
        if found is None:
            out.extend(_unmapped(cm, g.unmapped, g.target, coding, req))
            continue
        out.extend(_group_matches(cm, g, coding, found[1], req))
    return out


def _group_matches(
    cm: ConceptMapIndex, g: Group, coding: Coding, targets: list[Target], req: TranslateRequest
) -> list[Match]:
    """One group's matches for a source code, each with the companions its dependencies add.

    When every match is a candidate (none asserted: the source is less specific than each
    target), the companions are also asserted on their own after the candidates, because they
    hold whichever candidate is chosen; coded input and a description then give the same codes.
    """
    companions = _companions(cm, g.target, req) if g.companion is None else []
    out: list[Match] = []
    for t in most_specific(targets, req.dependencies):
        concept = t.concept
        m = Match(t.equivalence, concept, coding, cm.origin, t.products, t.depends_on, t.comment)
        out.append(_with_companions(m, companions) if concept else m)
    if companions and out and not any(m.equivalence in ASSERTING for m in out):
        out.extend(_certain(companions, cm.origin))
    return out


def _indexed(req: TranslateRequest, store: Store) -> list[Match] | None:
    """Forward matches of one coding read from the store's index; None when it cannot say.

    Same answer as asking every candidate map (`_candidate_maps` + `_forward`): the index lists
    the same groups in the same order. A request that names its maps or scopes, a reverse, or
    several codings go the general way.
    """
    if req.reverse or req.maps is not None or len(req.codings) != 1:
        return None
    if req.source_scope or req.target_scope:
        return None
    coding = req.codings[0]
    hits = store.forward(coding.system, coding.code, req.result_system)
    if not hits:
        return None
    out: list[Match] = []
    for cm, g, targets in hits:
        out.extend(_group_matches(cm, g, coding, targets, req))
    return out


def _unmapped(
    cm: ConceptMapIndex,
    unmapped: Resource | None,
    target: str | None,
    coding: Coding,
    req: TranslateRequest,
) -> list[Match]:
    """FHIR group.unmapped: what to answer for a source code the group does not list."""
    if not unmapped:
        return []
    mode = unmapped.get("mode")
    rel = unmapped.get("equivalence") or unmapped.get("relationship")
    equivalence = R5_TO_R4.get(rel, rel) if isinstance(rel, str) else None
    if mode in ("provided", "use-source-code"):
        concept = Coding(target or coding.system, coding.code, coding.display)
        return [Match(equivalence or "equal", concept, coding, cm.origin)]
    if mode == "fixed" and isinstance(unmapped.get("code"), str):
        concept = Coding(target or "", unmapped["code"], unmapped.get("display"))
        return [Match(equivalence or "relatedto", concept, coding, cm.origin)]
    return []


def _reverse(cm: ConceptMapIndex, coding: Coding, req: TranslateRequest) -> list[Match]:
    out: list[Match] = []
    seen: set[tuple[str, str, str]] = set()
    for g in cm.groups:
        if g.target != coding.system:
            continue
        if req.result_system and g.source != req.result_system:
            continue
        for code, (display, targets) in g.elements.items():
            for t in targets:
                if t.code != coding.code or t.depends_on:
                    continue
                equivalence = _INVERSE.get(t.equivalence, t.equivalence)
                key = (g.source or "", code, equivalence)
                if key in seen:
                    continue
                seen.add(key)
                source_side = Coding(g.source or "", code, display, g.source_version)
                out.append(Match(equivalence, source_side, coding, cm.origin))
    # Most specific sources first: a reverse lookup answers "which concept is this code for?"
    out.sort(key=lambda m: _REVERSE_RANK.get(m.equivalence, 2))
    return out


def _as_dependency(coding: Coding, elements: dict[str, str], store: Store) -> Dependency | None:
    """The coding read as a `dependsOn` value, when its system is one the map's conditions use
    and the code is a value there (named by a condition, or a concept of that CodeSystem)."""
    element = elements.get(coding.system)
    if element is None:
        return None
    entry = store.resolve("CodeSystem", coding.system)
    index = getattr(entry, "index", None) if entry is not None else None
    known = index is not None and index.get(coding.code) is not None
    return Dependency(element, coding.system, coding.code) if known else None


def codings_as_dependencies(
    req: TranslateRequest, maps: list[ConceptMapIndex], store: Store
) -> TranslateRequest:
    """Read the codings of a CodeableConcept that qualify the others as dependencies.

    HAPI's remote terminology client (and any client limited to R4's `codeableConcept`) cannot
    send `dependency`; it can send several codings. A coding whose system holds the values of a
    map's dependency (the source of a companion group, or of a `dependsOn` value: an
    image-control method beside the procedure) is that dependency, not a concept to translate
    on its own; the other codings are translated under it, so its companion code follows their
    main code in one sequence. Only forward requests with at least one other coding are read
    this way.
    """
    if req.reverse or len(req.codings) < 2:
        return req
    elements: dict[str, str] = {}
    for cm in maps:
        for system, element in cm.dependency_elements.items():
            elements.setdefault(system, element)
    if not elements:
        return req
    rest: list[Coding] = []
    deps: list[Dependency] = []
    for c in req.codings:
        dep = _as_dependency(c, elements, store)
        if dep is None:
            rest.append(c)
        else:
            deps.append(dep)
    if not deps or not rest:
        return req
    given = {d.element for d in req.dependencies}
    extra = tuple(d for d in deps if d.element not in given)  # a sent dependency wins
    return replace(req, codings=rest, dependencies=req.dependencies + extra)


def _code_list(m: Match) -> list[str]:
    main = [m.concept.code] if m.concept is not None else []
    return main + [p.coding.code for p in m.products]


def sequence_message(matches: list[Match], label: Callable[[str], str]) -> str | None:
    """One sentence stating every code of the answer, in coding order, for clients that read
    only `result`, `message` and each match's `concept` (HAPI's remote terminology client).

    Asserted matches form the coded sequence (main code then its companions, which are recorded
    with it, not chosen between) and their map comments (advice) follow; candidate matches
    (narrower, inexact, ...) are alternatives, none asserted. Negative matches are not named.
    """
    coded: dict[str, list[str]] = {}
    companions: list[str] = []
    advice: list[str] = []
    options: dict[str, list[str]] = {}
    for m in matches:
        if m.concept is None or m.equivalence in NEGATIVE:
            continue
        if m.equivalence in ASSERTING:
            coded.setdefault(m.concept.system, []).extend(_code_list(m))
            companions += [f"{p.coding.code} with {m.concept.code}" for p in m.products]
            if m.comment and m.comment not in advice:
                advice.append(m.comment)
        else:
            options.setdefault(m.concept.system, []).append(" + ".join(_code_list(m)))
    parts = []
    if coded:
        seq = "; ".join(f"{label(s)} {', '.join(codes)}" for s, codes in coded.items())
        parts.append(f"Coded sequence, in coding order: {seq}.")
        if companions:
            parts.append(
                "Companion codes are recorded with their main code, not instead of it: "
                f"{'; '.join(companions)}."
            )
    if options:
        alts = "; ".join(f"{label(s)} {' | '.join(o)}" for s, o in options.items())
        parts.append(f"Candidates, none asserted (more information decides which): {alts}.")
    parts += advice
    return " ".join(parts) or None


def _sequence(req: TranslateRequest, matches: list[Match]) -> str | None:
    """The top-level message stating the coded sequence, for requests that want it."""
    if req.state_sequence and not req.reverse and req.reading is None:
        return sequence_message(matches, system_label)
    return None


def translate(req: TranslateRequest, store: Store) -> TranslateOutcome:
    """Translate each input coding through each applicable map (forward or reverse).

    FHIR: `result` is true when at least one match is not `unmatched`/`disjoint`; "no match" is
    a successful answer with result=false and a message, not an error.
    """
    found = _indexed(req, store)
    if found is not None and any(m.equivalence not in NEGATIVE for m in found):
        return TranslateOutcome(True, found, _sequence(req, found), req.reverse, req.echo_source)
    # A miss or a negative answer: every candidate map is asked, and the message names them.
    maps = _candidate_maps(req, store)
    req = codings_as_dependencies(req, maps, store)
    matches: list[Match] = []
    for cm in maps:
        for coding in req.codings:
            matches.extend(_reverse(cm, coding, req) if req.reverse else _forward(cm, coding, req))
    result = any(m.equivalence not in NEGATIVE for m in matches)
    message = _sequence(req, matches) if result else None
    if not result:
        shown = ", ".join(f"{c.system}|{c.code}" for c in req.codings)
        if not maps:
            message = f"No ConceptMap is known that maps {shown}"
        else:
            names = ", ".join(cm.origin for cm in maps)
            message = f"No mapping found for {shown} in {names}"
    return TranslateOutcome(result, matches, message, req.reverse, req.echo_source)
