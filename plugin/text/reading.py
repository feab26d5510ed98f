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

import itertools
from dataclasses import dataclass, field

from plugin.text.context import (
    HISTORICAL,
    NEGATED,
    NOT_GUIDANCE,
    NOT_PERFORMED,
    OTHER_ORGAN,
    PLANNED,
    UNCERTAIN,
    UNUSED,
    USED,
    Note,
    assert_mentions,
)
from plugin.text.cues import AUX, COORDINATORS, CUE_WORDS, FILLER, conversions
from plugin.text.episode import read_episode
from plugin.text.matcher import Matcher, Mention, Token
from plugin.text.rules import lexicon, sections
from plugin.text.sections import layout
from plugin.text.vocabulary import Procedure, Value, Vocabulary
from plugin.types import Coding, Dependency

# Statuses of a recognised term, as reported: the assertion statuses of `context` (used,
# negated, uncertain, historical, planned, not-performed, other-organ, not-guidance-imaging,
# unused), and what the reading then sets aside among the used ones:
SUPERSEDED = "superseded"
NOT_CODED = "not coded"
CONFLICT = "conflicting"
SET_ASIDE = (
    NEGATED,
    UNCERTAIN,
    HISTORICAL,
    PLANNED,
    NOT_PERFORMED,
    OTHER_ORGAN,
    NOT_GUIDANCE,
    UNUSED,
)


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
    # the token signature the decision was taken on (same key, same decision)
    key: tuple[str, ...] = ()
    # True for a text too long to be read by signature (read in full, explained directly)
    long: bool = False

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
    if not lower.isalpha() or lower in _STOP or lower in CUE_WORDS or lower in FILLER:
        return True
    if lower in lexicon().words:
        return True
    return len(lower) <= 4 and set(lower) <= set("ivxlcdm")


def roles(mentions: list[Mention], vocab: Vocabulary) -> list[str]:
    """The role of each mention for the context rules: a value passed as a dependency is a
    `qualifier`, a lesion value a `finding`, anything else `procedure`."""
    out = []
    for m in mentions:
        facet = m.term.value.facet
        if vocab.facets[facet].element is not None:
            out.append("qualifier")
        elif facet in vocab.lesion_facets:
            out.append("finding")
        else:
            out.append("procedure")
    return out


def acts(mentions: list[Mention], vocab: Vocabulary) -> list[bool]:
    """Per mention: whether it names the act of a procedure, as the vocabulary tells: a value of
    the facet the act is (`episode-anchor`: the technique) or of a facet that defines no
    procedure of the content (another procedure: a biopsy); not a value of the other facets the
    procedures are defined by (the site and approach of the act)."""
    of_act = vocab.selection_facets - vocab.anchor_facets
    return [m.term.value.facet not in of_act for m in mentions]


def _found(
    text: str, mentions: list[Mention], tokens: list[Token], vocab: Vocabulary
) -> list[Found]:
    converted = conversions(tokens, mentions)
    lay = layout(tokens, sections(), text)
    note = Note(text, tokens, mentions, roles(mentions, vocab), lay, acts(mentions, vocab))
    said = assert_mentions(note, lexicon())
    read_episode(note, said, converted, vocab)
    out: list[Found] = []
    for k, m in enumerate(mentions):
        words = text[m.start : m.end]
        status = said[k].status
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


def _qualifies_other(i: int, used: list[Found], tokens: list[Token]) -> bool:
    """True when term `used[i]` is directly followed (same clause, two words at most) by a term
    of an out-of-scope value of another facet: it qualifies that other procedure."""
    f = used[i]
    for g in itertools.islice(used, i + 1, None):
        if g.first - f.last > 2:
            return False
        if g.value.facet == f.value.facet:
            continue
        if any(t.clause_start for t in tokens[f.last : g.first + 1]):
            return False
        return g.value.in_scope is False
    return False


_LINKS = frozenset({"of", "in", "to", "within", "the", "a", "an"})
_COORDINATION = frozenset({"and", "or"})


def _lesion_qualified(found: list[Found], tokens: list[Token], lesion: frozenset[str]) -> set[int]:
    """ids of the terms that name where a lesion is: "liver metastasis", "hepatic colorectal
    metastases" (before the lesion, one word between at most), "liver and lung metastases" (a
    term coordinated with one that does), "metastasis in the liver" (after it, joined by
    of/in/to/within), or implied by the lesion term itself ("CRLM").

    One pass from right to left, so a chain of coordinated terms costs no more than its length.
    """
    used = [g for g in found if g.status == USED and not g.implied]
    out = {id(g) for g in found if g.status == USED and g.implied}
    after_ok = [False] * (len(used) + 1)
    for i in range(len(used) - 1, -1, -1):
        f = used[i]
        if i + 1 < len(used):
            g = used[i + 1]
            gap = g.first - f.last
            if g.value.facet in lesion:
                after_ok[i] = gap <= 1 and not any(
                    t.clause_start for t in tokens[f.last : g.first + 1]
                )
            elif g.value.facet == f.value.facet and gap == 1:
                after_ok[i] = (
                    tokens[f.last].lower in _COORDINATION
                    and not tokens[g.first].clause_start
                    and after_ok[i + 1]
                )
        if after_ok[i]:
            out.add(id(f))
            continue
        if i == 0 or used[i - 1].value.facet not in lesion:
            continue
        between = tokens[used[i - 1].last : f.first]
        if (
            1 <= len(between) <= 2
            and all(t.lower in _LINKS and not t.clause_start for t in between)
            and not tokens[f.first].clause_start
        ):
            out.add(id(f))
    return out


def _sites_of_lesions(vocab: Vocabulary, found: list[Found], tokens: list[Token]) -> None:
    """When a selection facet has several values and some of them name where a lesion is, the
    others are incidental ("kidney tumour, fatty liver": the kidney is treated; "liver metastases
    from breast cancer": the liver is) and are not coded."""
    by_facet: dict[str, list[Found]] = {}
    for f in found:
        if f.status == USED and f.value.facet in vocab.selection_facets:
            by_facet.setdefault(f.value.facet, []).append(f)
    several = [items for items in by_facet.values() if len({f.value.code for f in items}) > 1]
    if not several:
        return
    qualified = _lesion_qualified(found, tokens, vocab.lesion_facets)
    for items in several:
        if any(id(f) in qualified for f in items) and not all(id(f) in qualified for f in items):
            for f in items:
                if id(f) not in qualified:
                    f.status = NOT_CODED


def _choose(vocab: Vocabulary, found: list[Found], tokens: list[Token]) -> list[Procedure]:
    best = _best(vocab, _stated(found))
    if len(best) <= 1:
        return best
    differing = {f for p in best for f, _ in p.requires} - {
        f for f, _ in set.intersection(*(set(p.requires) for p in best))
    }
    used = [f for f in found if f.status == USED]
    for i, f in enumerate(used):
        if f.value.facet in differing and _qualifies_other(i, used, tokens):
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


# Words whose identity matters to the reading even though they are not vocabulary (cues, filler,
# section titles, the words a back reference may open with).
_KEEP = (
    CUE_WORDS
    | FILLER
    | COORDINATORS
    | AUX
    | lexicon().words
    | lexicon().subjects
    | frozenset(w for o in lexicon().openers for w in o)
    | frozenset(w for titles in sections().by_first.values() for t, _ in titles for w in t)
)
_SIGNIFICANT = frozenset(".!?;:,()[]{}|\n")


def _gap_mark(gap: str) -> str:
    if not gap:
        return ""
    marks = "".join(ch for ch in gap if ch in _SIGNIFICANT)
    # a period followed by a space ends a sentence; one inside a number does not
    return marks + "_" if marks and gap[-1].isspace() else marks


def _digits(lower: str) -> str:
    if not lower.isdigit():
        return ""
    return "#y" if len(lower) == 4 and lower[:2] in ("19", "20") else "#"


_PLAN_LIMIT = 32_768
# Bound on the tokens held by all plan keys together (about 60 bytes each): count alone would
# let 32,768 adversarial 200-token texts hold hundreds of MB.
_PLAN_TOKENS = 400_000
# Descriptions are short; a long text's plan would rarely recur and would hold memory.
PLAN_MAX_TOKENS = 200


def _signature(tokens: list[Token]) -> tuple[str, ...]:
    """Everything about the tokens that the reading depends on, words aside.

    Two descriptions with the same signature (same vocabulary words, cues and clause breaks in
    the same places; other words may differ) have the same reading except for the words quoted.
    """
    keep = _KEEP
    out = []
    for t in tokens:
        w = t.word
        if w is not None:
            mark = w + "~" if t.fuzzy else w
        elif t.lower in keep:
            mark = t.lower
        else:
            mark = _digits(t.lower) if t.lower[0].isdigit() else ""
        if t.gap:
            mark = _gap_mark(t.gap) + mark
        out.append("|" + mark if t.clause_start else mark)
    return tuple(out)


@dataclass(slots=True)
class _Plan:
    """A reading without its words: what `_read` decided, to apply to another text."""

    found: list[tuple[int, int, Value, str, bool, bool, bool]]
    uncovered: list[int]  # tokens outside every term
    procedure: Procedure | None
    codings: list[Coding]
    dependencies: tuple[Dependency, ...]
    missing: list[Value | str]
    alternatives: list[Procedure]

    def apply(self, text: str, tokens: list[Token]) -> Reading:
        found = []
        for first, last, value, status, fuzzy, implied, converted in self.found:
            start, end = tokens[first].start, tokens[last - 1].end
            found.append(
                Found(
                    text[start:end],
                    start,
                    end,
                    value,
                    status,
                    fuzzy,
                    implied,
                    converted,
                    first,
                    last,
                )
            )
        return Reading(
            text,
            found,
            self.procedure,
            list(self.codings),
            self.dependencies,
            self.missing,
            _unrecognised(text, tokens, self.uncovered),
            self.alternatives,
        )


def _unrecognised(text: str, tokens: list[Token], uncovered: list[int]) -> list[str]:
    out = []
    for i in uncovered:
        t = tokens[i]
        if not _ignorable(t.lower):
            out.append(text[t.start : t.end])
    return out


def read(text: str, matcher: Matcher) -> Reading:
    """Read a description: recognised terms, the procedure, and what to give the engine.

    The decision depends only on the token signature, so it is worked out once per signature
    (content is immutable) and applied to the words of each text.
    """
    tokens = matcher.tokens(text)
    if len(tokens) > PLAN_MAX_TOKENS:
        # a long note: its reading would rarely recur, so it is neither looked up nor kept
        reading, _ = _read(text, tokens, matcher)
        reading.long = True
        return reading
    key = _signature(tokens)
    plan: _Plan | None = matcher.plans.get(key)
    if plan is not None:
        found = plan.apply(text, tokens)
        found.key = key
        return found
    reading, uncovered = _read(text, tokens, matcher)
    reading.key = key
    if not matcher.memo:
        return reading
    if len(matcher.plans) >= _PLAN_LIMIT or matcher.plan_tokens >= _PLAN_TOKENS:
        matcher.plans.clear()
        matcher.plan_tokens = 0
    matcher.plan_tokens += len(key)
    matcher.plans[key] = _Plan(
        [
            (f.first, f.last, f.value, f.status, f.fuzzy, f.implied, f.converted)
            for f in reading.found
        ],
        uncovered,
        reading.procedure,
        list(reading.codings),
        reading.dependencies,
        reading.missing,
        reading.alternatives,
    )
    return reading


def _read(text: str, tokens: list[Token], matcher: Matcher) -> tuple[Reading, list[int]]:
    vocab = matcher.vocab
    mentions = matcher.mentions(tokens)
    found = _found(text, mentions, tokens, vocab)
    _supersede(found)
    _sites_of_lesions(vocab, found, tokens)
    chosen = _choose(vocab, found, tokens)
    reading = Reading(text, found)
    covered = [False] * len(tokens)
    for m in mentions:
        covered[m.first : m.last] = [True] * (m.last - m.first)
    uncovered = [i for i, c in enumerate(covered) if not c]
    reading.unrecognised = _unrecognised(text, tokens, uncovered)
    stated = _stated(found)
    if len(chosen) != 1:
        # an act on another organ is still stated: what is missing is the organ
        elsewhere = {(f.value.facet, f.value.code) for f in found if f.status == OTHER_ORGAN}
        reading.missing = _missing(vocab, stated | elsewhere)
        return reading, uncovered
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
    return reading, uncovered
