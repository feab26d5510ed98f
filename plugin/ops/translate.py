"""ConceptMap/$translate (FHIR R4 and R5 parameter names), over any loaded ConceptMap."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from plugin.config import MAX_DESCRIPTION_CHARS
from plugin.content.conceptmap import ConceptMapIndex, canonical_coding
from plugin.content.store import Store, make_entry
from plugin.content.systems import canonical_system
from plugin.errors import invalid, not_found
from plugin.ops.mapping import TranslateRequest, translate
from plugin.ops.operation import Context, Operation
from plugin.ops.params import (
    Args,
    Param,
    coding_of,
    mutually_exclusive,
    requires,
)
from plugin.outcomes import TranslateOutcome
from plugin.text import matcher_for, read_text
from plugin.text.explain import annotate
from plugin.types import Coding, Dependency, Resource
from plugin.wire.translate import render

DEFINITION = "http://hl7.org/fhir/OperationDefinition/ConceptMap-translate"

PARAMS = (
    Param(
        "url",
        "uri",
        "Canonical URL of the ConceptMap to use (optional: without it the map "
        "is chosen by the source and target systems)",
    ),
    Param("conceptMap", "Resource", "A ConceptMap to use, given in the request"),
    Param("conceptMapVersion", "string", "Version of the ConceptMap named by url"),
    Param("code", "code", "The code to translate", aliases=("sourceCode",)),
    Param("system", "uri", "System of the code (R5 `sourceSystem`)", aliases=("sourceSystem",)),
    Param("version", "string", "Version of the code's system", aliases=("sourceVersion",)),
    Param("source", "uri", "Value set the source code is from", aliases=("sourceScope",)),
    Param("coding", "Coding", "A Coding to translate", aliases=("sourceCoding",)),
    Param(
        "codeableConcept",
        "CodeableConcept",
        "A CodeableConcept to translate: every coding "
        "is translated; a text without codings is read as a procedure description",
        aliases=("sourceCodeableConcept",),
    ),
    Param("target", "uri", "Value set the answer should come from", aliases=("targetScope",)),
    Param("targetsystem", "uri", "System the answer should come from", aliases=("targetSystem",)),
    Param("targetCode", "code", "R5: a target code to translate back to the source"),
    Param("targetCoding", "Coding", "R5: a target Coding to translate back"),
    Param("targetCodeableConcept", "CodeableConcept", "R5: a target CodeableConcept"),
    Param(
        "dependency",
        "part",
        "Another element that may help produce the mapping (matched against target.dependsOn)",
        max=None,
        parts=(
            Param("element", "uri", "The element the value is for", aliases=("attribute",)),
            Param("concept", "CodeableConcept", "R4: the value"),
            Param("value", "*", "R5: the value"),
        ),
    ),
    Param("reverse", "boolean", "R4: translate from the map's target to its source"),
    Param(
        "tx-resource",
        "Resource",
        "CodeSystem, ValueSet or ConceptMap used for this request only",
        max=None,
    ),
)


# The R4 spelling of the source inputs (R5 clients say sourceCode, sourceCoding, ...).
R4_INPUTS = ("code", "coding", "codeableConcept")


def text_request(text: str, store: Store, given: tuple[Dependency, ...] = ()) -> TranslateRequest:
    """A request for a procedure description: the recognised codings and dependencies.

    Dependencies given by the client win over recognised ones for the same element. Only the
    first `MAX_DESCRIPTION_CHARS` characters are read (up to the last whole word); the answer's
    message says so.
    """
    full = len(text)
    if full > MAX_DESCRIPTION_CHARS:
        head = text[:MAX_DESCRIPTION_CHARS]
        cut = max(head.rfind(" "), head.rfind("\n"))
        text = head[:cut] if cut > 0 else head
    reading = read_text(text, store)
    elements = {d.element for d in given}
    deps = given + tuple(d for d in reading.dependencies if d.element not in elements)
    return TranslateRequest(
        codings=list(reading.codings),
        dependencies=deps,
        reading=reading,
        unread_from=full if full > MAX_DESCRIPTION_CHARS else None,
    )


def _dependencies(args: Args) -> tuple[Dependency, ...]:
    deps: list[Dependency] = []
    for i, part in enumerate(args.all("dependency")):
        element = part.get("element")
        where = f"dependency[{i}]"
        if part.has("concept"):
            for c in part.get("concept").get("coding", []):
                system, code, _, _ = coding_of(c, where + ".concept")
                deps.append(Dependency(element, system, code))
        elif part.has("value"):
            vtype, value = part.get("value")
            if vtype == "Coding" and isinstance(value, dict):
                system, code, _, _ = coding_of(value, where + ".value")
                deps.append(Dependency(element, system, code))
            elif isinstance(value, (str, int, bool)):
                deps.append(
                    Dependency(
                        element, None, str(value).lower() if isinstance(value, bool) else str(value)
                    )
                )
            else:
                raise invalid(f"Unsupported dependency value type {vtype}", where)
        else:
            raise invalid("A dependency needs a concept (R4) or a value (R5)", where)
    return tuple(deps)


def _codings_of_cc(cc: Resource, where: str) -> list[Coding]:
    out = []
    for i, c in enumerate(cc.get("coding", []) if isinstance(cc.get("coding"), list) else []):
        system, code, display, version = coding_of(c, f"{where}.coding[{i}]")
        if not system:
            raise invalid("Each coding to translate needs a system", f"{where}.coding[{i}]")
        out.append(canonical_coding(system, code, display, version))
    return out


_SOURCE_INPUTS = ("code", "coding", "codeableConcept")
_TARGET_INPUTS = ("targetCode", "targetCoding", "targetCodeableConcept")


def _check_surface(args: Args) -> bool:
    """The surface of $translate: one source input, `url` or `conceptMap`, and a consistent
    direction. Returns True for an R5-form reverse request (a target* input)."""
    mutually_exclusive(args, *_SOURCE_INPUTS, *_TARGET_INPUTS)
    mutually_exclusive(args, "url", "conceptMap")
    requires(args, "conceptMapVersion", "url")
    reverse_r5 = any(args.has(n) for n in _TARGET_INPUTS)
    if reverse_r5 and args.get("reverse") is False:
        raise invalid(
            "targetCode/targetCoding/targetCodeableConcept ask for a reverse "
            "translation; reverse=false contradicts them",
            "reverse",
        )
    return reverse_r5


@dataclass
class _Source:
    """What a request asks to translate: codings, or a description read into a request."""

    codings: list[Coding] = field(default_factory=list)
    result_system: str | None = None
    described: TranslateRequest | None = None


def _code_source(args: Args, result_system: str | None) -> _Source:
    """code+system (R4), or targetCode with its system (R5 reverse)."""
    name = "code" if args.has("code") else "targetCode"
    system = args.get("system")
    if name == "targetCode":
        # R5 reverse: the code is in the target system; sourceSystem narrows the answer.
        system = args.get("targetsystem") or args.get("system")
        result_system = (
            canonical_system(args.get("system"))
            if args.has("system") and args.has("targetsystem")
            else None
        )
    if not system:
        wire = args.spelled.get(name, name)
        raise invalid(
            f"Parameter '{wire}' needs a system to be translated "
            "(codes are only meaningful within their system)",
            wire,
        )
    return _Source(
        [canonical_coding(system, args.get(name), None, args.get("version"))], result_system
    )


def _coding_source(args: Args, result_system: str | None) -> _Source:
    """coding (R4), or targetCoding (R5 reverse, `system` then narrows the answer)."""
    name = "coding" if args.has("coding") else "targetCoding"
    system, code, display, version = coding_of(args.get(name), name)
    if not system:
        raise invalid("The coding to translate needs a system", name)
    if name == "targetCoding" and args.has("system"):
        result_system = canonical_system(args.get("system"))
    return _Source([canonical_coding(system, code, display, version)], result_system)


def _concept_source(args: Args, store: Store, reverse: bool, result_system: str | None) -> _Source:
    """A CodeableConcept: its codings, else its text read as a procedure description."""
    name = "codeableConcept" if args.has("codeableConcept") else "targetCodeableConcept"
    cc = args.get(name)
    codings = _codings_of_cc(cc, name)
    text = cc.get("text") if isinstance(cc, dict) else None
    if codings:
        return _Source(codings, result_system)
    if not isinstance(text, str):
        raise invalid("The CodeableConcept has no coding or text to translate", name)
    # A description without codings: read it (codings, when present, win over text).
    if reverse:
        raise invalid("A description can only be translated forward", f"{name}.text")
    if not text:
        raise invalid("CodeableConcept.text must not be empty (FHIR string)", f"{name}.text")
    return _Source([], result_system, text_request(text, store, _dependencies(args)))


def _source(args: Args, store: Store, reverse: bool) -> _Source:
    """The input to translate, in whichever of the FHIR shapes it came."""
    result_system = canonical_system(args.get("targetsystem")) if args.has("targetsystem") else None
    if args.has("code") or args.has("targetCode"):
        return _code_source(args, result_system)
    if args.has("coding") or args.has("targetCoding"):
        return _coding_source(args, result_system)
    if args.has("codeableConcept") or args.has("targetCodeableConcept"):
        return _concept_source(args, store, reverse, result_system)
    raise invalid(
        "Nothing to translate: give code+system, coding or codeableConcept "
        "(R5: sourceCode, sourceCoding, sourceCodeableConcept, or target*)",
        "code",
    )


def _maps(args: Args, store: Store) -> list[ConceptMapIndex] | None:
    """The map named by `url` (and `conceptMapVersion`) or sent inline; None: choose by scope."""
    if args.has("url"):
        url = args.get("url")
        entry = store.resolve("ConceptMap", url, args.get("conceptMapVersion"))
        if entry is None:
            version = args.get("conceptMapVersion")
            shown = f"{url}|{version}" if version else url
            raise not_found(f"ConceptMap {shown} is not known to this server", "url")
        return [entry.index]
    if args.has("conceptMap"):
        resource = args.get("conceptMap")
        if resource.get("resourceType") != "ConceptMap":
            raise invalid("Parameter 'conceptMap' must carry a ConceptMap", "conceptMap")
        try:
            return [make_entry(resource, "request").index]
        except ValueError as exc:
            raise invalid(f"The conceptMap cannot be used: {exc}", "conceptMap") from None
    return None


def parse_request(args: Args, store: Store) -> TranslateRequest:
    """Check the inputs of $translate and resolve the map(s) to use.

    FHIR: exactly one source input (code+system, coding, codeableConcept, or a target* input for
    reverse); `url` and an inline `conceptMap` are alternatives; a code needs its system.
    """
    reverse_r5 = _check_surface(args)
    reverse = bool(args.get("reverse")) or reverse_r5
    source = _source(args, store, reverse)
    maps = _maps(args, store)
    if source.described is not None:
        described = source.described
        described.result_system = source.result_system
        described.source_scope = args.get("source")
        described.target_scope = args.get("target")
        described.maps = maps
        return described
    return TranslateRequest(
        codings=source.codings,
        state_sequence=any(args.spelled.get(n) == n for n in R4_INPUTS),
        dependencies=_dependencies(args),
        reverse=reverse,
        echo_source=reverse_r5,
        result_system=source.result_system,
        source_scope=args.get("source"),
        target_scope=args.get("target"),
        maps=maps,
    )


def evaluate(ctx: Context) -> TranslateOutcome:
    """FHIR $translate: parse the request, translate through the chosen map(s), and for a
    description explain the reading."""
    req = parse_request(ctx.args, ctx.store)
    if ctx.instance is not None and req.maps is None:
        req.maps = [ctx.instance.index]
    return translate_explained(req, ctx.store)


def run(ctx: Context) -> Resource:
    """The $translate operation: evaluate, then render for the endpoint's FHIR version."""
    # R4 names in, R4 reading out: `match.source` is then the map's uri, as R4 defines it and
    # HAPI's remote terminology client reads it (R5-named requests get R5's meaning instead).
    r4_form = not ctx.r5 and any(ctx.args.spelled.get(n) == n for n in R4_INPUTS)
    return render(evaluate(ctx), r5=ctx.r5, map_as_source=r4_form)


def translate_explained(req: TranslateRequest, store: Store) -> TranslateOutcome:
    """`translate`, and for a description the message and per-match reasons of the reading."""
    outcome = translate(req, store)
    if req.reading is None:
        return outcome
    outcome = annotate(outcome, req.reading, matcher_for(store).vocab)
    if req.unread_from is not None:
        note = (
            f"Only the first {MAX_DESCRIPTION_CHARS} characters of the {req.unread_from}-character "
            "description were read."
        )
        outcome = replace(outcome, message=f"{outcome.message} {note}" if outcome.message else note)
    return outcome


OPERATION = Operation(
    name="translate",
    definition=DEFINITION,
    resource_types=("ConceptMap",),
    params=PARAMS,
    run=run,
)
