"""The two grammars of a coding section: lines of a page, and codes with connectives in a line.

A NICE coding section is a list of lines whose kind is told by how each line starts or what it
holds (a heading, a block header such as "Open procedure:", a code line, a standalone "Or", a
Note, an ICD-10 sentence, boilerplate); blocks group the lines under a header. Inside a line,
codes are joined by connectives ("or", "plus", "and") and followed by their titles. Both are
parsed with lark (LALR): an "or" is a connective only right before a code, else a word of a
title.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lark import Lark, LarkError, Token, Tree

# Boilerplate paragraphs NICE prints under coding sections: they carry no coding rule. Ids in the
# order tried (the first phrase found names the paragraph); the grammar uses every phrase.
BOILERPLATE = {
    "bp-source-cfh": "of NHS Connecting for Health is the central definitive source",
    "bp-source-hscic": "NHS Classifications Service of the Health and Social Care Information",
    "bp-source-ccs-hscic": "Clinical Classifications Service of the Health and Social Care",
    "bp-source": "is the central definitive source for clinical coding guidance",
    "bp-advised": "has advised NICE that currently these are the most suitable",
    "bp-snomed-terms": "SNOMED CT provides clinical terms",
    "bp-mandated": "mandated classifications",
    "bp-snomed-uktc": "UK Edition of SNOMED CT is managed",
    "bp-landmark": "Get involved",
}
_BOILER = "|".join(v.replace("(", r"\(").replace(")", r"\)") for v in BOILERPLATE.values())

# Line kinds, highest priority first; every terminal runs to the end of its line.
PAGE_GRAMMAR = rf"""
start: _NL* _item*
_item: block | entry
block: header _NL+ entry*
header: BLOCK | STAGE
entry: (BOILER | HEADING | SNOMED_HEAD | SNOMED_ROW | OR_LINE | NOTE | INCLUDES | EXCLUDES
        | ICD | CODE_LINE | TEXT | URL) _NL+

URL.9: /https?:\/\/\S+/
BOILER.8: /[^\n]*(?:{_BOILER})[^\n]*/
HEADING.7: /(?:OPCS4\.6 Code\(s\):?|Coding recommendations|Clinical classification codes)[ \t]*/
SNOMED_HEAD.7: /(?:SNOMED CT preferred term \(concept ID\)|Diagnosis or health condition)[ \t]*/
SNOMED_ROW.6: /[^\n\d]+\(\d{{6,18}}\)[ \t]*/
OR_LINE.6: /Or[ \t]*(?=\n)/
STAGE.6: /Stage \d+[ \t]*/
NOTE.5: /Note\b[^\n]*/
INCLUDES.5: /Includes:[^\n]*/
EXCLUDES.5: /Excludes:[^\n]*/
ICD.4: /[^\n]*ICD-10[^\n]*/
CODE_LINE.3: /[A-Z]\d\d(?:[ \t.\-][^\n]*)?(?=\n)/
BLOCK.2: /(?![^\n]*(?:\b[Cc]odes?\b|[Ff]ollowing|[A-Z]\d\d))[^\n]{{2,90}}:[ \t]*/
TEXT.1: /[^\n]+/
_NL: /\n/
"""

# A code: letter, two digits, then a 4th character (digits, filler X, a dagger/asterisk letter),
# a category dash ("Y53.-"), a range ("X70-X72"), or nothing (a 3-character category).
CODE_RE = r"[A-Z]\d\d(?:\.(?:\d{1,2}[A-Z]?|X|-)|-[A-Z]\d\d)?"

LINE_GRAMMAR = rf"""
start: words? ref (conn? ref)*
ref: CODE MARK? title?
title: words
words: WORD+
conn: OR | PLUS | AND
CODE.3: /{CODE_RE}(?!\w|\.\w)/
MARK.3: /[†*]/
OR.2: /or(?=\s*{CODE_RE})/i
PLUS.2: /plus(?=\s*{CODE_RE})/i
AND.2: /and(?=\s*{CODE_RE})/i
WORD: /(?![A-Z]\d\d)[^\s]+/
%ignore /\s+|\((?=\s*[A-Z]\d\d)/
"""

_page = Lark(PAGE_GRAMMAR, parser="lalr", lexer="contextual")
_line = Lark(LINE_GRAMMAR, parser="lalr", lexer="basic")


@dataclass
class Line:
    """One line of a page: its kind (the terminal name), text as stated, and block label."""

    kind: str
    text: str
    block: str | None = None
    stated: str = ""  # the line exactly as the page has it (text may have typos mended)

    @property
    def original(self) -> str:
        """The line as stated on the page."""
        return self.stated or self.text


@dataclass
class Ref:
    """A code as a line states it: the code text, dagger/asterisk mark, title, connective."""

    code: str
    title: str | None
    mark: str | None = None
    conn: str | None = None  # the connective before it: "or", "plus", "and"


@dataclass
class LineParse:
    """The codes of a line, the words before the first code and after the last title."""

    refs: list[Ref] = field(default_factory=list)
    lead: str = ""


def parse_page(text: str) -> tuple[str | None, list[Line]]:
    """Split a page into its URL (first line) and classified lines, each with its block label.

    A text the grammar cannot take whole (it should not happen: every line has a kind) is read
    line by line, a line that fails alone being plain text: never an error.
    """
    try:
        lines = _lines_of(_page.parse(text if text.endswith("\n") else text + "\n"))
    except LarkError:
        lines = []
        for raw in text.splitlines():
            try:
                lines.extend(_lines_of(_page.parse(raw + "\n")))
            except LarkError:
                lines.append(Line("TEXT", raw.strip()))
    url = lines[0].text if lines and lines[0].kind == "URL" else None
    # the first line's URL says where the copy was read; a URL further down is plain text
    return url, [ln for ln in (lines[1:] if url else lines) if ln.kind != "URL" and ln.text]


def _lines_of(tree: Tree[Token]) -> list[Line]:
    lines: list[Line] = []
    for child in tree.children:
        if not isinstance(child, Tree):
            continue
        if child.data == "entry":
            lines.append(_entry(child, None))
        elif child.data == "block":
            header = child.children[0]
            assert isinstance(header, Tree)
            label = str(header.children[0]).strip()
            lines.append(Line("HEADER", label, label))
            lines.extend(_entry(e, label) for e in child.children[1:] if isinstance(e, Tree))
    return lines


def _entry(entry: Tree[Token], block: str | None) -> Line:
    tok = entry.children[0]
    assert isinstance(tok, Token)
    return Line(str(tok.type), str(tok).strip(), block)


def parse_line(text: str) -> LineParse:
    """The codes of one line with their titles and connectives (a line without a code: none)."""
    try:
        tree = _line.parse(text)
    except LarkError:  # a line the grammar cannot read names no code it can use
        return LineParse()
    out = LineParse()
    conn: str | None = None
    for child in tree.children:
        assert isinstance(child, Tree)
        if child.data == "words" and not out.refs:
            out.lead = _words(child)
        elif child.data == "conn":
            conn = str(child.children[0]).lower().split()[0]
        elif child.data == "ref":
            code, mark, title = str(child.children[0]), None, None
            for part in child.children[1:]:
                if isinstance(part, Token):
                    mark = str(part)
                elif isinstance(part, Tree) and part.data == "title":
                    sub = part.children[0]
                    assert isinstance(sub, Tree)
                    title = _words(sub)
            out.refs.append(Ref(code, title, mark, conn))
            conn = None
        elif child.data == "words" and out.refs and out.refs[-1].title is None:
            out.refs[-1].title = _words(child)
    return out


def _words(tree: Tree[Token]) -> str:
    return " ".join(str(t) for t in tree.children)
