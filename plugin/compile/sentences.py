"""Running text that opens a list or names codes: "One of the following ... is selected:",
"Plus a relevant code to identify X approach from:", "Or one of the following codes to identify
Y approach:", "Chapter 'Z' code for site", "Body system chapter code (if applicable)", and
sentences such as "A code from category L76 ... should be added to specify ...".
"""

from __future__ import annotations

import copy
import re
from typing import Any

from plugin.compile.builder import Builder as _Builder
from plugin.compile.notes import note
from plugin.compile.refs import OPCS4, code_ref, condition_of, decided_by, form_of, role_of, slug

Doc = dict[str, Any]


def open_choice(b: _Builder, t: str, low: str, role: str = "main") -> None:
    b.doc["notes"].append(note("instruction", t, False))
    if low.startswith("or "):
        # "Or one of the following codes to identify X approach:" -> a second variant that
        # repeats everything before the approach slot.
        prev = b.current()
        keep = [copy.deepcopy(s) for s in prev["slots"] if s["role"] != "approach"]
        what = re.search(r"identify (.+?) approach", t)
        value = what.group(1) if what else "alternative"
        v = b.variant(slug(value), None, "approach", value)
        v["selector"]["as_stated"] = f"{value} approach"
        v["slots"] = keep
        role = "approach"
    elif role == "approach":
        what = re.search(r"identify (.+?) approach", t)
        if what and b.cur is not None:
            value = what.group(1)
            b.cur["id"] = slug(value)
            b.cur["selector"] = {
                "kind": "approach",
                "value": value,
                "as_stated": f"{value} approach",
            }
    det = (
        "site"
        if "site" in low
        else ("approach-detail" if role == "approach" else "procedure-detail")
    )
    b.mode = "one-of"
    b.mode_slot = b.add_slot(
        role,
        [],
        source="sentence" if role != "main" else "code-line",
        determined_by={"kind": det, "as_stated": None},
    )
    if role == "main":
        b.mode_slot["source"] = "code-line"


def chapter(b: _Builder, t: str, low: str) -> None:
    b.mode = None
    cond = condition_of(t)
    if "body system chapter code" in low:
        ref = {
            "system": OPCS4,
            "form": "unspecified",
            "code": None,
            "title": None,
            "as_stated": t,
        }
        b.add_slot(
            "main",
            [ref],
            requirement="conditional" if cond else "required",
            condition=cond,
            determined_by={"kind": "site", "as_stated": None},
        )
        return
    ref = {"system": OPCS4, "form": "chapter", "code": "Z", "title": None, "as_stated": t}
    b.add_slot(
        "site",
        [ref],
        select="one-or-more" if "code(s)" in low else "one",
        determined_by={"kind": "site", "as_stated": None},
        source="sentence" if low.startswith("plus") else "code-line",
    )


def sentence(b: _Builder, t: str, low: str, refs: list[Any]) -> None:
    """Running text that names codes: "A code from category L76 ... should be added",
    "An additional code ... from category V55.-", "plus Y76.7 ... plus Z84.6"."""
    b.doc["notes"].append(note("instruction", t, False))
    if b.mode == "options":
        b.variant(slug(refs[0].code), None, "procedure-detail", form_of(refs[0].code)[1])
    else:
        b.mode = None
    groups: list[list[Any]] = []
    for r in refs:
        if groups and r.conn == "or":
            groups[-1].append(r)
        else:
            groups.append([r])
    for i, g in enumerate(groups):
        cands = [code_ref(r, OPCS4, t) for r in g]
        first = i == 0 and not any(s["role"] == "main" for s in b.current()["slots"])
        role = role_of(cands[0]["code"], first)
        if "procurement" in low:
            role = "supplementary"
        det = decided_by(t, role, cands)
        b.add_slot(
            role,
            cands,
            source="sentence",
            determined_by={"kind": det, "as_stated": None} if det else None,
        )
