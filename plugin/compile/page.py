"""Reading a page: where it came from, its heading and layout, whether it was cut short.

The text is a NICE coding section as a page or a copy of one renders it, possibly with the page
around it. Lines are stripped of bullets and indentation; codes broken by typos ("Z92. 1",
"codeY53.4", "orY75.4") are mended for parsing and the typo is recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plugin.compile.grammar import CODE_RE, Line, parse_page

# The section starts at its heading; what comes before is the rest of the page.
_HEADINGS = ("OPCS4.6 Code(s)", "Coding recommendations", "Clinical classification codes")
# A page landmark after the section: the section is complete.
_LANDMARKS = ("Get involved", "Your responsibility", "Details")
_IPG = re.compile(r"(?i)\bIPG\s?0*(\d{1,4})\b|guidance/ipg0*(\d{1,4})")
# Typos inside code lines, mended before parsing (pattern, replacement, what it was).
_MENDS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"\b([A-Z]\d\d)\. ([0-9X-])"), r"\1.\2", "space inside a code"),
    (re.compile(rf"(?<=[a-z])(?={CODE_RE}\b)"), " ", "word glued to a code"),
)
_TITLE_RE = (
    re.compile(r"The OPCS-4 codes for (.+?) are:"),
    re.compile(r"(?:full )?guidance to the NHS in [^.]*? on (?:the use of )?(.+?)\.\s"),
)


@dataclass
class Page:
    """A page read: its lines (classified), source facts and the typos mended."""

    url: str | None
    ipg: int | None
    lines: list[Line]
    heading: str
    layout: str
    stated_opcs_version: str | None
    completeness: str
    truncated_at: str | None
    title: str | None
    typos: dict[str, str] = field(default_factory=dict)  # mended line -> what was wrong


def mend(text: str) -> tuple[str, list[str]]:
    """The line with code typos mended, and the kinds of typo found."""
    found = []
    for pattern, repl, what in _MENDS:
        text, n = pattern.subn(repl, text)
        if n:
            found.append(what)
    return text, found


def read_page(text: str, file_name: str | None = None, ipg: int | None = None) -> Page:
    """Read a page's text: section lines, URL, IPG number, heading, layout and completeness."""
    raw = [ln.strip().lstrip("\u2022").strip() for ln in text.replace("\r", "").split("\n")]
    title = _title(" ".join(raw) + " ")
    start = next((i for i, ln in enumerate(raw) if ln.startswith(_HEADINGS)), None)
    url_line = raw[0] if raw and raw[0].startswith("http") else None
    body = raw[start:] if start is not None else raw[1 if url_line else 0 :]
    url, lines = parse_page("\n".join(([url_line] if url_line else []) + body))
    heading = next((ln.text for ln in lines if ln.kind == "HEADING"), "")
    number = ipg or _ipg_of(url, file_name, text)
    page = Page(url, number, [], heading, _layout(lines, heading), None, "complete", None, title)
    if heading.startswith("OPCS4.6"):
        page.stated_opcs_version = "4.6"
    kept: list[Line] = []
    for ln in lines:
        if ln.kind == "BOILER" and any(ln.text.startswith(m) for m in _LANDMARKS):
            break
        mended, typos = mend(ln.text)
        if typos:
            page.typos[mended] = ", ".join(typos)
        kept.append(Line(ln.kind, mended, ln.block, ln.text))
    page.lines = kept
    page.completeness, page.truncated_at = _completeness(text, lines)
    return page


def _title(joined: str) -> str | None:
    for pattern in _TITLE_RE:
        m = pattern.search(joined)
        if m:
            return m.group(1).strip()
    return None


def _ipg_of(url: str | None, file_name: str | None, text: str) -> int | None:
    for source in (url, file_name, text):
        m = _IPG.search(source or "")
        if m:
            return int(m.group(1) or m.group(2))
    return None


def _layout(lines: list[Line], heading: str) -> str:
    if any(ln.kind == "SNOMED_HEAD" for ln in lines):
        return "snomed-ct-table"
    if heading.startswith("Clinical classification"):
        return "resource-clinical-classification-codes"
    if heading.startswith("OPCS4.6 Code(s):"):
        return "legacy-guidance-opcs46"
    if heading.startswith("OPCS4.6"):
        return "overview-opcs46-bulleted"
    if any(ln.text.startswith("The OPCS-4 codes for") for ln in lines):
        return "coding-recommendations-2015"
    return "overview-coding-recommendations"


def _completeness(text: str, lines: list[Line]) -> tuple[str, str | None]:
    """complete (a landmark closes the section), complete-as-stored (the copy ends after a full
    sentence or code line), truncated-after-codes (cut in trailing boilerplate) or
    truncated-in-codes (cut inside the code list)."""
    if any(ln.kind == "BOILER" and ln.text.startswith(_LANDMARKS) for ln in lines):
        return "complete", None
    last = next((ln for ln in reversed(lines) if ln.text), None)
    tail = text.rstrip()[-40:]
    if last is None:
        return "complete-as-stored", None
    if last.kind == "BOILER":
        done = last.text.endswith((".", "codingcoding", "clinicalcoding", "provided."))
        return ("complete", None) if done else ("truncated-after-codes", tail)
    if last.kind in ("CODE_LINE", "NOTE") and not _ends_cleanly(last.text):
        return "truncated-in-codes", tail
    return "complete-as-stored", None


def _ends_cleanly(text: str) -> bool:
    """False when a line stops mid-word: a note without its full stop, or a code line whose
    last word is a short lower-case fragment ("Y75.2 Laparoscopic appr")."""
    if text.startswith("Note"):
        return text.endswith((".", ")"))
    last = text.rsplit(maxsplit=1)[-1] if text.split() else ""
    return not (last.isalpha() and last.islower() and len(last) <= 4 and last not in _SHORT)


_SHORT = frozenset({"of", "and", "or", "for", "to", "the", "a", "leg", "arm", "eye", "hip", "jaw"})
