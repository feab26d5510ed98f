"""Coding sequences of a variant: main code, companions in coding order, and their conditions.

A variant's slots (with the shared slots that apply to it) become ConceptMap targets the way the
built-in map is modelled: the main code is `target.code`, companion codes are `product`s in
coding order, and a condition is a `dependsOn`. A category whose 4th character is decided by the
image control used (Y53.-) is expanded only through content: the `opcs-4` property of the
image-control CodeSystem says which Y53 code each method is classified to, and the default the
page states ("Y53.9 if the method is unspecified") is the `not-stated` method's code.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from plugin.config import CANONICAL_BASE

Doc = dict[str, Any]
IMAGE_CONTROL = f"{CANONICAL_BASE}/CodeSystem/image-control"
PROP_IMAGE_CONTROL = f"{CANONICAL_BASE}/property/image-control"
PROP_ADDITIONAL = f"{CANONICAL_BASE}/property/additional-code"
# A condition stated in words ("if carried out", "if applicable"): the caller says it holds by
# sending the companion code itself as a dependency on this element.
PROP_APPLIES = f"{CANONICAL_BASE}/property/applies"
_MAX_CHOICES = 24


@dataclass(frozen=True)
class Method:
    """An image-control method and the Y53 code it is classified to (from content)."""

    code: str
    display: str
    y53: str
    y53_display: str
    not_stated: bool


@dataclass
class Sequence:
    """One coded sequence: main code, products in order, conditions, and why."""

    code: str | None
    display: str | None
    products: list[Doc] = field(default_factory=list)
    depends_on: list[Doc] = field(default_factory=list)
    choice: bool = False
    notes: list[str] = field(default_factory=list)


def methods_from(image_control: Doc | None) -> list[Method]:
    """The image-control methods with their Y53 code, from the CodeSystem's `opcs-4` property."""
    out = []
    for c in (image_control or {}).get("concept", []):
        props = {p.get("code"): p for p in c.get("property", [])}
        coding = (props.get("opcs-4") or {}).get("valueCoding")
        if not coding:
            continue
        not_stated = (props.get("not-stated") or {}).get("valueBoolean") is True
        out.append(
            Method(
                c["code"],
                c.get("display", c["code"]),
                coding["code"],
                coding.get("display", coding["code"]),
                not_stated,
            )
        )
    return out


def _product(system: str, code: str, display: str | None) -> Doc:
    p: Doc = {"property": PROP_ADDITIONAL, "system": system, "value": code}
    if display:
        p["display"] = display
    return p


def _ref_text(c: Doc) -> str:
    if c["form"] == "category":
        return f"{c['code']}.-"
    return str(c["code"] or "an unnamed code")


def sequences(slots: list[Doc], system: str, methods: list[Method]) -> list[Sequence]:
    """Every coded sequence a variant allows, most general first."""
    mains = [
        s for s in slots if s["role"] == "main" and s["candidates"][0]["form"] != "unspecified"
    ]
    main = mains[0] if mains else None
    rest = [s for s in slots if s is not main]
    if main is None:
        return []
    out: list[Sequence] = []
    for m in main["candidates"]:
        base = Sequence(m["code"], m["title"], choice=len(main["candidates"]) > 1)
        if m["form"] != "code":
            base.notes.append(
                f"{_ref_text(m)} is a {m['form'].replace('-', ' ')}: the code is "
                f"chosen by {_decider(main)}."
            )
        if base.choice:
            base.notes.append(
                f"One of {', '.join(_ref_text(c) for c in main['candidates'])}, "
                f"by {_decider(main)}."
            )
        out.extend(_companions(base, rest, system, methods))
    return out[: _MAX_CHOICES * 4]


def _decider(s: Doc) -> str:
    return ((s.get("determined_by") or {}).get("kind") or "what was done").replace("-", " ")


def _companions(
    base: Sequence, rest: list[Doc], system: str, methods: list[Method]
) -> list[Sequence]:
    seqs = [base]
    for s in rest:
        seqs = [x for q in seqs for x in _extend(q, s, system, methods)][: _MAX_CHOICES * 4]
    return seqs


def _copy(q: Sequence) -> Sequence:
    return Sequence(
        q.code, q.display, list(q.products), list(q.depends_on), q.choice, list(q.notes)
    )


def _extend(q: Sequence, s: Doc, system: str, methods: list[Method]) -> list[Sequence]:
    """The sequences `q` becomes with slot `s` after it."""
    cands = [c for c in s["candidates"] if c["form"] != "unspecified" and c.get("code")]
    if not cands:
        q.notes.append(_unnamed(s))
        return [q]
    image = s["role"] == "image-control" and methods and all(c["code"][:3] == "Y53" for c in cands)
    if image:
        return _image_control(q, s, cands, system, methods)
    conditional = s["requirement"] != "required"
    out = []
    if conditional:
        out.append(q)  # the condition not met: nothing added
    options = cands
    for c in options:
        n = _copy(q)
        n.products.append(_product(system, c["code"], c["title"]))
        if c["form"] != "code":
            n.notes.append(
                f"{_ref_text(c)} is a {c['form'].replace('-', ' ')}: the code is "
                f"chosen by {_decider(s)}."
            )
        if len(options) > 1:
            n.choice = True
        if conditional:
            n.depends_on.append({"property": PROP_APPLIES, "system": system, "value": c["code"]})
            stated = (s.get("condition") or {}).get("as_stated")
            n.notes.append(
                f"{_ref_text(c)} only {stated}."
                if stated
                else f"{_ref_text(c)} only if it applies."
            )
        out.append(n)
    return out


def _unnamed(s: Doc) -> str:
    c = s["candidates"][0]
    return f"Also: {c.get('as_stated', 'a code the guidance does not name')}"


def _image_control(
    q: Sequence, s: Doc, cands: list[Doc], system: str, methods: list[Method]
) -> list[Sequence]:
    """Y53.- (or named Y53 codes): one sequence per image-control method the slot allows."""
    allowed = {c["code"] for c in cands}
    category = "Y53" in allowed
    default = (s.get("default") or {}).get("code_ref", {}).get("code")
    out: list[Sequence] = []
    required = s["requirement"] == "required"
    plain = _copy(q)
    if required and category and default:
        dm = next((m for m in methods if m.y53 == default), None)
        plain.products.append(_product(system, default, dm.y53_display if dm else None))
        plain.notes.append(f"{default} unless the image control method is stated.")
    elif required and (category or len(allowed) > 1):
        plain.notes.append("Add the Y53 code of the image control method used.")
    elif required:
        code = next(iter(allowed))
        dm = next((m for m in methods if m.y53 == code), None)
        plain.products.append(_product(system, code, dm.y53_display if dm else None))
        return [plain]
    else:
        plain.notes.append("Add a Y53 code if image control was used.")
    out.append(plain)
    for m in methods:
        if not category and m.y53 not in allowed:
            continue
        if m.not_stated and not default and category:
            continue
        n = _copy(q)
        n.depends_on.append(
            {
                "property": PROP_IMAGE_CONTROL,
                "system": IMAGE_CONTROL,
                "value": m.code,
                "display": m.display,
            }
        )
        n.products.append(_product(system, m.y53, m.y53_display))
        n.notes.append(f"Under image control ({m.display.lower()}): {m.y53}.")
        out.append(n)
    return out


def combinations(choices: list[list[Doc]]) -> list[tuple[Doc, ...]]:
    """Every combination of one item per choice (bounded)."""
    return list(itertools.islice(itertools.product(*choices), _MAX_CHOICES))
