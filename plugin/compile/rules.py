"""From a page's classified lines to coding rules (the guidance-coding schema, v0.1).

One pass over the lines with a small state: the current variant (a block, or the implied single
variant), the open choice ("One of the following", "Codes available are:", "A code from category
S07.- below"), whether a standalone "Or" was just seen. Notes and sentences are handled after the
code lines (`plugin.compile.notes`); what the text leaves open is recorded as an ambiguity.
"""

from __future__ import annotations

import re
from typing import Any

from plugin.compile.grammar import Line, parse_line
from plugin.compile.notes import apply_note, diagnosis_slots, note
from plugin.compile.page import Page
from plugin.compile.refs import OPCS4, code_ref, condition_of, decided_by, role_of, slot, slug
from plugin.compile.sentences import chapter, open_choice, sentence

Doc = dict[str, Any]
_HEADER_WITHOUT_COLON = re.compile(
    r"(?!(?:the|this|that|each|any|a|an|one)\b)"
    r"(?:[A-Za-z/-]+ ){1,3}(?:procedure|approach|technique)",
    re.I,
)
_CHAPTER_Z = re.compile(r"Chapter\s+['\u2018\u2019]?Z['\u2018\u2019]?\s+(?:site\s+)?code", re.I)


class _Builder:
    def __init__(self, page: Page, title: str | None) -> None:
        self.page = page
        self.doc: Doc = {
            "schema_version": "0.1",
            "id": f"ipg{page.ipg or 0:03d}",
            "ipg": page.ipg or 0,
            "title": title or page.title,
            "source": {
                "url": page.url or "",
                "page_file": "",
                "heading": page.heading,
                "layout": page.layout,
                "stated_opcs_version": page.stated_opcs_version,
                "era": "2003-2013",
                "completeness": page.completeness,
                "truncated_at": page.truncated_at,
                "alt_copies": [],
            },
            "status": "coded",
            "variants": [],
            "shared_slots": [],
            "variant_preference": None,
            "diagnoses": [],
            "snomed_ct": [],
            "notes": [],
            "ambiguities": [],
        }
        self.cur: Doc | None = None
        # "one-of" | "options" | "from-category" | "plus-list": how the next code lines are read
        self.mode: str | None = None
        self.mode_slot: Doc | None = None
        self.mode_words = ""
        self.after_or = False
        self.notes: list[Line] = []
        self.seen_dx = False
        self.snomed_role = "procedure"

    # --- variants and slots -------------------------------------------------------------
    def variant(self, vid: str, label: str | None, kind: str, value: str) -> Doc:
        """Start a variant (a block, an alternative); its id made unique."""
        ids = {v["id"] for v in self.doc["variants"]}
        base, n = vid, 2
        while vid in ids:
            vid, n = f"{base}-{n}", n + 1
        v: Doc = {
            "id": vid,
            "label": label,
            "selector": {"kind": kind, "value": value, "as_stated": None},
            "slots": [],
        }
        self.doc["variants"].append(v)
        self.cur = v
        return v

    def current(self) -> Doc:
        """The variant being built, the implied single one when the page has no blocks."""
        return self.cur if self.cur is not None else self.variant("main", None, "single", "single")

    def add_slot(self, role: str, cands: list[Doc], **kw: Any) -> Doc:
        """Append a slot to the current variant, numbered in coding order."""
        v = self.current()
        s = slot(len(v["slots"]) + 1, role, cands, **kw)
        v["slots"].append(s)
        return s

    # --- lines ----------------------------------------------------------------------------
    def header(self, line: Line) -> None:
        """A block header: "Open procedure:" (approach), "Stage 1", "LASIK (...):" (technique)."""
        label = line.text
        self.mode = None
        if label.startswith("Stage"):
            self.variant(slug(label), label, "stage", label.lower())
            return
        abbrev = re.search(r"\(([A-Z]{2,})\)", label)
        if abbrev:
            self.variant(slug(abbrev.group(1)), label, "technique", abbrev.group(1))
            return
        word = re.split(r"[\s/]+", label)[0].lower()
        self.variant(slug(word), label, "approach", word)

    def code_line(self, line: Line) -> None:
        """A line that starts with a code: its codes, alternatives ("or"), companions ("plus")."""
        parsed = parse_line(line.text)
        if not parsed.refs:
            self.notes.append(line)
            return
        if self.seen_dx and all(self._in_dx(r.code) for r in parsed.refs):
            self.doc["notes"].append(note("duplicate-line", line.original, True))
            return
        cond = condition_of(line.text)
        typo = self.page.typos.get(line.text)
        cands = [code_ref(r, OPCS4, line.original) for r in parsed.refs[:1]]
        rest = parsed.refs[1:]
        for r in list(rest):
            if r.conn != "or":
                break
            cands.append(code_ref(r, OPCS4, line.original))
            rest.remove(r)
        if typo:
            for c in cands:
                c["typo"] = typo
        self._place(cands, cond, line)
        for r in rest:  # "plus" companions on the same line
            c = code_ref(r, OPCS4, line.original)
            self.add_slot(role_of(c["code"], False), [c], source="sentence")
        self.after_or = False

    def _place(self, cands: list[Doc], cond: dict[str, str] | None, line: Line) -> None:
        code = cands[0]["code"]
        v = self.cur
        if self.mode == "plus-list":
            # "Plus the following code:" -> the codes below form one companion slot
            role = role_of(code, False)
            self.mode, self.mode_slot = "one-of", self.add_slot(role, [], source="sentence")
        if self.mode in ("one-of", "from-category") and self.mode_slot is not None:
            slot_role = self.mode_slot["role"]
            if slot_role != "main" or role_of(code, True) == "main":
                self.mode_slot["candidates"].extend(cands)
                return
            self.mode = None  # a Y or Z code after a list of main codes: the list has ended
        if self.mode == "options":
            self.variant(slug(code), None, "procedure-detail", code)
        mains = [s for s in v["slots"] if s["role"] == "main"] if v is not None else []
        role = role_of(code, True)
        if role == "main" and mains and v is not None and self.mode != "options":
            main = mains[0]
            head = _head(main)
            if v["slots"][-1] is main and head[:3] == code[:3]:
                main["candidates"].extend(cands)  # a list of codes of one category
                det = decided_by(line.text, "main", main["candidates"])
                main["determined_by"] = {"kind": det, "as_stated": None}
                return
            if self.after_or and len(v["slots"]) == 1:
                main["candidates"].extend(cands)
                det = decided_by("", "main", main["candidates"]) or "procedure-detail"
                main["determined_by"] = {"kind": det, "as_stated": None}
                self.ambiguity(
                    f"/variants/{len(self.doc['variants']) - 1}/slots/0",
                    "A standalone 'Or' between two main codes; the codes after them are read as "
                    "applying to both.",
                    "one main slot with both codes as candidates",
                    ["two alternative variants"],
                )
                return
            if head[:1] == code[:1]:
                self.variant(slug(code), None, "alternative-solution", code)
                if not self.after_or and v["slots"][-1] is not main:
                    self.ambiguity(
                        "/variants",
                        "A second main code of the same chapter follows the first one's "
                        "companion codes with nothing but blank lines between them.",
                        "two alternative variants",
                        ["one sequence"],
                    )
            else:
                role = "supplementary"
        elif (
            v is not None
            and v["slots"]
            and role not in ("main", "supplementary", "qualifier")
            and v["slots"][-1]["role"] == role
            and _head(v["slots"][-1])[:3] == code[:3]
            and v["slots"][-1]["source"] == "code-line"
        ):
            last = v["slots"][-1]
            last["candidates"].extend(cands)
            last["select"] = "one-or-more" if role == "image-control" else "one"
            last["determined_by"] = {
                "kind": decided_by(line.text, role, last["candidates"]),
                "as_stated": None,
            }
            return
        if cond and role == "image-control":
            cond["kind"] = "image-control"  # "(if used)" on a Y53 code: if image control was used
        det = decided_by(line.text, role, cands)
        self.add_slot(
            role,
            cands,
            requirement="conditional" if cond else "required",
            condition=cond,
            determined_by={"kind": det, "as_stated": None} if det else None,
        )

    def text_line(self, line: Line) -> None:
        """Running text: selection instructions, lists that follow, sentences naming codes."""
        t, o = line.text, line.original
        low = t.lower()
        parsed = parse_line(t)
        if (
            low.startswith("plus")
            and not parsed.refs
            and not _CHAPTER_Z.search(t)
            and ("relevant code" not in low)
        ):
            self.mode = "plus-list" if t.rstrip().endswith(":") else None
            self.doc["notes"].append(note("instruction", o, False))
        elif "cannot be expressed" in low:
            self.doc["status"] = "no-single-code"
            self.doc["notes"].append(note("limitation", o, False))
        elif low.startswith("the opcs-4 codes for"):
            self.doc["notes"].append(note("preamble", o, True))
        elif "one of the following" in low and not parsed.refs:
            open_choice(self, o, low)
        elif "codes available" in low or "dependent on what has been" in low:
            self.mode = "options"
            self.doc["notes"].append(note("selection", o, False))
        elif "secondary code" in low or re.search(r"also (?:be )?(?:assigned|recorded)", low):
            self.notes.append(line)
        elif "plus a relevant code" in low and not parsed.refs:
            open_choice(self, o, low, role="approach")
        elif _CHAPTER_Z.search(t) or "body system chapter code" in low:
            chapter(self, o, low)
        elif parsed.refs and t.rstrip().endswith(":"):
            ref = code_ref(parsed.refs[0], OPCS4, o)
            self.mode = "from-category"
            self.mode_slot = self.add_slot(
                "main",
                [],
                from_category=ref,
                source="sentence",
                determined_by={"kind": "procedure-detail", "as_stated": None},
            )
            self.doc["notes"].append(note("instruction", o, False))
        elif parsed.refs:
            sentence(self, o, low, parsed.refs)
        elif _HEADER_WITHOUT_COLON.fullmatch(t.strip()):
            # "Open procedure" printed without its colon is still a block header
            self.header(Line("HEADER", t.strip(), t.strip(), o))
        else:
            self.notes.append(line)

    def icd(self, line: Line) -> None:
        """An ICD-10 sentence: its diagnosis slots, and notes for what follows it."""
        self.mode = None
        slots, extra = diagnosis_slots(line.text, line.original)
        for s in slots:
            s["seq"] = len(self.doc["diagnoses"]) + 1
            self.doc["diagnoses"].append(s)
        self.doc["notes"].extend(extra)
        self.seen_dx = True

    def _in_dx(self, code: str) -> bool:
        from plugin.compile.refs import form_of

        canon = form_of(code)[1]
        return any(c.get("code") == canon for d in self.doc["diagnoses"] for c in d["candidates"])

    def ambiguity(self, path: str, issue: str, chosen: str, others: list[str]) -> None:
        """Record a place where the text allows two readings, with the one chosen."""
        self.doc["ambiguities"].append(
            {"path": path, "issue": issue, "chosen": chosen, "other_readings": others}
        )

    def run(self) -> Doc:  # noqa: PLR0912 - one branch per line kind of the grammar
        """Read every line, then apply the notes, then tidy the variants."""
        for line in self.page.lines:
            kind = line.kind
            if kind == "HEADER":
                self.header(line)
            elif kind == "CODE_LINE":
                self.code_line(line)
            elif kind in ("INCLUDES", "EXCLUDES"):
                self._attach(line)
            elif kind == "OR_LINE":
                self.after_or = True
                self.mode = None
            elif kind == "ICD":
                self.icd(line)
            elif kind == "BOILER":
                self.doc["notes"].append(note("boilerplate", line.original, True))
            elif kind == "SNOMED_HEAD":
                self.doc["notes"].append(note("preamble", line.original, True))
                if line.text.startswith("Diagnosis"):
                    self.snomed_role = "diagnosis"
            elif kind == "SNOMED_ROW":
                m = re.match(r"(.+?)\s*\((\d+)\)", line.text)
                if m:
                    self.doc["snomed_ct"].append(
                        {
                            "role": self.snomed_role,
                            "concept_id": m.group(2),
                            "term": m.group(1).strip(),
                            "as_stated": line.original,
                        }
                    )
            elif kind in ("NOTE", "TEXT"):
                self.text_line(line) if kind == "TEXT" else self.notes.append(line)
        for line in self.notes:
            apply_note(self, line)
        self._finish()
        return self.doc

    def _attach(self, line: Line) -> None:
        v = self.cur
        if v is None or not v["slots"] or not v["slots"][-1]["candidates"]:
            return
        cand = v["slots"][-1]["candidates"][-1]
        key = "includes" if line.kind == "INCLUDES" else "excludes"
        cand.setdefault(key, []).append(line.original.split(":", 1)[1].strip())

    def _finish(self) -> None:
        doc = self.doc
        for v in doc["variants"]:
            v["slots"] = [s for s in v["slots"] if s["candidates"]]
            for i, s in enumerate(v["slots"], 1):
                s["seq"] = i
        doc["variants"] = [v for v in doc["variants"] if v["slots"]]
        if (
            doc["completeness"] == "truncated-in-codes"
            if False
            else (doc["source"]["completeness"] == "truncated-in-codes" and doc["variants"])
        ):
            doc["variants"][-1]["truncated"] = True
            self.ambiguity(
                f"/variants/{len(doc['variants']) - 1}",
                f"The page is cut inside the code list (at '{self.page.truncated_at}'); "
                "codes after the cut are lost.",
                "the codes before the cut",
                ["further codes, variants or an ICD-10 sentence after the cut"],
            )
        if not doc["variants"] and doc["status"] == "coded":
            doc["status"] = "codes-not-visible"


def _head(slot: Doc) -> str:
    """The first candidate code of a slot ("" while a list has none yet)."""
    return str((slot["candidates"][0].get("code") or "") if slot["candidates"] else "")


def build_rules(page: Page, title: str | None = None, page_file: str = "") -> Doc:
    """The coding rules of one page, in the guidance-coding schema (v0.1)."""
    doc = _Builder(page, title).run()
    doc["source"]["page_file"] = page_file
    return doc
