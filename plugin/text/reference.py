"""References between clauses: a cue said of the procedure named in another clause.

A cue may *refer back* (`refers_back` in the rule data): "Percutaneous MWA of liver metastasis.
Procedure abandoned." says the MWA was not performed, as "MWA ... was abandoned" does. When the
words before such a cue in its clause are only words that refer back (`refers_back_subjects`:
"procedure", "it", "the", "was") and mentions restating the procedure named before ("MWA not
performed as ..."), after at most a short opening phrase (`refers_back_openers`: "After
discussion with the patient the procedure was abandoned"), its scope reaches back to the start
of the clause holding the previous mention that names an act (`Note.acts`: a technique, or
another procedure such as a biopsy), in the same section and paragraph, past sentences that name
only a site or approach of it ("Percutaneous MWA of liver metastasis. 2 cm metastasis in segment
6. Procedure abandoned."); never past that mention into an earlier procedure's clause. When no
act is named before, it reaches to the previous `procedure` mention of any facet. A clause that
names something else ("Biopsy abandoned.", "Drain not placed.") keeps its cue to itself. A later
paragraph, or a section whose title reports on the one before ("Outcome: abandoned.", "Comment:
procedure abandoned"; `reports_on` in the section data), that names no procedure before the cue
may reach into the paragraph or section before it, and on through those that report on the one
before them ("Procedure: ...\nComplications: none.\nOutcome: abandoned."); a section about
something else ("Plan:", "History:") is not crossed.

A cue may also *refer forward* (`refers_forward`): "Cancelled on the day of surgery - INR 2.8.
Percutaneous MWA of liver metastasis." When it found nothing to refer back to, its clause holds
only subject words before it, names no procedure, dates nothing in the past ("Postponed from last
week.") and no procedure is named before it in its section and paragraph, its scope reaches to
the end of the clause holding the next mention that names an act in its section (else the next
`procedure` mention of any facet), unless a terminating term ("today") stands between.

Each reference is a bounded walk (the clause, the opening phrase) and bisections over sorted
positions: linear time in the length of the text, as the rest of the context rules.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Protocol

from plugin.text.matcher import Mention, Token
from plugin.text.rules import Lexicon
from plugin.text.sections import Layout
from plugin.text.vocabulary import Value

PROCEDURE = "procedure"
HISTORICAL_CUE = "HISTORICAL"


class Note(Protocol):
    """What these walks read of a note (`context.Note`): tokens, mentions, roles, acts, layout."""

    @property
    def tokens(self) -> Sequence[Token]: ...
    @property
    def mentions(self) -> Sequence[Mention]: ...
    @property
    def roles(self) -> Sequence[str]: ...
    @property
    def acts(self) -> Sequence[bool]: ...
    @property
    def layout(self) -> Layout: ...


class Ahead:
    """Where procedure mentions, past-dating cues and terminating cues stand, for bisecting."""

    def __init__(self, note: Note, firsts: list[int], past: list[int], stop: Callable[[int], int]):
        self.procedures = [k for k, r in enumerate(note.roles) if r == PROCEDURE]
        self.firsts = [firsts[k] for k in self.procedures]
        self.acts = [k for k in self.procedures if note.acts[k]]  # (`Note.acts`)
        self.act_firsts = [firsts[k] for k in self.acts]
        self.past = past
        self.stop_after = stop  # the first terminating cue at or after a token
        self.ends: dict[int, int] = {}

    def procedure_in(self, lo: int, hi: int) -> bool:
        """True when a procedure mention starts in [lo, hi)."""
        return bisect_left(self.firsts, lo) < bisect_left(self.firsts, hi)

    def past_in(self, lo: int, hi: int) -> bool:
        """True when a past-dating cue starts in [lo, hi)."""
        return bisect_left(self.past, lo) < bisect_left(self.past, hi)

    def previous_procedure(self, i: int) -> int:
        """The last procedure mention starting before token i, or -1."""
        at = bisect_left(self.firsts, i)
        return self.procedures[at - 1] if at else -1

    def clause_end(self, i: int, layout: Layout, n: int) -> int:
        """The end of the clause holding token i, found once per clause (many forward references
        to one clause walk it once: linear time)."""
        end = self.ends.get(i)
        if end is None:
            end = i
            while end < n and not layout.breaks_scope(end):
                end += 1
            self.ends[i] = end
        return end

    def next_procedure(self, i: int) -> int:
        """The first procedure mention starting at or after token i, or -1."""
        at = bisect_left(self.firsts, i)
        return self.procedures[at] if at < len(self.procedures) else -1

    def next_act(self, i: int) -> int:
        """The first procedure mention naming an act starting at or after token i, or -1."""
        at = bisect_left(self.act_firsts, i)
        return self.acts[at] if at < len(self.acts) else -1


def _opening(first: int, note: Note, covered: list[int], lex: Lexicon) -> int | None:
    """The first token of the clause of a cue starting at token `first` when only subject words
    and mentions stand before the cue in it, after at most an opening phrase ("After discussion
    with the patient the procedure was abandoned"); None when another word does."""
    layout, tokens = note.layout, note.tokens
    i = first
    while not layout.breaks_scope(i):
        k = covered[i - 1]
        if k >= 0:
            i = note.mentions[k].first
        elif tokens[i - 1].lower in lex.subjects:
            i -= 1
        else:
            return _opener(i - 1, note, lex)
    return i


def _opener(i: int, note: Note, lex: Lexicon) -> int | None:
    """The first token of the clause holding token i when that clause opens (after subject
    words, if any) with a phrase of `refers_back_openers` ("after", "on") at most `opener_reach`
    words before token i."""
    layout, tokens = note.layout, note.tokens
    last, limit = i, max(0, i - lex.opener_reach)
    while i > limit and not layout.breaks_scope(i):
        i -= 1
    if not layout.breaks_scope(i):
        return None
    j = i  # subject words may stand before the phrase too ("Unfortunately, on review ...")
    while j < last and tokens[j].lower in lex.subjects:
        j += 1
    ahead = tuple(t.lower for t in tokens[j : j + lex.opener_reach])
    return i if any(ahead[: len(o)] == o for o in lex.openers) else None


def reach_back(first: int, note: Note, covered: list[int], lex: Lexicon, floor: int) -> int | None:
    """Where the scope of a refers-back cue starting at token `first` starts: the first token of
    the clause that holds the previous mention naming a procedure's act (`acts`: a technique or
    another procedure, not only the site or approach of one) that its section tells (in the cue's
    section and paragraph, or in the blocks before, through paragraphs and sections that report
    on the one before them; not before `floor`), if the cue's clause opens with nothing but an
    opening phrase, subject words and mentions that procedure's clauses name; else None. A
    sentence naming only a site ("2 cm metastasis in segment 6") is part of the act before it;
    when no act is named before, the previous `procedure` mention of any facet is the one."""
    start = _opening(first, note, covered, lex)
    if start is None:
        return None
    at = _back((start, first), note, covered, floor, note.acts)
    if at is None:
        at = _back((start, first), note, covered, floor, None)
    return at


def _back(
    span: tuple[int, int], note: Note, covered: list[int], floor: int, acts: Sequence[bool] | None
) -> int | None:
    """The first token of the clause holding the previous `procedure` mention (one that names an
    act, when `acts` is given) for a cue whose clause starts at `start` and which starts at `first`
    (`span`); else None."""
    mentions, layout = note.mentions, note.layout
    start, first = span
    block = layout.block[start]
    # mentions before the cue's clause, nearest first, down to the previous procedure mention
    k = next((covered[i] for i in range(start - 1, floor - 1, -1) if covered[i] >= 0), -1)
    named: set[Value] = set()
    while k >= 0 and mentions[k].first >= floor:
        at = mentions[k].first
        while layout.block[at] < block:  # back into the block before, if this one reports on it
            if not layout.reports_back(block):
                return None
            block = layout.previous_block(block)
            if block < 0:
                return None
        named.add(mentions[k].term.value)
        if (
            note.roles[k] == PROCEDURE
            and PROCEDURE in layout.kind_at(at).roles
            and (acts is None or acts[k])
        ):
            break  # (a site named in a Findings section is not a procedure that section tells)
        k -= 1
    else:
        return None
    while at > floor and not layout.breaks_scope(at):
        at -= 1
        if covered[at] >= 0:
            named.add(mentions[covered[at]].term.value)
    own = (mentions[covered[i]].term.value for i in range(start, first) if covered[i] >= 0)
    if any(v not in named and not v.not_stated for v in own):
        return None  # the clause names something else ("Laparoscopic MWA not possible")
    return at


def reach_forward(
    span: tuple[int, int], note: Note, covered: list[int], lex: Lexicon, ahead: Ahead
) -> int:
    """Where the scope of a refers-forward cue at tokens `span` ([first, last)) ends: the end of the
    clause holding the next act (else `procedure` mention) of its section ("Cancelled - INR 2.8.
    Percutaneous MWA ..."), when the cue's clause has only subject words before the cue and no
    procedure mention before it in its section and paragraph, names no procedure and dates
    nothing in the past, and no terminating cue ("today") stands between; else `last`."""
    layout, n = note.layout, len(note.tokens)
    first, last = span
    start = _opening(first, note, covered, lex)
    if start is None:
        return last
    before = ahead.previous_procedure(start)
    if before >= 0 and layout.block[note.mentions[before].first] == layout.block[start]:
        return last  # a procedure named before it in its block: that is what it is about
    end = last
    while end < n and not layout.breaks_scope(end):
        end += 1
    if ahead.procedure_in(start, end) or ahead.past_in(start, end):
        return last
    # the next act ("Cancelled. Segment 6 lesion. Percutaneous MWA ..."), else as far as the
    # next procedure mention of any facet
    for k in (ahead.next_act(end), ahead.next_procedure(end)):
        if k < 0 or ahead.stop_after(end) <= note.mentions[k].first:
            continue
        if layout.section_of(note.mentions[k].first) == layout.section_of(start):
            return ahead.clause_end(note.mentions[k].last, layout, n)
    return last
