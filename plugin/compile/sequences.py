"""Coding sequences of a variant: main code, companions in coding order, and their conditions.

A variant's slots (with the shared slots that apply to it) become ConceptMap targets the way the
built-in map is modelled: the main code is `target.code`, companion codes are `product`s in
coding order, a condition stated in words is a `dependsOn`. A Y53 slot decided by the image
control used adds no target: the map's companion group (image-control method -> Y53 code, from
content, see `plugin.compile.known`) appends the method's code when the method is supplied as a
dependency, so an engine that ignores `dependsOn` reads no conditional target as an alternative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plugin.compile.known import Method
from plugin.config import CANONICAL_BASE

Doc = dict[str, Any]
PROP_IMAGE_CONTROL = f"{CANONICAL_BASE}/property/image-control"
PROP_ADDITIONAL = f"{CANONICAL_BASE}/property/additional-code"
# A condition stated in words ("if carried out", "if applicable"): the caller says it holds by
# sending the companion code itself as a dependency on this element.
PROP_APPLIES = f"{CANONICAL_BASE}/property/applies"
_MAX_CHOICES = 24


@dataclass
class Uses:
    """What a map's companion groups must hold: the image-control methods its Y53 slots allow,
    and the conditional companion codes (code -> title, condition as stated)."""

    methods: set[str] = field(default_factory=set)
    applies: dict[str, tuple[str | None, str]] = field(default_factory=dict)


@dataclass
class Sequence:
    """One coded sequence: main code, products in order, conditions, and why."""

    code: str | None
    display: str | None
    products: list[Doc] = field(default_factory=list)
    depends_on: list[Doc] = field(default_factory=list)
    choice: bool = False
    notes: list[str] = field(default_factory=list)


def _product(system: str, code: str, display: str | None) -> Doc:
    p: Doc = {"property": PROP_ADDITIONAL, "system": system, "value": code}
    if display:
        p["display"] = display
    return p


def _ref_text(c: Doc) -> str:
    if c["form"] == "category":
        return f"{c['code']}.-"
    return str(c["code"] or "an unnamed code")


def sequences(
    slots: list[Doc], system: str, methods: list[Method], used: Uses | None = None
) -> list[Sequence]:
    """Every coded sequence a variant allows (one per choice the text leaves open); what its
    conditional slots need is added to `used` (they make the map's companion groups)."""
    used = Uses() if used is None else used
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
        out.extend(_companions(base, rest, system, methods, used))
    return out[: _MAX_CHOICES * 4]


def _decider(s: Doc) -> str:
    return ((s.get("determined_by") or {}).get("kind") or "what was done").replace("-", " ")


def _companions(
    base: Sequence, rest: list[Doc], system: str, methods: list[Method], used: Uses
) -> list[Sequence]:
    seqs = [base]
    for s in rest:
        seqs = [x for q in seqs for x in _extend(q, s, system, methods, used)][: _MAX_CHOICES * 4]
    return seqs


def _copy(q: Sequence) -> Sequence:
    return Sequence(
        q.code, q.display, list(q.products), list(q.depends_on), q.choice, list(q.notes)
    )


def _extend(q: Sequence, s: Doc, system: str, methods: list[Method], used: Uses) -> list[Sequence]:
    """The sequences `q` becomes with slot `s` after it."""
    cands = [c for c in s["candidates"] if c["form"] != "unspecified" and c.get("code")]
    if not cands:
        q.notes.append(_unnamed(s))
        return [q]
    image = s["role"] == "image-control" and methods and all(c["code"][:3] == "Y53" for c in cands)
    if image:
        return _image_control(q, s, cands, system, methods, used)
    if s["requirement"] != "required":
        # "(if carried out)", "(where necessary)", "also assigned when ...": a companion group
        # appends the code when the caller sends it as an `applies` dependency; no conditional
        # target that an engine ignoring dependsOn would take for an alternative.
        stated = (s.get("condition") or {}).get("as_stated") or "if it applies"
        for c in cands:
            used.applies.setdefault(c["code"], (c["title"], stated))
            q.notes.append(
                f"{_ref_text(c)} only {stated.strip('()')} (send {c['code']} as the applies "
                "dependency)."
            )
        return [q]
    out = []
    for c in cands:
        n = _copy(q)
        n.products.append(_product(system, c["code"], c["title"]))
        if c["form"] != "code":
            n.notes.append(
                f"{_ref_text(c)} is a {c['form'].replace('-', ' ')}: the code is "
                f"chosen by {_decider(s)}."
            )
        n.choice = n.choice or len(cands) > 1
        out.append(n)
    return out


def _unnamed(s: Doc) -> str:
    c = s["candidates"][0]
    return f"Also: {c.get('as_stated', 'a code the guidance does not name')}"


def _image_control(  # noqa: PLR0913, PLR0917 - internal step of one sequence
    q: Sequence, s: Doc, cands: list[Doc], system: str, methods: list[Method], used: Uses
) -> list[Sequence]:
    """Y53.- (or named Y53 codes): the methods the slot allows join the companion group; only a
    single named Y53 code that is always assigned is a product of the sequence itself."""
    allowed = {c["code"] for c in cands}
    category = "Y53" in allowed
    default = (s.get("default") or {}).get("code_ref", {}).get("code")
    required = s["requirement"] == "required"
    if required and not category and len(allowed) == 1:
        code = next(iter(allowed))
        m = next((m for m in methods if m.y53 == code), None)
        q.products.append(_product(system, code, m.y53_display if m else None))
        return [q]
    for m in methods:
        if (category or m.y53 in allowed) and (not m.not_stated or default == m.y53):
            used.methods.add(m.code)
    if required and default:
        q.notes.append(
            f"A Y53 code is required: the image control method's, {default} if the method "
            "is not stated (send it as the image-control dependency)."
        )
    elif required:
        q.notes.append("A Y53 code is required: the image control method's.")
    else:
        q.notes.append("Add a Y53 code if image control was used.")
    return [q]
