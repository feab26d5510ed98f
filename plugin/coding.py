"""Python API: code a procedure description, the same way `$translate` does over HTTP.

    >>> from plugin import code_description
    >>> r = code_description("Percutaneous MWA of CRLM under US")
    >>> [c.code for c in r.assigned]
    ['J12.7', 'Y53.2', 'C78.7']

The description goes through the same recogniser, the same request builder and the same
ConceptMap engine as an HTTP request; only the rendering differs (typed objects here, FHIR
Parameters there). For bulk work the engine's answers are cached per distinct (codings,
dependencies): content is immutable, and descriptions read to few distinct requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from plugin.content.conceptmap import canonical_coding
from plugin.content.store import Store
from plugin.ops.mapping import TranslateRequest, translate
from plugin.ops.translate import text_request, translate_explained
from plugin.outcomes import ASSERTING, TextMention, TranslateOutcome
from plugin.text import matcher_for
from plugin.text.explain import annotate, unrecognised_text
from plugin.text.reading import Found, Reading
from plugin.text.vocabulary import Vocabulary
from plugin.types import Coding, Dependency

_ENGINE_CACHE_LIMIT = 4096
# Explanation templates, one per reading signature (a few kB each; bounded, cleared when full).
_TEMPLATE_LIMIT = 32_768


class AnswerCode(NamedTuple):
    """A code in the answer: asserted (the translation) or a candidate only."""

    system: str
    code: str
    display: str | None
    asserted: bool
    role: str  # "main" (the match's concept) or "additional" (a product, in coding order)
    equivalence: str
    match: int  # which match it belongs to (a candidate's companions share its number)


class RecognisedTerm(NamedTuple):
    """Words of the description recognised as a facet value, and what became of them."""

    words: str
    start: int
    end: int
    facet: str
    system: str
    value: str
    display: str
    status: str  # a mention status, or superseded, not coded, conflicting
    corrected: bool  # matched despite a misspelling
    implied: bool  # implied by another term ("CRLM" -> liver)


@dataclass(frozen=True, slots=True)
class CodedDescription:
    """The structured answer for one description."""

    text: str
    result: bool
    message: str
    codes: tuple[AnswerCode, ...]
    terms: tuple[RecognisedTerm, ...]
    not_recognised: tuple[str, ...]
    reasons: tuple[str, ...]  # per match, in match order
    mentions: tuple[TextMention, ...] = ()
    """Each recognised mention (as `$translate`'s `mention` parameters): facet, the words as
    written, offset and length into `text`, the concept read, and its status (used, negated,
    uncertain, historical, planned, not-performed, other-organ, not-guidance-imaging, unused)."""

    @property
    def assigned(self) -> list[AnswerCode]:
        """The asserted codes, in coding order (main code, then its companions)."""
        return [c for c in self.codes if c.asserted]

    @property
    def candidates(self) -> list[AnswerCode]:
        """Main codes offered as candidates only (e.g. the approach is not stated)."""
        return [c for c in self.codes if not c.asserted and c.role == "main"]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (for `--json` and NDJSON output)."""
        return {
            "text": self.text,
            "result": self.result,
            "message": self.message,
            "codes": [
                {
                    "system": c.system,
                    "code": c.code,
                    "display": c.display,
                    "asserted": c.asserted,
                    "role": c.role,
                    "equivalence": c.equivalence,
                    "match": c.match,
                }
                for c in self.codes
            ],
            "terms": [
                {
                    "words": t.words,
                    "start": t.start,
                    "end": t.end,
                    "facet": t.facet,
                    "system": t.system,
                    "value": t.value,
                    "display": t.display,
                    "status": t.status,
                    "corrected": t.corrected,
                    "implied": t.implied,
                }
                for t in self.terms
            ],
            "not_recognised": list(self.not_recognised),
            "reasons": list(self.reasons),
            "mentions": [
                {
                    "facet": m.facet,
                    "text": m.text,
                    "offset": m.offset,
                    "length": m.length,
                    "concept": {
                        "system": m.concept.system,
                        "code": m.concept.code,
                        "display": m.concept.display,
                    },
                    "status": m.status,
                }
                for m in self.mentions
            ],
        }


def _result(outcome: TranslateOutcome) -> tuple[tuple[AnswerCode, ...], tuple[str, ...]]:
    codes: list[AnswerCode] = []
    reasons: list[str] = []
    products = {p.coding for m in outcome.matches for p in m.products}
    for i, m in enumerate(outcome.matches):
        asserted = m.equivalence in ASSERTING
        reasons.append(m.comment or "")
        if m.concept is not None:
            c = m.concept
            # a code that is elsewhere a companion (product) stays "additional" when asserted alone
            role = "additional" if c in products else "main"
            codes.append(AnswerCode(c.system, c.code, c.display, asserted, role, m.equivalence, i))
        for p in m.products:
            pc = p.coding
            codes.append(
                AnswerCode(pc.system, pc.code, pc.display, asserted, "additional", m.equivalence, i)
            )
    return tuple(codes), tuple(reasons)


_SLOT = "\x00"  # around a term's index in a template
_UNRECOGNISED = "\x01"  # where the unrecognised words go


@dataclass(frozen=True, slots=True)
class _Template:
    """An explained answer with the description's words left as slots.

    The explanation depends on the words only where it quotes them; everything else follows
    from the reading's decision (its token signature) and the engine's answer, so it is built
    once per signature and filled with each description's words.
    """

    result: bool
    codes: tuple[AnswerCode, ...]
    message: tuple[str, ...]
    reasons: tuple[tuple[str, ...], ...]
    # per mention: (index into the reading's terms, facet, concept, status)
    mentions: tuple[tuple[int, str, Coding, str], ...] = ()

    @staticmethod
    def of(outcome: TranslateOutcome, reading: Reading, vocab: Vocabulary) -> _Template:
        found = [
            Found(
                f"{_SLOT}{k}{_SLOT}",
                f.start,
                f.end,
                f.value,
                f.status,
                f.fuzzy,
                f.implied,
                f.converted,
                f.first,
                f.last,
            )
            for k, f in enumerate(reading.found)
        ]
        slotted = Reading(
            reading.text,
            found,
            reading.procedure,
            reading.codings,
            reading.dependencies,
            reading.missing,
            [_UNRECOGNISED] if reading.unrecognised else [],
            reading.alternatives,
            reading.key,
        )
        explained = annotate(outcome, slotted, vocab)
        codes, reasons = _result(explained)
        return _Template(
            explained.result,
            codes,
            tuple((explained.message or "").split(_SLOT)),
            tuple(tuple(r.split(_SLOT)) for r in reasons),
            tuple(
                (int(m.text.strip(_SLOT)), m.facet, m.concept, m.status) for m in explained.mentions
            ),
        )

    @staticmethod
    def fill(parts: tuple[str, ...], words: list[str], unrecognised: str) -> str:
        """The text of a template: odd parts are term indexes."""
        # the template's own text gets the unrecognised words first: quoted words are never
        # rescanned, whatever characters they hold
        return "".join(
            [
                words[int(p)] if i % 2 else p.replace(_UNRECOGNISED, unrecognised)
                for i, p in enumerate(parts)
            ]
        )


class Coder:
    """Codes descriptions against one store (built-in content by default)."""

    def __init__(self, store: Store | None = None) -> None:
        if store is None:
            from plugin.content.loader import build_store

            store, _ = build_store()
        self.store = store
        self.vocab = matcher_for(store).vocab
        self._engine: dict[tuple[tuple[Coding, ...], tuple[Dependency, ...]], TranslateOutcome]
        self._engine = {}
        self._coded: dict[tuple[Coding, ...], TranslateOutcome] = {}
        self._templates: dict[tuple[tuple[str, ...], bool, bool], _Template] = {}

    def code_codings(self, codings: Sequence[tuple[str, str]]) -> CodedDescription:
        """Code coded input: the codings of one CodeableConcept, `(system, code)` each.

        FHIR semantics as `ConceptMap/$translate` with `codeableConcept`: every coding is
        translated, and a coding that names a value of a map's `dependsOn` (an image-control
        method beside the procedure) is read as that condition. `message` states the coded
        sequence in coding order, or why nothing was translated.
        """
        req = TranslateRequest(
            codings=[canonical_coding(system, code) for system, code in codings],
            state_sequence=True,
        )
        key = tuple(req.codings)
        outcome = self._coded.get(key)
        if outcome is None:
            outcome = translate(req, self.store)
            if len(self._coded) >= _ENGINE_CACHE_LIMIT:
                self._coded.clear()
            self._coded[key] = outcome
        codes, reasons = _result(outcome)
        text = " ".join(f"{system}|{code}" for system, code in codings)
        return CodedDescription(text, outcome.result, outcome.message or "", codes, (), (), reasons)

    def _outcome(self, req: TranslateRequest) -> TranslateOutcome:
        """The engine's answer for a description's codings and dependencies (cached)."""
        key = (tuple(req.codings), req.dependencies)
        outcome = self._engine.get(key)
        if outcome is None:
            outcome = translate(req, self.store)
            if len(self._engine) >= _ENGINE_CACHE_LIMIT:
                self._engine.clear()
            self._engine[key] = outcome
        return outcome

    def code(self, text: str) -> CodedDescription:
        """Code one description: the same reading, engine and explanation as `$translate`,
        including its note when the description is longer than is read."""
        req = text_request(text, self.store)
        assert req.reading is not None
        reading = req.reading
        if reading.long or req.unread_from is not None:
            # a long note: its reading is not reused, so it is explained directly; one longer
            # than is read by $translate's own rule, with its note that the rest was not read
            explained = (
                translate_explained(req, self.store)
                if req.unread_from is not None
                else annotate(self._outcome(req), reading, self.vocab)
            )
            result = explained.result
            codes, reasons = _result(explained)
            message = explained.message or ""
            mentions = explained.mentions
        else:
            outcome = self._outcome(req)
            tkey = (reading.key, bool(reading.unrecognised), bool(text.strip()))
            template = self._templates.get(tkey)
            if template is None:
                template = _Template.of(outcome, reading, self.vocab)
                if len(self._templates) >= _TEMPLATE_LIMIT:
                    self._templates.clear()
                self._templates[tkey] = template
            words = [f.words for f in reading.found]
            unrecognised = unrecognised_text(reading.unrecognised)
            result, codes = template.result, template.codes
            message = template.fill(template.message, words, unrecognised)
            reasons = tuple(template.fill(r, words, unrecognised) for r in template.reasons)
            mentions = tuple(
                TextMention(facet, f.words, f.start, f.end - f.start, concept, status)
                for k, facet, concept, status in template.mentions
                for f in (reading.found[k],)
            )
        terms = tuple(
            RecognisedTerm(
                f.words,
                f.start,
                f.end,
                self.vocab.facets[f.value.facet].label,
                f.value.system,
                f.value.code,
                f.value.display,
                f.status,
                f.fuzzy,
                f.implied,
            )
            for f in reading.found
        )
        return CodedDescription(
            text, result, message, codes, terms, tuple(reading.unrecognised), reasons, mentions
        )


@cache
def default_coder() -> Coder:
    """The coder over the built-in content (built on first use, then shared)."""
    return Coder()


def code_description(text: str, store: Store | None = None) -> CodedDescription:
    """Code a free-text procedure description: the codes the guidance prescribes, with reasons.

    FHIR semantics as `ConceptMap/$translate` with `codeableConcept.text`: asserted codes come
    from matches whose equivalence asserts the target (wider, equivalent...), candidates from
    `narrower` matches; `result` is false when nothing was translated, with the reason in
    `message`.
    """
    if store is not None:
        return Coder(store).code(text)
    return default_coder().code(text)
