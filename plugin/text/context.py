"""Assertion context in the ConText style: which mentions the text asserts, and which it does not.

ConText (Harkema et al., J Biomed Inform 2009, the successor of NegEx) gives each mention the
modifiers of the cues whose scope covers it. A cue (a rule of the lexicon in `rules.py`) reaches
forward, backward or both, within its sentence, at most `max_scope` words, and stops at a
terminating term ("but", "however", "today"...); pseudo-cues ("no further", "without
complication") hold words that would otherwise be cues. Negation, history and uncertainty are
read within a clause, as NegEx reads them (a comma ends them). A rule may be limited to some
roles (`allowed_types`): the role of a mention is `procedure` (what was done and how),
`qualifier` (a value passed as a ConceptMap dependency: how it was guided) or `finding` (what
was treated); the vocabulary says which facet has which role.

Guidance cues ("under", "-guided", "targeted with") attach to the nearest qualifier in their
direction and to those coordinated with it ("under CT and ultrasound guidance"), not to every
qualifier in reach, so "segment II under US guidance" guides with ultrasound only. A guidance cue
inside a qualifier's own words ("CT-guided", "intra-operative ultrasound") guides that qualifier.

A cue may *refer back* (`refers_back` in the rule data) to the procedure named in an earlier
clause ("Percutaneous MWA of liver metastasis. Procedure abandoned.", "...\nOutcome: abandoned."),
or *refer forward* (`refers_forward`) to the next one ("Cancelled - INR 2.8. Percutaneous MWA
..."): `reference.py` says how far such a scope reaches.

Sections (`sections.py`) come first: a mention whose role its section does not allow gets the
section's status. Everything here is generic: cue words are English, not the guidance's.
Each step is a bounded walk over the token list: linear time in the length of the text.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from plugin.text.matcher import Mention, Token
from plugin.text.reference import HISTORICAL_CUE, Ahead, reach_back, reach_forward
from plugin.text.rules import CONVERSION, NUM, PSEUDO, TERMINATE, YEAR, Lexicon, Rule
from plugin.text.sections import Layout

# Mention statuses (the wire values of `mention.status`).
USED = "used"
NEGATED = "negated"
UNCERTAIN = "uncertain"
HISTORICAL = "historical"
PLANNED = "planned"
NOT_PERFORMED = "not-performed"
OTHER_ORGAN = "other-organ"
NOT_GUIDANCE = "not-guidance-imaging"
UNUSED = "unused"

# ConText categories -> status, strongest first.
_PRIORITY = (
    ("NOT_PERFORMED", NOT_PERFORMED),
    ("HYPOTHETICAL", PLANNED),
    ("NEGATED_EXISTENCE", NEGATED),
    ("HISTORICAL", HISTORICAL),
    ("POSSIBLE_EXISTENCE", UNCERTAIN),
    ("FAMILY", UNUSED),
)
GUIDANCE = "GUIDANCE"
NOT_GUIDANCE_CUE = "NOT_GUIDANCE"
QUALIFIER = "qualifier"
_COORDINATORS = frozenset({"and", "or", "nor", "plus"})
# what may stand between coordinated qualifiers besides a coordinator ("US + CT", "US/CT", "US, CT")
_CHAIN_GAP = frozenset(" +/,&()")


@dataclass(slots=True)
class Assertion:
    """What the context makes of one mention: a status, and the words that decided it."""

    status: str = USED
    cue: str = ""  # the cue's words as written, or the section title
    guided: bool = False


@dataclass(slots=True)
class _Cue:
    rule: Rule
    first: int
    last: int  # token span [first, last)


def _word_matches(lower: str, word: str) -> bool:
    if word == YEAR:
        return len(lower) == 4 and lower.isdigit() and lower[:2] in ("19", "20")
    if word == NUM:
        return lower.isdigit()
    return lower == word


def _rule_at(lowers: list[str], i: int, layout: Layout, rules: list[Rule]) -> Rule | None:
    n = len(lowers)
    for rule in rules:
        size = len(rule.words)
        if i + size > n or (rule.sentence_start and not layout.starts_sentence(i)):
            continue
        if rule.sentence_end and i + size < n and not layout.starts_sentence(i + size):
            continue
        if rule.plain:
            if size > 1 and tuple(lowers[i : i + size]) != rule.words:
                continue
        elif not all(_word_matches(lowers[i + k], rule.words[k]) for k in range(size)):
            continue
        if size == 1 or not layout.breaks_scope_between(i + 1, i + size - 1):
            return rule
    return None


def find_cues(tokens: Sequence[Token], layout: Layout, lex: Lexicon) -> list[_Cue]:
    """Cues left to right, the longest at each position; none inside a section title."""
    out: list[_Cue] = []
    lowers = [t.lower for t in tokens]
    digits = lex.by_first.get(YEAR, []) + lex.by_first.get(NUM, [])
    by_first = lex.by_first
    i, n = 0, len(tokens)
    while i < n:
        lower = lowers[i]
        rules = by_first.get(lower)
        if lower[0].isdigit():
            rules = [*(rules or ()), *digits]
        if not rules or layout.heading[i]:
            i += 1
            continue
        rule = _rule_at(lowers, i, layout, rules)
        if rule is None:
            i += 1
            continue
        out.append(_Cue(rule, i, i + len(rule.words)))
        i += len(rule.words)
    return out


# A rule without max_scope (medspaCy's) reaches this many words: ConText's scope is the sentence,
# and a bound keeps a run-on "sentence" (a list with no full stop) linear in its length.
DEFAULT_REACH = 20


def _scope(cue: _Cue, stops: _Stops, layout: Layout, n: int) -> tuple[int, int]:
    """Token span [lo, hi) the cue reaches: its sentence, up to a terminating cue, max_scope."""
    rule = cue.rule
    reach = rule.max_scope or DEFAULT_REACH
    lo, hi = cue.first, cue.last
    if rule.direction in ("FORWARD", "BIDIRECTIONAL"):
        end = cue.last
        limit = min(n, cue.last + reach, stops.after(cue.last))
        while end < limit and not layout.ends_scope(end, rule.clause):
            end += 1
        hi = end
    if rule.direction in ("BACKWARD", "BIDIRECTIONAL"):
        start = cue.first
        limit = max(0, cue.first - reach, stops.before(cue.first))
        while start > limit and not layout.ends_scope(start, rule.clause):
            start -= 1
        lo = start
    return lo, hi


class _Stops:
    """Where terminating cues stand, for bisecting."""

    def __init__(self, cues: list[_Cue], n: int) -> None:
        self.firsts = [c.first for c in cues if c.rule.category == TERMINATE]
        self.lasts = [c.last for c in cues if c.rule.category == TERMINATE]
        self.n = n

    def after(self, i: int) -> int:
        at = bisect_left(self.firsts, i)
        return self.firsts[at] if at < len(self.firsts) else self.n

    def before(self, i: int) -> int:
        at = bisect_right(self.lasts, i)
        return self.lasts[at - 1] if at else 0


@dataclass(slots=True)
class Note:
    """A text as the context rules read it: its tokens, mentions, their roles and its layout."""

    text: str
    tokens: Sequence[Token]
    mentions: Sequence[Mention]
    roles: Sequence[str]
    layout: Layout
    # per mention: whether it names an act (a technique, another procedure), not only the site
    # or approach of one; a back reference walks past those to the act (`reference.py`)
    acts: Sequence[bool]


def _guided(cue: _Cue, lo: int, hi: int, note: Note, qualifiers: list[int]) -> list[int]:
    """The qualifier a guidance cue attaches to (nearest in its direction) and those coordinated
    with it; or the qualifier whose own words hold the cue, and those coordinated with it."""
    mentions = note.mentions
    firsts = [mentions[k].first for k in qualifiers]
    at = bisect_right(firsts, cue.first) - 1
    if at >= 0 and mentions[qualifiers[at]].last >= cue.last:
        # the cue is inside a qualifier's words: chain from it both ways
        return [*_chain(at, -1, note, qualifiers)[::-1], *_chain(at, 1, note, qualifiers)[1:]]
    if cue.rule.direction == "FORWARD":
        at = bisect_left(firsts, cue.last)
        if at >= len(qualifiers) or firsts[at] >= hi:
            return []
        return _chain(at, 1, note, qualifiers)
    if at < 0 or firsts[at] < lo or mentions[qualifiers[at]].last > cue.first:
        return []
    return _chain(at, -1, note, qualifiers)


def _chain(at: int, step: int, note: Note, qualifiers: list[int]) -> list[int]:
    """Qualifier `at` and the qualifiers coordinated with it in direction `step`."""
    mentions, tokens = note.mentions, note.tokens
    chain = [qualifiers[at]]
    j = at + step
    while 0 <= j < len(qualifiers):
        a, b = sorted((mentions[chain[-1]], mentions[qualifiers[j]]), key=lambda m: m.first)
        between = tokens[a.last : b.first]
        if len(between) > 1 or any(t.lower not in _COORDINATORS for t in between):
            break
        if any(t.gap and not set(t.gap) <= _CHAIN_GAP for t in tokens[a.last : b.first + 1]):
            break
        chain.append(qualifiers[j])
        j += step
    return chain


class _References:
    """The reach of cues that refer to another clause's procedure (`reference.py`), in order."""

    def __init__(self, note: Note, covered: list[int], lex: Lexicon, ahead: Ahead) -> None:
        self.note, self.covered, self.lex, self.ahead = note, covered, lex, ahead
        self.floor = 0  # where the last referring cue ended: the next reaches back no further
        # per (category, roles): where forward references reached, not to be walked again
        self.reached: dict[tuple[str, frozenset[str] | None], int] = {}

    def spans(self, cue: _Cue, lo: int, hi: int) -> list[tuple[int, int]]:
        """The token spans the cue covers: its scope [lo, hi), stretched back or forward."""
        rule = cue.rule
        if not (rule.refers_back or rule.refers_forward):
            return [(lo, hi)]
        note, covered, lex = self.note, self.covered, self.lex
        back = reach_back(cue.first, note, covered, lex, self.floor) if rule.refers_back else None
        self.floor = cue.last
        if back is not None:
            return [(min(lo, back), hi)]
        end = (
            reach_forward((cue.first, cue.last), note, covered, lex, self.ahead)
            if rule.refers_forward
            else hi
        )
        if end <= hi:
            return [(lo, hi)]
        key = (rule.category, rule.types)
        done = self.reached.get(key, 0)
        self.reached[key] = end
        return [(lo, hi), (max(hi, done), end)]


def _modifiers(note: Note, lex: Lexicon) -> tuple[list[dict[str, str]], list[bool]]:
    """Per mention: the categories of the cues covering it (with the cue's words), and whether
    a guidance cue attaches to it."""
    tokens, mentions, roles, layout = note.tokens, note.mentions, note.roles, note.layout
    n = len(tokens)
    cats: list[dict[str, str]] = [{} for _ in mentions]
    guided = [False] * len(mentions)
    cues = find_cues(tokens, layout, lex)
    covered = [-1] * n
    for k, m in enumerate(mentions):
        covered[m.first : m.last] = [k] * (m.last - m.first)
    qualifiers = [k for k, r in enumerate(roles) if r == QUALIFIER]
    stops = _Stops(cues, n)
    firsts = [m.first for m in mentions]
    lasts = [m.last for m in mentions]
    past = [c.first for c in cues if c.rule.category == HISTORICAL_CUE]
    refs = _References(note, covered, lex, Ahead(note, firsts, past, stops.after))
    for cue in cues:
        rule = cue.rule
        in_term = {covered[t] for t in range(cue.first, cue.last)} - {-1}
        if rule.category in (TERMINATE, PSEUDO, CONVERSION) or (
            in_term and rule.category not in (GUIDANCE, NOT_GUIDANCE_CUE)
        ):
            continue  # a cue's words inside a term are part of it ("no image guidance")
        lo, hi = _scope(cue, stops, layout, n)
        spans = refs.spans(cue, lo, hi)
        if rule.category == GUIDANCE:
            for k in _guided(cue, lo, hi, note, qualifiers):
                guided[k] = True
            continue
        words = note.text[tokens[cue.first].start : tokens[cue.last - 1].end]
        for a, b in spans:
            for k in range(bisect_right(lasts, a), bisect_left(firsts, b)):
                m = mentions[k]
                if rule.types and roles[k] not in rule.types:
                    continue
                if k in in_term or m.last <= cue.first or m.first >= cue.last:
                    cats[k].setdefault(rule.category, words)
    return cats, guided


def assert_mentions(note: Note, lex: Lexicon) -> list[Assertion]:
    """The assertion of each mention: section first, then the cues whose scope covers it."""
    cats, guided = _modifiers(note, lex)
    out: list[Assertion] = []
    for k, m in enumerate(note.mentions):
        kind = note.layout.kind_at(m.first)
        role = note.roles[k]
        if role not in kind.roles:
            out.append(Assertion(kind.status or UNUSED, note.layout.title_at(m.first)))
            continue
        found = next(((s, cats[k][c]) for c, s in _PRIORITY if c in cats[k]), None)
        if found is not None:
            out.append(Assertion(found[0], found[1]))
        elif role == QUALIFIER and (NOT_GUIDANCE_CUE in cats[k] or not guided[k]):
            out.append(Assertion(NOT_GUIDANCE, cats[k].get(NOT_GUIDANCE_CUE, "")))
        else:
            out.append(Assertion(USED, "", guided[k]))
    return out
