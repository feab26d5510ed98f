"""Negation and conversion cues: how English words change the meaning of the terms near them.

These are words of the language, not of any guidance (the vocabulary of the guidance is in the
CodeSystems). The scope rules follow NegEx (Chapman et al., 2001) in a simplified form:

- a negation cue before terms ("no", "not", "without"; and, as NegEx does, cues of past events:
  "previous", "prior", "history of") negates the first term that follows in the same clause,
  skipping only filler words ("without the use of ultrasound"), and then further terms of the
  same facet joined by "or"/"and"/"nor" ("without ultrasound or CT guidance");
- a negation cue after a term ("ultrasound not used") negates that term;
- a conversion cue ("converted to", "conversion to") marks the term that follows as the value the
  procedure ended with: it supersedes the other values of its facet ("laparoscopic, converted to
  open" is open); "conversion" alone marks the term just before it ("open conversion");
  "converted from X" names the value the procedure left, which is dropped like a past event;
- an uncertainty cue ("suspected", "possible", "query", and the clinical "?" prefix) makes the
  next *finding* in the clause uncertain: the first term, within a few words, whose value is
  coded on its own (a ConceptMap source, such as a diagnosis). Coding standards code an
  uncertain diagnosis as not established, while the procedure and the site around it stand
  ("MWA to liver lesion, ? metastasis" keeps the ablation, drops the metastasis).

A clause ends at punctuation; cues never reach across it. Every rule is a bounded forward or
backward step over the token list: linear time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from plugin.text.matcher import Mention, Token

NEGATION_BEFORE: tuple[tuple[str, ...], ...] = (
    ("absence", "of"),
    ("no",),
    ("not",),
    ("without",),
    ("non",),
    ("nil",),
    ("never",),
    ("w", "o"),
    ("instead", "of"),
    ("rather", "than"),
    # past events are not the procedure being coded (NegEx's historical cues)
    ("history", "of"),
    ("previous",),
    ("previously",),
    ("prior",),
    ("post",),
    # the approach a converted procedure left ("converted from laparoscopic")
    ("converted", "from"),
    ("conversion", "from"),
)
UNCERTAIN: tuple[tuple[str, ...], ...] = (
    ("suspected",),
    ("suspicious", "of"),
    ("possible",),
    ("probable",),
    ("presumed",),
    ("query",),
    ("questionable",),
    ("likely",),
)
# How far (in words) an uncertainty cue reaches for its finding.
UNCERTAIN_REACH = 4
NEGATION_AFTER: tuple[tuple[str, ...], ...] = (
    ("not", "used"),
    ("not", "performed"),
    ("not", "required"),
    ("not", "needed"),
    ("not", "done"),
    ("not", "possible"),
    ("not", "available"),
    ("unavailable",),
    ("abandoned",),
)
CONVERSION: tuple[tuple[str, ...], ...] = (
    ("converted", "to"),
    ("converted", "into"),
    ("conversion", "to"),
    ("conversion", "into"),
    ("converting", "to"),
    ("changed", "to"),
)
# "open conversion": the conversion target stated before the cue
CONVERSION_AFTER: tuple[tuple[str, ...], ...] = (("conversion",),)
FILLER = frozenset(
    {"a", "an", "the", "any", "use", "of", "using", "formal", "routine", "real", "time"}
)
COORDINATORS = frozenset({"or", "and", "nor"})
# Every word of a cue: reported as understood, not as unrecognised.
CUE_WORDS = frozenset(
    w
    for cues in (NEGATION_BEFORE, NEGATION_AFTER, CONVERSION, CONVERSION_AFTER, UNCERTAIN)
    for c in cues
    for w in c
)
AUX = frozenset({"was", "were", "is", "been", "being"})


def _by_first(cues: tuple[tuple[str, ...], ...]) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for cue in sorted(cues, key=len, reverse=True):
        out.setdefault(cue[0], []).append(cue)
    return out


_AFTER = _by_first(NEGATION_AFTER)
_CONVERSION = _by_first(CONVERSION)
_BEFORE = _by_first(NEGATION_BEFORE)
_CONVERSION_AFTER = _by_first(CONVERSION_AFTER)
_UNCERTAIN = _by_first(UNCERTAIN)


def _cue_at(tokens: Sequence[Token], i: int, cues: dict[str, list[tuple[str, ...]]]) -> int:
    """Length of the cue starting at token i (0 if none); cues lie within one clause."""
    for cue in cues.get(tokens[i].lower, ()):
        size = len(cue)
        if (
            i + size <= len(tokens)
            and all(tokens[i + k].lower == cue[k] for k in range(size))
            and not any(tokens[i + k].clause_start for k in range(1, size))
        ):
            return size
    return 0


def scopes(
    tokens: Sequence[Token],
    mentions: Sequence[Mention],
    finding: Callable[[Mention], bool] = lambda m: False,
) -> tuple[set[int], set[int]]:
    """(negated, converted): indexes into `mentions` of negated terms and conversion targets.

    `finding` says which terms are findings an uncertainty cue can make uncertain (negated).
    """
    if CUE_WORDS.isdisjoint([t.lower for t in tokens]):
        return set(), set()
    starts = {m.first: k for k, m in enumerate(mentions)}
    ends = {m.last: k for k, m in enumerate(mentions)}
    covered = {t for m in mentions for t in range(m.first, m.last)}
    negated: set[int] = set()
    converted: set[int] = set()
    n = len(tokens)
    i = 0
    while i < n:
        if i in covered or tokens[i].lower not in CUE_WORDS:
            i += 1
            continue
        size = _cue_at(tokens, i, _AFTER)
        if size:
            negated.update(_term_near(tokens, ends, i, -1, AUX))
            i += size
            continue
        size = _cue_at(tokens, i, _CONVERSION)
        if size:
            converted.update(_term_near(tokens, starts, i + size, 1, FILLER))
            i += size
            continue
        size = _cue_at(tokens, i, _CONVERSION_AFTER)
        if size:
            converted.update(_term_near(tokens, ends, i, -1, frozenset()))
            i += size
            continue
        size = _cue_at(tokens, i, _BEFORE)
        if size:
            negated.update(_forward_scope(tokens, mentions, starts, i + size))
            i += size
            continue
        size = _cue_at(tokens, i, _UNCERTAIN)
        if size:
            negated.update(_next_finding(tokens, mentions, starts, i + size, finding))
            i += size
            continue
        i += 1
    return negated, converted


def _term_near(
    tokens: Sequence[Token], at: dict[int, int], j: int, step: int, skip: frozenset[str]
) -> list[int]:
    """The term whose boundary (start or end, as `at` is keyed) is at token boundary j, after
    stepping over `skip` words in direction `step`; none across a clause break."""
    while j not in at:
        k = j if step > 0 else j - 1
        if not 0 <= k < len(tokens) or tokens[k].lower not in skip:
            return []
        j += step
    return [] if tokens[j].clause_start else [at[j]]


def _forward_scope(
    tokens: Sequence[Token], mentions: Sequence[Mention], starts: dict[int, int], j: int
) -> list[int]:
    out: list[int] = []
    facet: str | None = None
    n = len(tokens)
    while j < n and not tokens[j].clause_start:
        k = starts.get(j)
        if k is not None:
            this = mentions[k].term.value.facet
            if facet is not None and this != facet:
                break
            out.append(k)
            facet = this
            j = mentions[k].last
        elif (facet is None and tokens[j].lower in FILLER) or (
            facet is not None and tokens[j].lower in COORDINATORS
        ):
            j += 1
        else:
            break
    return out


def _next_finding(
    tokens: Sequence[Token],
    mentions: Sequence[Mention],
    starts: dict[int, int],
    j: int,
    finding: Callable[[Mention], bool],
) -> list[int]:
    """The first finding term within UNCERTAIN_REACH words of token j, in the same clause."""
    end = min(len(tokens), j + UNCERTAIN_REACH)
    while j < end and not tokens[j].clause_start:
        k = starts.get(j)
        if k is not None and finding(mentions[k]):
            return [k]
        j = mentions[k].last if k is not None else j + 1
    return []
