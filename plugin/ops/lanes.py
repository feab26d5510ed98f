"""Lanes: plain coded requests answered from tables the operations fill at load time.

Most terminology traffic is a few request shapes sent again and again with different codes: a
validator asking `CodeSystem/$validate-code?url=&code=&display=`, an EHR asking
`ConceptMap/$translate?system=&code=`. For those shapes the full operation (parse every declared
parameter, check the surface, resolve maps, run the engine, build outcome objects, render) costs
ten times what the answer needs. A lane serves one shape of one operation on one base: it reads
the query string itself (or a plain POSTed Parameters body; for `$translate` also a
`codeableConcept` of one coding, as HAPI's remote terminology client sends it), puts the code in
canonical form, and answers from its tables with one dict access, or fills an answer template;
any request it is not certain about it declines (`None`) and the full operation runs.

The tables are the content compiled, like the forward translation index: they are filled by
running the operation itself over every code the content lists, once per worker (within
`MAX_COMPILED` answers), so a lane cannot say anything the operation would not
(`tests/ops/test_lanes.py` compares the two over every code of the content, every spelling and a
generated workload). No request fills them, and `--cache-size 0` (every memo of answers off)
leaves them, as it leaves the other indexes.

- **answers**: the encoded answer for each listed code (translate: per target system, direction
  and parameter naming; validate-code: without a display and with the code's display).
- **templates**: an answer whose only variable part is a value the client sent (a code no map
  lists, a display that is wrong, a code a fragment does not list), rendered once with marker
  values and cut at the markers; a request fills in its own value, JSON-escaped as orjson writes
  it. A lane uses a template only for values the operation treats alike: codes of plain
  characters, displays that are not a variant (letter case, spacing) of a valid one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from plugin.content.codesystem import CodeSystemIndex, Concept
from plugin.content.store import Store
from plugin.content.systems import canonical_system, normalise_code
from plugin.jsonio import dumps
from plugin.ops import translate, validate_code
from plugin.ops.operation import Context, Operation
from plugin.ops.params import parse_query, unquote


class Lane(Protocol):
    """One operation path of one base: a GET query string or a POST Parameters body -> the
    answer, or None to decline (the operation then answers)."""

    def __call__(self, query: str) -> bytes | None:
        """The answer to a GET with this query string, or None."""

    def post(self, body: object) -> bytes | None:
        """The answer to a POST of this (decoded) Parameters body, or None."""


# Answers a lane compiles per base at most; past it the lane declines what it has not compiled
# (the operation answers), so a very large content pack does not slow the start.
MAX_COMPILED = 4_000

# Marker values: private-use characters, which no code or display of real content uses, and
# which upper-casing, case folding and code-form rules leave as they are.
CODE_MARK = "\ue000\ue001"
DISPLAY_MARK = "\ue002\ue003"
_MARKS = (CODE_MARK, DISPLAY_MARK)

# Values a template may carry: codes and displays of ordinary characters (anything else, the
# operation judges). Displays may be long and use punctuation, not control characters.
_PLAIN_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}")
_PLAIN_TEXT = re.compile(r"[^\x00-\x1f\x7f\ue000-\uf8ff]{1,500}")


def _escape(value: str) -> bytes:
    # The JSON string body orjson writes for `value` (the answer is written by orjson too).
    return orjson.dumps(value)[1:-1]


@dataclass(frozen=True, slots=True)
class Template:
    """An encoded answer cut at its marker values: `parts` around the `holes`."""

    parts: tuple[bytes, ...]
    # For each hole, which value fills it (an index into the values given to `fill`).
    holes: tuple[int, ...]

    @classmethod
    def cut(cls, answer: bytes) -> Template:
        """The answer with every marker value made a hole."""
        encoded = [_escape(m) for m in _MARKS]
        pattern = re.compile(b"|".join(re.escape(m) for m in encoded))
        parts, holes, at = [], [], 0
        for found in pattern.finditer(answer):
            parts.append(answer[at : found.start()])
            holes.append(encoded.index(found.group()))
            at = found.end()
        parts.append(answer[at:])
        return cls(tuple(parts), tuple(holes))

    def fill(self, code: str, display: str | None = None) -> bytes:
        """The answer for these values (the code, then the display, as the markers stood)."""
        values = (_escape(code), _escape(display) if display is not None else b"")
        parts = self.parts
        out = [parts[0]]
        for i, hole in enumerate(self.holes, 1):
            out += (values[hole], parts[i])
        return b"".join(out)


def split_query(query: str, names: dict[str, str]) -> dict[str, str] | None:
    """The query's values by declared name; None when a lane must decline: an undeclared or
    repeated name, or an empty value.

    Reads as `parse_query_string` does (`&` separates, `+` is a space, `%XX` escapes UTF-8).
    """
    values: dict[str, str] = {}
    for item in query.split("&"):
        wire, _, text = item.partition("=")
        name = names.get(wire)
        if name is None or name in values or not text:
            return None
        values[name] = unquote(text)
    return values


def split_parameters(body: object, names: dict[str, tuple[str, str]]) -> dict[str, Any] | None:
    """A Parameters body's values by declared name, when it is nothing but plain parameters
    (`{"name": n, "valueX": v}`, `valueX` the one type a lane reads for `n`, none repeated);
    None when a lane must decline.

    `names`: wire name -> (declared name, the `value[x]` key). The values are as sent.
    """
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        return None
    items = body.get("parameter")
    if len(body) != 2 or not isinstance(items, list):
        return None
    values: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict) or len(item) != 2:
            return None
        name = item.get("name")
        spec = names.get(name) if isinstance(name, str) else None
        if spec is None or spec[0] in values or spec[1] not in item:
            return None
        values[spec[0]] = item[spec[1]]
    return values


def _texts(values: dict[str, Any]) -> dict[str, str] | None:
    # Posted values a lane reads as the query string would carry them: non-empty strings.
    if all(isinstance(v, str) and v for v in values.values()):
        return values
    return None


class _Compiler:
    """Runs an operation on one base over generated queries, within the compile budget."""

    def __init__(self, op: Operation, rtype: str, store: Store, r5: bool) -> None:
        self.op, self.rtype, self.store, self.r5 = op, rtype, store, r5
        self.left = MAX_COMPILED

    def run(self, **params: str) -> bytes | None:
        """The encoded answer to a GET with these parameters; None when over budget or the
        operation refuses the request (a lane then declines it too)."""
        if self.left <= 0:
            return None
        self.left -= 1
        # The parameters as a query string reads them (names and values already decoded).
        args = parse_query(self.op.params, params.items())
        try:
            return dumps(self.op.run(Context(args, self.store, self.rtype, None, self.r5)))
        except Exception:  # a refused request is left to the operation
            return None


# $translate's names a lane reads (R4 and R5 spellings); `code` spelled so asks for R4's answer.
# POSTed: the same, and a CodeableConcept of one coding (system and code only), as HAPI's
# remote terminology client sends it.
_TRANSLATE_POST = {
    "system": ("system", "valueUri"),
    "sourceSystem": ("system", "valueUri"),
    "code": ("code", "valueCode"),
    "sourceCode": ("code", "valueCode"),
    "targetsystem": ("targetsystem", "valueUri"),
    "targetSystem": ("targetsystem", "valueUri"),
    "reverse": ("reverse", "valueBoolean"),
    "codeableConcept": ("concept", "valueCodeableConcept"),
    "sourceCodeableConcept": ("concept5", "valueCodeableConcept"),
}
_TRANSLATE = {
    "system": "system",
    "sourceSystem": "system",
    "code": "code",
    "sourceCode": "code",
    "targetsystem": "targetsystem",
    "targetSystem": "targetsystem",
    "reverse": "reverse",
}


class TranslateLane:
    """`ConceptMap/$translate?system=&code=[&targetsystem=][&reverse=]` on one base."""

    def __init__(self, store: Store, r5: bool) -> None:
        self.store = store
        run = _Compiler(translate.OPERATION, "ConceptMap", store, r5).run
        # (system, code, target system or None, reverse, R4 names) -> answer
        self.answers: dict[tuple[str, str, str | None, bool, bool], bytes] = {}
        # (system, reverse) -> the "no map lists this code" answer, the code a hole
        self.no_match: dict[tuple[str, bool], Template] = {}
        # Target-side codes a reverse request may find (a miss elsewhere is certain).
        self.reverse_listed: set[tuple[str | None, str]] = set()
        self.complete = True
        keys = list(dict.fromkeys(self._keys()))  # a code two groups list is compiled once
        for key in keys:
            system, code, target, reverse = key
            for r4_names in (True, False):
                params = _translate_params(system, code, target, reverse, r4_names)
                answer = run(**params)
                if answer is None:
                    self.complete = False
                    continue
                self.answers[(*key, r4_names)] = answer
        # Each system the maps name, either way: a code of it that no map lists, either way.
        systems = {k[0] for k in keys} | {k[2] for k in keys if k[2]}
        for system, reverse in itertools.product(sorted(systems), (False, True)):
            answer = run(**_translate_params(system, CODE_MARK, None, reverse, True))
            if answer is not None:
                self.no_match[(system, reverse)] = Template.cut(answer)

    def _keys(self) -> Iterator[tuple[str, str, str | None, bool]]:
        """Every (system, code, target, reverse) the base's own maps list, where the base
        knows every map that could answer (FHIR core's maps, if any, are left out)."""
        for entry in self.store.own("ConceptMap"):
            for g in entry.index.groups:
                # Every target code any group lists, first: a reverse miss must be certain.
                for _, targets in g.elements.values():
                    self.reverse_listed.update((g.target, t.code) for t in targets if t.code)
                if g.source is None or g.target is None or g.unmapped:
                    continue
                inherited = self.store.parent is not None and (
                    self.store.parent.concept_maps_for(g.source)
                    or self.store.parent.concept_maps_for(g.target)
                )
                if inherited:
                    continue
                for code, (_, targets) in g.elements.items():
                    yield g.source, code, None, False
                    yield g.source, code, g.target, False
                    for t in targets:
                        if t.code:
                            yield g.target, t.code, None, True
                            yield g.target, t.code, g.source, True

    def __call__(self, query: str) -> bytes | None:
        """The answer to a plain coded $translate GET, or None to let the operation answer."""
        values = split_query(query, _TRANSLATE)
        if values is None:
            return None
        # `code` (not `sourceCode`) asks for R4's answer; a name is never inside a value.
        r4_names = query.startswith("code=") or "&code=" in query
        return self._answer(values, r4_names)

    def post(self, body: object) -> bytes | None:
        """The answer to a plain coded $translate POST, or None to let the operation answer."""
        got = split_parameters(body, _TRANSLATE_POST)
        if got is None:
            return None
        concept = got.pop("concept", None)
        concept5 = got.pop("concept5", None)
        if concept is not None or concept5 is not None:
            if (concept is not None and concept5 is not None) or "code" in got:
                return None
            coding = _one_coding(concept if concept is not None else concept5)
            if coding is None or "system" in got:
                return None
            got["system"], got["code"] = coding
        reverse = got.get("reverse")
        if reverse is not None:
            if not isinstance(reverse, bool):
                return None
            got["reverse"] = "true" if reverse else "false"
        values = _texts(got)
        if values is None:
            return None
        return self._answer(values, concept is not None or _spelled(body, "code"))

    def _answer(self, values: dict[str, str], r4_names: bool) -> bytes | None:
        """The answer for these values (each return but the last declines or answers)."""
        system, code, rev = values.get("system"), values.get("code"), values.get("reverse")
        if system is None or code is None or rev not in (None, "true", "false"):
            return None
        reverse = rev == "true"
        target = values.get("targetsystem")
        canon = canonical_system(system)
        ccode = normalise_code(canon, code)
        result_system = canonical_system(target) if target is not None else None
        key = (canon, ccode, result_system, reverse, r4_names)
        found = self.answers.get(key)
        if found is not None or not self.complete or not _PLAIN_CODE.fullmatch(ccode):
            return found
        # Not listed: the answer is "no mapping", when the lane can be sure nothing lists it.
        template = self.no_match.get((canon, reverse))
        if template is None:
            return None
        if reverse:
            if (canon, ccode) in self.reverse_listed:
                return None
        elif self.store.forward(canon, ccode, result_system) != []:
            return None
        return template.fill(ccode)


def _one_coding(concept: Any) -> tuple[str, str] | None:
    """(system, code) of a CodeableConcept that is one coding of a system and a code only."""
    if not isinstance(concept, dict) or len(concept) != 1:
        return None
    codings = concept.get("coding")
    if not isinstance(codings, list) or len(codings) != 1 or not isinstance(codings[0], dict):
        return None
    coding = codings[0]
    system, code = coding.get("system"), coding.get("code")
    if len(coding) != 2 or not isinstance(system, str) or not isinstance(code, str):
        return None
    return (system, code) if system and code else None


def _spelled(body: Any, name: str) -> bool:
    # Whether the body names a parameter so (split_parameters has checked its shape).
    return any(p["name"] == name for p in body["parameter"])


def _translate_params(
    system: str, code: str, target: str | None, reverse: bool, r4_names: bool
) -> dict[str, str]:
    names = ("system", "code", "targetsystem") if r4_names else _R5_NAMES
    params = {names[0]: system, names[1]: code}
    if target is not None:
        params[names[2]] = target
    if reverse:
        params["reverse"] = "true"
    return params


_R5_NAMES = ("sourceSystem", "sourceCode", "targetSystem")
_VALIDATE = {"url": "url", "code": "code", "display": "display"}
_VALIDATE_POST = {
    "url": ("url", "valueUri"),
    "code": ("code", "valueCode"),
    "display": ("display", "valueString"),
}


class ValidateLane:
    """`CodeSystem/$validate-code?url=&code=[&display=]` on one base, for the code systems of
    the loaded content that have one version."""

    def __init__(self, store: Store, r5: bool) -> None:
        self.store = store
        run = _Compiler(validate_code.CODESYSTEM, "CodeSystem", store, r5).run
        # (system, code, display or None) -> answer
        self.answers: dict[tuple[str, str, str | None], bytes] = {}
        # (system, code) -> the "wrong display" answer (the display a hole) and the display
        # variants (folded case, folded spacing) that the operation judges otherwise.
        self.wrong: dict[tuple[str, str], tuple[Template, frozenset[str]]] = {}
        # (system, display given) -> the answer for a code the system does not list
        self.unknown: dict[tuple[str, bool], Template] = {}
        self.indexes: dict[str, CodeSystemIndex] = {}
        for entry in store.own("CodeSystem"):
            cs = entry.index
            if cs.supplements or _supplemented(store, cs.url):
                continue
            if len(store.versions("CodeSystem", cs.url)) != 1:
                continue
            if self._compile(cs, run):
                self.indexes[cs.url] = cs

    def _compile(self, cs: CodeSystemIndex, run: Callable[..., bytes | None]) -> bool:
        """Fill the tables for one code system; False when they could not all be filled."""
        for with_display in (False, True):
            marks = {"display": DISPLAY_MARK} if with_display else {}
            answer = run(url=cs.url, code=CODE_MARK, **marks)
            if answer is None:
                return False
            self.unknown[(cs.url, with_display)] = Template.cut(answer)
        for code, concept in cs.concepts.items():
            # Without a display, and with the display; a designation is left to the operation
            # (its answer may depend on its language or use).
            for display in (None, concept.display) if concept.display else (None,):
                given = {"display": display} if display is not None else {}
                answer = run(url=cs.url, code=code, **given)
                if answer is None:
                    return False
                self.answers[(cs.url, code, display)] = answer
            wrong = run(url=cs.url, code=code, display=DISPLAY_MARK)
            if wrong is None:
                return False
            self.wrong[(cs.url, code)] = (Template.cut(wrong), _variants(concept))
        return True

    def __call__(self, query: str) -> bytes | None:
        """The answer to a plain $validate-code GET on a code system, or None to decline."""
        values = split_query(query, _VALIDATE)
        if values is None:
            return None
        return self._answer(values)

    def post(self, body: object) -> bytes | None:
        """The answer to a plain $validate-code POST on a code system, or None to decline."""
        got = split_parameters(body, _VALIDATE_POST)
        if got is None:
            return None
        values = _texts(got)
        return None if values is None else self._answer(values)

    def _answer(self, values: dict[str, str]) -> bytes | None:
        """The answer for these values, or None to decline."""
        url, code, display = values.get("url"), values.get("code"), values.get("display")
        if url is None or code is None:
            return None
        found = self.answers.get((url, code, display))
        if found is not None:
            return found
        cs = self.indexes.get(url)
        # Aliases, variant code forms and odd characters get the operation's own words.
        if cs is None or normalise_code(url, code) != code or not _PLAIN_CODE.fullmatch(code):
            return None
        if display is not None and not _PLAIN_TEXT.fullmatch(display):
            return None
        return self._fill(cs, code, display)

    def _fill(self, cs: CodeSystemIndex, code: str, display: str | None) -> bytes | None:
        """A wrong display of a listed code, or a code the system does not list."""
        known = self.wrong.get((cs.url, code))
        if known is None:
            # Unlisted, unless the system finds it another way (case-insensitive codes).
            if cs.get(code) is not None:
                return None
            return self.unknown[(cs.url, display is not None)].fill(code, display)
        template, variants = known
        if display is None or _fold(display) in variants:
            return None
        return template.fill(code, display)


def _variants(concept: Concept) -> frozenset[str]:
    """Every display and designation of a concept with letter case and spacing folded: a
    display that folds to one of these is not plainly wrong, so the operation judges it."""
    values = [concept.display] if concept.display else []
    values += [d["value"] for d in concept.designations if isinstance(d.get("value"), str)]
    return frozenset(_fold(v) for v in values)


def _supplemented(store: Store, url: str) -> bool:
    # The loaded content's supplements only: FHIR core holds none of a loaded code system's,
    # and asking it would open the core index at start.
    return any((e.index.supplements or "").split("|", 1)[0] == url for e in store.own("CodeSystem"))


def _fold(text: str) -> str:
    # Letter case and spacing both folded: a lane leaves such near misses to the operation.
    return " ".join(text.casefold().split())


def lanes(bases: dict[str, tuple[Store, bool]]) -> dict[tuple[str, str, str], Lane]:
    """The lanes of every base (`{"r4": (store, False), ...}`), keyed as the dispatch table."""
    out: dict[tuple[str, str, str], Lane] = {}
    for base, (store, r5) in bases.items():
        out[(base, "ConceptMap", "$translate")] = TranslateLane(store, r5)
        out[(base, "CodeSystem", "$validate-code")] = ValidateLane(store, r5)
    return out
