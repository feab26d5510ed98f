"""Notes and sentences: the Y53 image-control rule, companion codes "also assigned when ...",
supplementary codes, sequencing ("in second place", "as a secondary code"), the choice between
codes a note explains, and the ICD-10 sentences (alternatives, placeholders, conditions).
"""

from __future__ import annotations

import re
from typing import Any

from plugin.compile.builder import Builder as _Builder
from plugin.compile.grammar import BOILERPLATE, Line, parse_line
from plugin.compile.refs import ICD10, OPCS4, code_ref, decided_by, form_of, role_of, slot

Doc = dict[str, Any]


_SENTENCE = re.compile(r"(?<=[.])\s+(?=[A-Z])")
_PAREN_CODES = re.compile(r"\(\s*((?:[A-Z]\d\d(?:-[A-Z]\d\d)?\s*,?\s*)+)\)")


def note(kind: str, text: str, ignore: bool, **kw: Any) -> Doc:
    """A schema note; boilerplate gets its id."""
    bp = next((k for k, v in BOILERPLATE.items() if v in text), None) if ignore else None
    codes = [form_of(r.code)[1] for r in parse_line(text).refs] if not ignore else []
    out: Doc = {
        "kind": kind,
        "as_stated": text,
        "ignore": ignore,
        "boilerplate_id": bp,
        "codes_mentioned": codes,
        "encoded_in": None,
    }
    out.update(kw)
    return out


def _all_slots(doc: Doc) -> list[Doc]:
    return [s for v in doc["variants"] for s in v["slots"]] + list(doc["shared_slots"])


def _default(text: str) -> Doc | None:
    """ "If the method ... is unspecified, Y53.9 ... is assigned" -> the default code."""
    # Only a conditional clause names a default ("if the method ... is unspecified, Y53.9");
    # a title that says "unspecified" ("C22.9 ... liver, unspecified or C78.7") does not.
    m = re.search(
        r"\b(?:is|are)\s+(?:unspecified|not specified|not known)[^.;]*?\b([A-Z]\d\d\.\d[^.,;]*)",
        text,
    )
    if not m:
        return None
    refs = parse_line(m.group(1)).refs
    if not refs:
        return None
    when = text[: m.start(1)].rsplit(".", maxsplit=1)[-1].rsplit(":", maxsplit=1)[-1].strip(" ,")
    return {"code_ref": code_ref(refs[0], OPCS4, m.group(1)), "when": when[:1].upper() + when[1:]}


def apply_note(b: _Builder, line: Line) -> None:
    """Apply a Note (or a running-text line) to the rules built so far."""
    t, low, doc = line.original, line.text.lower(), b.doc
    if parse_line(t).refs != parse_line(line.text).refs:
        t = line.text  # a mended code: parse the mended line
    if "y53" in low and ("secondary code" in low or "image control" in low):
        _image_control(b, t)
    elif "dependent on whether" in low or "in a case where" in low:
        _split(b, t)
    elif "second place" in low or "secondary code when" in low:
        _sequencing(b, t, low)
    elif "supplementary" in low or "subsidiary" in low or "additional code from categ" in low:
        _supplementary(b, t, low)
    elif re.search(r"also (?:be )?(?:assigned|recorded)", low) and parse_line(t).refs:
        ref = code_ref(parse_line(t).refs[0], OPCS4, t)
        m = re.search(r"\b(when|if) (.+?)(?:\.|$)", t)
        role = role_of(ref["code"], False)
        kind = "image-control" if role == "image-control" else "if-performed"
        cond = {"kind": kind, "as_stated": m.group(0).rstrip(".") if m else t}
        _shared(b, [ref], cond, role, None, None)
        doc["notes"].append(note("instruction", t, False))
    elif low.startswith("it is not possible"):
        doc["notes"].append(note("limitation", t, False))
    else:
        doc["notes"].append(note("instruction", t, False))


def _shared(  # noqa: PLR0913, PLR0917 - internal step sharing the builder's state
    b: _Builder,
    cands: list[Doc],
    cond: Doc | None,
    role: str,
    det: str | None,
    seq: Doc | None,
    default: Doc | None = None,
) -> Doc:
    doc = b.doc
    applies = [v["id"] for v in doc["variants"]] or ["main"]
    if not doc["variants"]:
        b.current()
    s = slot(
        90 + len(doc["shared_slots"]),
        role,
        cands,
        requirement="conditional" if cond else "required",
        condition=cond,
        determined_by={"kind": det, "as_stated": None} if det else None,
        sequencing=seq,
        default=default,
        source="note",
        applies_to=applies,
    )
    doc["shared_slots"].append(s)
    return s


def _image_control(b: _Builder, t: str) -> None:
    doc = b.doc
    dflt = _default(t)
    m = re.search(r"[^.:]*used as secondary codes[^.:]*[.:]?", t)
    seq = {"rule": "secondary-code", "ref": None, "as_stated": m.group(0).strip() if m else t}
    existing = [s for s in _all_slots(doc) if any(c.get("code") == "Y53" for c in s["candidates"])]
    kind = "secondary-code-rule"
    if existing:
        for s in existing:
            s["default"] = dflt
            s["sequencing"] = seq
    elif "may also be assigned" in t or "if image control" in t:
        y53 = next(r for r in parse_line(t).refs if r.code.startswith("Y53"))
        cm = re.search(r"if image control[^.]*", t)
        cond = {"kind": "image-control", "as_stated": cm.group(0) if cm else t}
        s = _shared(
            b, [code_ref(y53, OPCS4, t)], cond, "image-control", "image-control-method", seq, dflt
        )
        if len(doc["variants"]) > 1:
            b.ambiguity(
                f"/shared_slots/{len(doc['shared_slots']) - 1}/applies_to",
                "'these procedures' is read as every block of the page.",
                "all variants",
                ["only the blocks where image control is usual (percutaneous, laparoscopic)"],
            )
        del s  # recorded in doc
    doc["notes"].append(note(kind, t, False))


def _split(b: _Builder, t: str) -> None:
    """A note that says which of the listed main codes applies when: one variant per code."""
    doc = b.doc
    doc["notes"].append(note("selection", t, False))
    if len(doc["variants"]) != 1:
        return
    v = doc["variants"][0]
    mains = [s for s in v["slots"] if s["role"] == "main"]
    cands = [c for s in mains for c in s["candidates"]]
    if len(cands) < 2:
        return
    others = [s for s in v["slots"] if s["role"] != "main"]
    doc["variants"] = []
    b.cur = None
    for i, c in enumerate(cands):
        m = re.search(rf"(\w[\w-]*)\s*\({re.escape(c['code'])}\)", t)
        kind = "approach" if m else "procedure-detail"
        value = m.group(1) if m else c["code"]
        nv = b.variant(re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-"), None, kind, value)
        nv["selector"]["as_stated"] = m.group(0) if m else None
        nv["slots"] = [slot(1, "main", [c])]
        if i == len(cands) - 1:
            for k, s in enumerate(others, 2):
                s["seq"] = k
                nv["slots"].append(s)
    b.ambiguity(
        "/variants",
        "The codes are printed one after another; only the note splits "
        "them into cases. Companion codes printed after the last one are read as its own.",
        "one variant per main code",
        ["one slot with a choice of codes"],
    )


def _sequencing(b: _Builder, t: str, low: str) -> None:
    doc = b.doc
    doc["notes"].append(note("sequencing", t, False))
    refs = parse_line(t).refs
    if "second place" in low and refs:
        cat = form_of(refs[0].code)[1]
        for s in _all_slots(doc):
            if any(c.get("code") == cat for c in s["candidates"]):
                m = re.search(r"[^.:]*second place[^,.;]*", t)
                s["sequencing"] = {
                    "rule": "second-place",
                    "ref": None,
                    "as_stated": m.group(0).strip() if m else t,
                }
                s["default"] = _default(t)
    elif doc["variants"]:
        main = doc["variants"][0]["slots"][0]
        m = re.search(r"when associated with (.+?)(?:\s*\(([A-Z]\d\d)\))?$", t)
        main["sequencing"] = {
            "rule": "secondary-when-with",
            "ref": m.group(2) if m and m.group(2) else None,
            "as_stated": t.split(":", 1)[-1].strip(),
        }


def _supplementary(b: _Builder, t: str, low: str) -> None:
    doc = b.doc
    refs = parse_line(t).refs
    paren = _PAREN_CODES.search(t)
    named = [c.strip() for c in paren.group(1).split(",")] if paren else []
    heads = {n[:3] for n in named if "-" not in n}
    marked = False
    for s in _all_slots(doc):
        if heads and any((c.get("code") or "")[:3] in heads for c in s["candidates"]):
            s["sequencing"] = {"rule": "supplementary-to-main", "ref": None, "as_stated": t}
            marked = True
    if marked or (heads and len(named) > 1):
        doc["notes"].append(note("instruction", t, False))
        return
    cands = [code_ref(r, OPCS4, t) for r in refs if "-" in r.code or r.code[:3] in heads]
    if not cands:
        cands = [code_ref(r, OPCS4, t) for r in refs]
    if not cands:
        doc["notes"].append(note("instruction", t, False))
        return
    det = decided_by(t, "supplementary", cands)
    seq = (
        {"rule": "supplementary-to-main", "ref": None, "as_stated": t}
        if "supplementary" in low or "subsidiary" in low
        else None
    )
    cond = {"kind": "if-performed", "as_stated": t}
    _shared(b, cands, cond, "supplementary", det, seq)
    doc["notes"].append(note("instruction", t, False))


# --- ICD-10 sentences --------------------------------------------------------------------
def diagnosis_slots(text: str, stated: str) -> tuple[list[Doc], list[Doc]]:  # noqa: PLR0912
    """The diagnosis slots of an ICD-10 sentence (and notes for the sentences after it)."""
    if parse_line(text).refs == parse_line(stated).refs:
        text = stated  # no typo mended: quote the page as it is
    sentences = _SENTENCE.split(text)
    first, rest = sentences[0], sentences[1:]
    quoted = _SENTENCE.split(stated)[0]
    low = first.lower()
    requirement, cond = "required", None
    if "may be recorded" in low:
        requirement = "optional"
    m = re.search(r"\bif the (?!site)[^,]*?(?:took place|was done|is done)[^.]*", first)
    if m:
        requirement, cond = "conditional", {"kind": "indication", "as_stated": m.group(0)}
    slots: list[Doc] = []
    dflt = _default(first)
    refs = [
        r
        for r in parse_line(first).refs
        if dflt is None or form_of(r.code)[1] != dflt["code_ref"]["code"]
    ]
    group: list[Doc] = []
    combo: list[Doc] | None = None
    split_next = False
    for r in refs:
        c = code_ref(r, ICD10, quoted)
        if text != stated:
            c["typo"] = "space inside a code"
        if combo is not None:
            combo.append(c)
            continue
        if (split_next or r.conn == "and") and group:
            # "C78.7 ... and C18.9 ..." (or "... and a code from C18.-"): both are assigned
            slots.append(_dx(group, requirement, cond, quoted))
            group = []
        group.append(c)
        title = r.title or ""
        split_next = "and a code from" in title
        if "or a combination" in title:
            combo = []
    if combo:
        group.append(
            {"form": "combination", "all_of": combo, "as_stated": first, "sequencing": None}
        )
    notes: list[Doc] = []
    if group:
        slots.append(_dx(group, requirement, cond, quoted))
    elif "icd-10 code" in low:
        if dflt:
            dflt["code_ref"]["system"] = ICD10
        det = "site" if "site" in low else "diagnosis-detail"
        unspec = {
            "system": ICD10,
            "form": "unspecified",
            "code": None,
            "title": None,
            "as_stated": quoted,
        }
        slots.append(
            {
                "seq": 1,
                "requirement": requirement,
                "condition": cond,
                "select": "one-or-more" if "codes are" in low else "one",
                "candidates": [unspec],
                "determined_by": {"kind": det, "as_stated": None},
                "default": dflt,
                "as_stated": quoted,
            }
        )
    for s in rest:
        if "when present" in s:
            unspec = {
                "system": ICD10,
                "form": "unspecified",
                "code": None,
                "title": None,
                "as_stated": s,
            }
            slots.append(
                {
                    "seq": 2,
                    "requirement": "conditional",
                    "condition": {"kind": "if-present", "as_stated": "when present"},
                    "select": "one",
                    "candidates": [unspec],
                    "determined_by": {"kind": "site", "as_stated": None},
                    "default": None,
                    "as_stated": s,
                }
            )
        else:
            notes.append(note("sequencing", s, False))
    return slots, notes


def _dx(cands: list[Doc], requirement: str, cond: Doc | None, text: str) -> Doc:
    choice = len(cands) > 1 or any(c["form"] != "code" for c in cands)
    return {
        "seq": 1,
        "requirement": requirement,
        "condition": cond,
        "select": "one",
        "candidates": cands,
        "determined_by": {"kind": "diagnosis-detail", "as_stated": None} if choice else None,
        "default": None,
        "as_stated": text,
    }


__all__ = ["apply_note", "diagnosis_slots", "note", "role_of"]
