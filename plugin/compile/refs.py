"""Code references: form, canonical code, title as stated, role and what decides a category.

The knowledge here is about how OPCS-4 and ICD-10 are written and used in coding rules in
general (a category "Y53.-", a range "X70-X72", the Y-chapter method and approach codes, Z-chapter
sites, Z94 laterality), never about one guidance.
"""

from __future__ import annotations

import re
from typing import Any

from plugin.compile.grammar import Ref

OPCS4 = "OPCS-4"
ICD10 = "ICD-10"

# Words that end a title inside running text ("... of lung is assigned.").
_TITLE_END = re.compile(
    r"\s+(?:is|are|would|should|may|will|below|to identify|to specify|if the|if this)\b.*$"
    r"|[\s.,;]+$|\s+and a code from.*$|\s+or a combination.*$"
)
_CONDITION = re.compile(r"\s*\(((?:if|when|where) [^)]*)\)\s*")
# Y-chapter codes by what they say (OPCS-4 chapter Y: methods, approaches, qualifiers).
_APPROACH = ("Y49", "Y50", "Y74", "Y75", "Y76", "Y79")
_QUALIFIER = ("Y70", "Y71")
# Words of a sentence or title that say what decides the choice among candidates.
_DECIDERS = (
    ("levels of spine", "levels-of-spine"),
    ("artery", "artery"),
    ("stent", "stent-type-and-number"),
    ("inpatient", "care-setting"),
    ("extraction of lens", "lens-extraction-method"),
    ("cadaver", "donor-type"),
    ("site", "site"),
)


def form_of(code: str) -> tuple[str, str]:
    """(form, canonical code): "Y53.-" -> category Y53; "X70-X72" -> category-range; "L76" ->
    category; "C61.X" stays a code (the NHS filler)."""
    if re.fullmatch(r"[A-Z]\d\d-[A-Z]\d\d", code):
        return "category-range", code
    if code.endswith(".-"):
        return "category", code[:3]
    if re.fullmatch(r"[A-Z]\d\d", code):
        return "category", code
    return "code", code


def code_ref(ref: Ref, system: str, line: str) -> dict[str, Any]:
    """A schema `code_ref` for a parsed reference; the title is kept as stated, cut at the
    running text that follows it."""
    form, code = form_of(ref.code)
    title = ref.title
    if title:
        title = _CONDITION.sub(" ", title).strip()
        title = _TITLE_END.sub("", title).strip() or None
    as_stated = f"{ref.code} {title}" if title and f"{ref.code} {title}" in line else line
    out: dict[str, Any] = {
        "system": system,
        "form": form,
        "code": code,
        "title": title,
        "as_stated": as_stated,
    }
    if system == ICD10 and code.endswith(".X"):
        out["x_filler"] = True
    if ref.mark:
        out["dagger_asterisk"] = "dagger" if ref.mark == "\u2020" else "asterisk"
    return out


def condition_of(text: str) -> dict[str, str] | None:
    """The condition a parenthetical or clause states: "(if applicable)", "(if carried out)",
    "(if fluoroscopic control has been used)", "(if a paired organ)"."""
    m = _CONDITION.search(text)
    if not m:
        return None
    stated = m.group(1)
    low = stated.lower()
    if "applicable" in low or "necessary" in low:
        kind = "if-applicable"
    elif "paired" in low:
        kind = "paired-organ"
    elif "control" in low or "image" in low:
        kind = "image-control"
    else:
        kind = "if-performed"
    return {"kind": kind, "as_stated": f"({stated})"}


def role_of(code: str, first: bool) -> str:  # noqa: PLR0911 - a table of roles
    """The role of an OPCS-4 code in its sequence (the schema's slot roles)."""
    head = code[:3]
    if head == "Y53":
        return "image-control"
    if head.startswith(_APPROACH):
        return "approach"
    if head.startswith(_QUALIFIER):
        return "qualifier"
    if head.startswith("Y"):
        return "method"
    if head == "Z94":
        return "laterality"
    if head.startswith("Z") or re.fullmatch(r"O1\d", head):
        return "site"
    return "main" if first else "supplementary"


def decided_by(words: str, role: str, refs: list[dict[str, Any]]) -> str | None:  # noqa: PLR0911
    """What decides the code when a slot has a choice (several candidates or a category)."""
    choice = len(refs) > 1 or any(r["form"] != "code" for r in refs)
    if not choice:
        return None
    if role == "image-control":
        return "image-control-method"
    if role == "laterality":
        return "laterality"
    low = (words + " " + " ".join(r["title"] or "" for r in refs)).lower()
    for needle, kind in _DECIDERS:
        if needle in low:
            return kind
    if role == "site":
        return "site"
    if role == "approach":
        return "approach-detail"
    return "procedure-detail"


def slot(seq: int, role: str, candidates: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    """A schema slot with the defaults of a plain code line."""
    out: dict[str, Any] = {
        "seq": seq,
        "role": role,
        "requirement": "required",
        "condition": None,
        "select": "one",
        "candidates": candidates,
        "from_category": None,
        "determined_by": None,
        "default": None,
        "sequencing": None,
        "source": "code-line",
    }
    out.update(kw)
    return out


def slug(text: str) -> str:
    """A concept-code form of a phrase: lower case, hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
