"""From mentions to a reading: facet values, the procedure they describe, codings, dependencies.

How a description is decided (all generic; the content says what the facets and values are):

1. Negated terms are dropped; a term that implies another value adds it ("CRLM" -> liver).
2. Per facet, a stated value supersedes a `not-stated` one ("microwave ablation" over
   "ablation", "metastasis" over "lesion", "ultrasound" over "image guided"), and a conversion
   target supersedes the facet's other values ("laparoscopic converted to open" -> open).
3. The procedure is the most specific procedure concept all of whose facet properties are among
   the stated values. If two are equally specific (two approaches stated), an approach word that
   qualifies another, out-of-scope procedure ("laparoscopic cholecystectomy and percutaneous
   MWA") is set aside; if they still conflict, the conflicting facet counts as not stated.
4. No procedure -> out of scope: the reading says what was recognised and what is missing
   (the unmet facet values of the nearest procedure).
5. Otherwise the engine gets the procedure coding, every recognised value that is itself a
   ConceptMap source (the lesion -> diagnosis), and the dependency-facet values as dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plugin.content.conceptmap import Coding, Dependency
from plugin.text.cues import CUE_WORDS, scopes
from plugin.text.matcher import Matcher, Mention, Token
from plugin.text.vocabulary import Procedure, Value, Vocabulary

# Statuses of a recognised term, as reported.
USED = "used"
NEGATED = "negated"
SUPERSEDED = "superseded"
NOT_CODED = "not coded"
CONFLICT = "conflicting"


@dataclass(slots=True)
class Found:
    """A recognised term (or a value it implies) with what became of it."""

    words: str
    start: int
    end: int
    value: Value
    status: str = USED
    fuzzy: bool = False
    implied: bool = False
    converted: bool = False
    first: int = 0
    last: int = 0


@dataclass(slots=True)
class Reading:
    """What the recogniser made of a description."""

    text: str
    found: list[Found] = field(default_factory=list)
    procedure: Procedure | None = None
    codings: list[Coding] = field(default_factory=list)
    dependencies: tuple[Dependency, ...] = ()
    missing: list[Value | str] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)
    alternatives: list[Procedure] = field(default_factory=list)

    def sources(self, coding: Coding) -> list[Found]:
        """The used terms that led to `coding` (the procedure, or a mapped value)."""
        if self.procedure and (coding.system, coding.code) == (
            self.procedure.system,
            self.procedure.code,
        ):
            facets = {f for f, _ in self.procedure.requires}
            return [f for f in self.found if f.status == USED and f.value.facet in facets]
        return [
            f
            for f in self.found
            if f.status == USED and (f.value.system, f.value.code) == (coding.system, coding.code)
        ]


_STOP = frozenset(
    {"a", "an", "the", "of", "and", "or", "for", "to", "in", "on", "at", "by", "with", "under"}
    | {"via", "using", "from", "after", "before", "during", "was", "were", "is", "be", "been"}
    | {"then", "also", "as", "per", "patient", "patients"}
)


def _ignorable(lower: str) -> bool:
    # Numbers, counts ("x3"), sizes ("2cm") and Roman numerals ("segment VII") are not coded.
    if not lower.isalpha() or lower in _STOP or lower in CUE_WORDS:
        return True
    return len(lower) <= 4 and set(lower) <= set("ivxlcdm")


def _found(text: str, mentions: list[Mention], tokens: list[Token]) -> list[Found]:
    negated, converted = scopes(tokens, mentions)
    out: list[Found] = []
    for k, m in enumerate(mentions):
        words = text[m.start : m.end]
        status = NEGATED if k in negated else USED
        f = Found(words, m.start, m.end, m.term.value, status, m.fuzzy, False, k in converted)
        f.first, f.last = m.first, m.last
        out.append(f)
        for v in m.term.implies:
            out.append(
                Found(words, m.start, m.end, v, status, m.fuzzy, True, False, m.first, m.last)
            )
    return out


def _supersede(found: list[Found]) -> None:
    converted = {f.value.facet for f in found if f.converted and f.status == USED}
    stated = {f.value.facet for f in found if not f.value.not_stated and f.status == USED}
    for f in found:
        if f.status != USED:
            continue
        if f.value.facet in converted:
            if not f.converted:
                f.status = SUPERSEDED
        elif f.value.not_stated and f.value.facet in stated:
            f.status = SUPERSEDED


def _stated(found: list[Found]) -> set[tuple[str, str]]:
    return {(f.value.facet, f.value.code) for f in found if f.status == USED}


def _best(vocab: Vocabulary, stated: set[tuple[str, str]]) -> list[Procedure]:
    fits = [p for p in vocab.procedures if p.requires <= stated]
    if not fits:
        return []
    most = max(len(p.requires) for p in fits)
    return [p for p in fits if len(p.requires) == most]


def _qualifies_other(f: Found, found: list[Found], tokens: list[Token]) -> bool:
    """True when the term is directly followed (same clause, two words at most) by a term of an
    out-of-scope value of another facet: it qualifies that other procedure."""
    for g in found:
        if g.first < f.last or g.status != USED or g.value.facet == f.value.facet:
            continue
        if g.first - f.last > 2 or any(t.clause_start for t in tokens[f.last : g.first + 1]):
            return False
        return g.value.in_scope is False
    return False


def _choose(vocab: Vocabulary, found: list[Found], tokens: list[Token]) -> list[Procedure]:
    best = _best(vocab, _stated(found))
    if len(best) <= 1:
        return best
    differing = {f for p in best for f, _ in p.requires} - {
        f for f, _ in set.intersection(*(set(p.requires) for p in best))
    }
    for f in found:
        if f.status == USED and f.value.facet in differing and _qualifies_other(f, found, tokens):
            f.status = NOT_CODED
    best = _best(vocab, _stated(found))
    if len(best) <= 1:
        return best
    for f in found:
        if f.status == USED and f.value.facet in differing:
            f.status = CONFLICT
    return _best(vocab, _stated(found))


def _missing(vocab: Vocabulary, stated: set[tuple[str, str]]) -> list[Value | str]:
    """Unmet facet values of the nearest procedure (most requirements met, then fewest needed)."""
    if not vocab.procedures:
        return []
    nearest = max(vocab.procedures, key=lambda p: (len(p.requires & stated), -len(p.requires)))
    out: list[Value | str] = []
    for facet, code in sorted(nearest.requires - stated):
        value = next(
            (v for v in vocab.values.values() if v.facet == facet and v.code == code), None
        )
        out.append(value if value is not None else f"{facet} {code}")
    return out


def read(text: str, matcher: Matcher) -> Reading:
    """Read a description: recognised terms, the procedure, and what to give the engine."""
    vocab = matcher.vocab
    tokens = matcher.tokens(text)
    mentions = matcher.mentions(tokens)
    found = _found(text, mentions, tokens)
    _supersede(found)
    chosen = _choose(vocab, found, tokens)
    reading = Reading(text, found)
    covered = [False] * len(tokens)
    for m in mentions:
        covered[m.first : m.last] = [True] * (m.last - m.first)
    reading.unrecognised = [
        text[t.start : t.end]
        for t, c in zip(tokens, covered, strict=True)
        if not c and not _ignorable(t.lower)
    ]
    stated = _stated(found)
    if len(chosen) != 1:
        reading.missing = _missing(vocab, stated)
        return reading
    procedure = chosen[0]
    reading.procedure = procedure
    reading.alternatives = vocab.refinements(procedure)
    uses = {f for f, _ in procedure.requires}
    codings = [vocab.coding(procedure.system, procedure.code, procedure.display)]
    deps: list[Dependency] = []
    seen: set[tuple[str, str]] = set()
    for f in found:
        v = f.value
        if f.status != USED or (v.system, v.code) in seen:
            continue
        seen.add((v.system, v.code))
        element = vocab.facets[v.facet].element
        if element is not None:
            deps.append(vocab.dependency(element, v.system, v.code))
        elif (v.system, v.code) in vocab.mapped:
            codings.append(vocab.coding(v.system, v.code, v.display))
        elif v.facet not in uses and v.in_scope is False:
            f.status = NOT_CODED
    for f in found:
        if (
            f.status == USED
            and f.value.facet in uses
            and (f.value.facet, f.value.code) not in procedure.requires
        ):
            f.status = NOT_CODED
    reading.codings = codings
    reading.dependencies = tuple(deps)
    return reading
