"""Conversion cues: which approach a converted procedure ended with.

Negation, history, uncertainty, plans and guidance are assertion context, read by `context.py`;
conversion is read here because it changes which value of a facet stands, not whether a mention
is asserted. Its cues are rules of the same data-file lexicon (category `CONVERSION`):

- a conversion cue ("converted to", "conversion to") marks the term that follows as the value the
  procedure ended with: it supersedes the other values of its facet ("laparoscopic, converted to
  open" is open); "conversion" alone marks the term just before it ("open conversion");
- "converted from X" names the value the procedure left (the context lexicon reads it as past).

A clause ends at punctuation; cues never reach across it. Every rule is a bounded forward or
backward step over the token list: linear time.
"""

from __future__ import annotations

from collections.abc import Sequence

from plugin.text.matcher import Mention, Token
from plugin.text.rules import CONVERSION, lexicon

FILLER = frozenset(
    {"a", "an", "the", "any", "use", "of", "using", "formal", "routine", "real", "time"}
)
COORDINATORS = frozenset({"or", "and", "nor"})
AUX = frozenset({"was", "were", "is", "been", "being"})


def _by_first(direction: str) -> dict[str, list[tuple[str, ...]]]:
    """The conversion cues of the lexicon reaching in `direction`, by first word."""
    cues = sorted(
        {
            r.words
            for rules in lexicon().by_first.values()
            for r in rules
            if r.category == CONVERSION and r.direction == direction
        },
        key=len,
        reverse=True,
    )
    out: dict[str, list[tuple[str, ...]]] = {}
    for cue in cues:
        out.setdefault(cue[0], []).append(cue)
    return out


_CONVERSION = _by_first("FORWARD")
# "open conversion": the conversion target stated before the cue
_CONVERSION_AFTER = _by_first("BACKWARD")
# Every word of a cue: reported as understood, not as unrecognised.
CUE_WORDS = frozenset(
    w for cues in (_CONVERSION, _CONVERSION_AFTER) for c in cues.values() for cue in c for w in cue
)


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


def conversions(tokens: Sequence[Token], mentions: Sequence[Mention]) -> set[int]:
    """Indexes into `mentions` of conversion targets: the values a procedure ended with."""
    if CUE_WORDS.isdisjoint([t.lower for t in tokens]):
        return set()
    starts = {m.first: k for k, m in enumerate(mentions)}
    ends = {m.last: k for k, m in enumerate(mentions)}
    covered = {t for m in mentions for t in range(m.first, m.last)}
    converted: set[int] = set()
    n = len(tokens)
    i = 0
    while i < n:
        if i in covered or tokens[i].lower not in CUE_WORDS:
            i += 1
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
        i += 1
    return converted


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
