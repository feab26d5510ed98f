"""Sentences and sections of a note, read from the punctuation between its words.

A sentence ends at `.`, `!` or `?` followed by white space, and at a line break; a `;` ends a
cue's scope but not the sentence; a blank line ends a paragraph. A section title (from the data
in `rules.py`) counts at the start of a line or sentence when a `:` follows it (after an optional
parenthesis: "Procedure (04/04/2024):") or it stands alone on its line. The section runs to the
next title. Text before the first title (a note's title line, or a description with no sections)
may tell everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from plugin.text.matcher import Token
from plugin.text.rules import SectionKind, Sections

ROLES = frozenset({"procedure", "qualifier", "finding"})
PREAMBLE = SectionKind("preamble", ROLES, None)
_CLAUSE = frozenset(",()[]{}|")
# How many words a parenthesis after a title may hold ("Procedure (04/04/2024):").
_PAREN_WORDS = 8


def _sentence_end(gap: str) -> bool:
    if "\n" in gap:
        return True
    for i, ch in enumerate(gap):
        if ch in ".!?" and (i + 1 == len(gap) or gap[i + 1].isspace()):
            return True
    return False


@dataclass(slots=True)
class Layout:
    """Per token: where sentences and scopes break, section titles, and the section kind."""

    tokens: Sequence[Token]
    sentence: list[int] = field(default_factory=list)
    heading: list[bool] = field(default_factory=list)
    _new_sentence: list[bool] = field(default_factory=list)
    _scope_break: list[bool] = field(default_factory=list)
    _clause_break: list[bool] = field(default_factory=list)
    _section: list[int] = field(default_factory=list)
    # per token: the paragraph it is in (a blank line starts a new one)
    paragraph: list[int] = field(default_factory=list)
    kinds: list[SectionKind] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    # per section: whether its title reports on the section before ("Outcome:")
    reports: list[bool] = field(default_factory=list)
    # per token: the first token of its block (the run of text in one section and paragraph)
    block: list[int] = field(default_factory=list)

    def starts_sentence(self, i: int) -> bool:
        """True when token i is the first word of a sentence."""
        return self._new_sentence[i]

    def breaks_scope(self, i: int) -> bool:
        """True when a cue cannot reach from token i-1 to token i (sentence, `;`, title)."""
        return self._scope_break[i]

    def breaks_scope_between(self, lo: int, hi: int) -> bool:
        """True when a scope break lies between token `lo` - 1 and token `hi`."""
        return any(self._scope_break[lo : hi + 1])

    def breaks_clause_between(self, lo: int, hi: int) -> bool:
        """True when a scope or clause break lies between token `lo` and token `hi`."""
        return any(self._scope_break[lo + 1 : hi + 1]) or any(self._clause_break[lo + 1 : hi + 1])

    def ends_scope(self, i: int, clause: bool) -> bool:
        """`breaks_scope`, and for clause-bound cues a comma or bracket too."""
        return self._scope_break[i] or (clause and self._clause_break[i])

    def kind_at(self, i: int) -> SectionKind:
        """The kind of section token i is in."""
        return self.kinds[self._section[i]]

    def section_of(self, i: int) -> int:
        """The index of the section token i is in (0 before any title)."""
        return self._section[i]

    def opens_block(self, i: int) -> bool:
        """True when token i is the first word of a section or a paragraph (not of the text)."""
        return i > 0 and (self.heading[i - 1] or self.paragraph[i - 1] != self.paragraph[i])

    def reports_back(self, b: int) -> bool:
        """True when the block (paragraph of a section) starting at token b may report on the
        block before it: a later paragraph of the same section, or a section whose title
        reports on the one before ("Outcome:")."""
        if not self.opens_block(b):
            return False
        return self.reports[self._section[b]] if self.heading[b - 1] else True

    def previous_block(self, b: int) -> int:
        """The first token of the block before the block starting at token b, or -1."""
        t = b - 1
        while t >= 0 and self.heading[t]:
            t -= 1
        return self.block[t] if t >= 0 else -1

    def title_at(self, i: int) -> str:
        """The title of the section token i is in ("" before any title)."""
        return self.titles[self._section[i]]

    @property
    def sectioned(self) -> bool:
        """True when the note has at least one section title."""
        return len(self.kinds) > 1


def _title_end(tokens: Sequence[Token], i: int, size: int) -> int:
    """Index of the first token after the title at [i, i+size) and its colon, or -1."""
    j = i + size
    if j == len(tokens):
        return j
    gap = tokens[j].gap
    if ":" in gap or "\n" in gap:
        return j
    if "(" in gap and ")" not in gap:
        for k in range(j + 1, min(len(tokens), j + _PAREN_WORDS)):
            g = tokens[k].gap
            if ")" in g:
                return k if ":" in g.split(")", 1)[1] else -1
    return -1


def _title_at(tokens: Sequence[Token], i: int, sections: Sections) -> tuple[int, str, bool] | None:
    """(end of the title and its colon, kind, whether it reports on the section before) when a
    section title starts at token i."""
    for words, kind in sections.by_first.get(tokens[i].lower, ()):
        size = len(words)
        if tuple(x.lower for x in tokens[i : i + size]) != words:
            continue
        end = _title_end(tokens, i, size)
        if end >= 0:
            return end, kind, words in sections.reporting
    return None


def layout(tokens: Sequence[Token], sections: Sections, text: str) -> Layout:
    """Sentences, scopes and sections of a tokenised text."""
    out = Layout(tokens)
    n = len(tokens)
    out.kinds.append(PREAMBLE)
    out.titles.append("")
    out.reports.append(False)
    out.heading = [False] * n
    out._new_sentence = [False] * n
    out._scope_break = [False] * n
    out._clause_break = [False] * n
    out._section = [0] * n
    out.paragraph = [0] * n
    section = sentence = paragraph = i = 0
    after_title = False
    while i < n:
        gap = tokens[i].gap
        paragraph += gap.count("\n") > 1
        out.paragraph[i] = paragraph
        starts = i == 0 or after_title or bool(gap and _sentence_end(gap))
        if starts and i:
            sentence += 1
        out._new_sentence[i] = starts
        out._scope_break[i] = starts or ";" in gap
        out._clause_break[i] = bool(gap) and not _CLAUSE.isdisjoint(gap)
        after_title = False
        title = _title_at(tokens, i, sections) if starts else None
        if title is None:
            out._section[i] = section
            out.sentence.append(sentence)
            i += 1
            continue
        end, kind, reports = title
        out.kinds.append(sections.kinds[kind])
        out.reports.append(reports)
        out.titles.append(text[tokens[i].start : tokens[end - 1].end])
        section = len(out.kinds) - 1
        for k in range(i, end):
            out.paragraph[k] = paragraph
            out.heading[k] = True
            out._section[k] = section
            out.sentence.append(sentence)
        for k in range(i + 1, end):
            out._new_sentence[k] = out._scope_break[k] = out._clause_break[k] = False
        i = end
        after_title = True
    _blocks(out, n)
    return out


def _blocks(out: Layout, n: int) -> None:
    b = 0
    for i in range(n):
        if i and (out.heading[i] != out.heading[i - 1] or out.paragraph[i] != out.paragraph[i - 1]):
            b = i
        out.block.append(b)
