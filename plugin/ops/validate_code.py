"""CodeSystem/$validate-code and ValueSet/$validate-code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from plugin.content.codesystem import Concept
from plugin.content.store import Store
from plugin.content.systems import canonical_system, normalise_code
from plugin.content.valueset import expand
from plugin.ops.params import Args, Param, coding_of, mutually_exclusive
from plugin.ops.registry import Context, Operation
from plugin.types import Resource
from plugin.wire.outcome import Issue, invalid, not_found, operation_outcome
from plugin.wire.parameters import param, parameters

_COMMON = (
    Param("code", "code", "The code to validate"),
    Param("display", "string", "A display to check against the code's display and designations"),
    Param("coding", "Coding", "A Coding to validate"),
    Param("codeableConcept", "CodeableConcept", "A CodeableConcept: valid if any coding is"),
    Param("displayLanguage", "code", "Language of the display"),
    Param("tx-resource", "Resource", "Resources used for this request only", max=None),
)
CS_PARAMS = (
    Param("url", "uri", "The CodeSystem to validate against", aliases=("system",)),
    Param("codeSystem", "Resource", "A CodeSystem given in the request"),
    Param("version", "string", "Version of the CodeSystem"),
    *_COMMON,
)
VS_PARAMS = (
    Param("url", "uri", "The ValueSet to validate against"),
    Param("valueSet", "Resource", "A ValueSet given in the request"),
    Param("valueSetVersion", "string", "Version of the ValueSet"),
    Param("system", "uri", "System of the code"),
    Param("systemVersion", "string", "Version of the system", aliases=("version",)),
    Param("abstract", "boolean", "Whether abstract codes are valid"),
    Param("activeOnly", "boolean", "Whether inactive codes are invalid"),
    *_COMMON,
)


@dataclass
class Candidate:
    """One coding to validate, with where it came from in the request."""

    system: str | None
    code: str
    display: str | None
    version: str | None
    where: str


def _candidates(args: Args, system_param: str | None) -> list[Candidate]:
    mutually_exclusive(args, "code", "coding", "codeableConcept")
    if args.has("coding"):
        s, c, d, v = coding_of(args.get("coding"), "coding")
        return [Candidate(s, c, d, v, "Coding")]
    if args.has("codeableConcept"):
        cc = args.get("codeableConcept")
        out = []
        for i, coding in enumerate(cc.get("coding", [])):
            s, c, d, v = coding_of(coding, f"CodeableConcept.coding[{i}]")
            out.append(Candidate(s, c, d, v, f"CodeableConcept.coding[{i}]"))
        if not out:
            raise invalid("The CodeableConcept has no coding to validate", "codeableConcept")
        return out
    if args.has("code"):
        system = args.get(system_param) if system_param else None
        return [Candidate(system, args.get("code"), args.get("display"), None, "code")]
    raise invalid("Give code, coding or codeableConcept to validate", "code")


def _display_ok(concept: Concept, display: str | None) -> bool:
    if not display:
        return True
    known = {concept.display or ""} | {d.get("value", "") for d in concept.designations}
    return display in known


def _answer(
    ok: bool,
    cand: Candidate,
    display: str | None,
    version: str | None,
    issues: list[Issue],
    system: str | None,
) -> Resource:
    out: list[Resource] = [param("result", "boolean", ok)]
    if issues:
        out.append(param("message", "string", "; ".join(i.text for i in issues)))
    if display:
        out.append(param("display", "string", display))
    out.append(param("code", "code", cand.code))
    if system:
        out.append(param("system", "uri", system))
    if version:
        out.append(param("version", "string", version))
    if issues:
        out.append({"name": "issues", "resource": operation_outcome(issues)})
    return parameters(out)


def _check_concept(store: Store, cand: Candidate) -> tuple[Concept | None, str | None, list[Issue]]:
    """Find the candidate in its CodeSystem: (concept, version, issues)."""
    if not cand.system:
        return (
            None,
            None,
            [
                Issue(
                    "error",
                    "invalid",
                    "A coding needs a system to be validated",
                    (cand.where,),
                    "invalid-data",
                )
            ],
        )
    system = canonical_system(cand.system)
    entry = store.resolve("CodeSystem", system, cand.version)
    if entry is None:
        return (
            None,
            None,
            [
                Issue(
                    "error",
                    "not-found",
                    f"A definition for CodeSystem '{cand.system}' could not be "
                    "found, so the code cannot be validated",
                    (cand.where,),
                    "not-found",
                )
            ],
        )
    concept = entry.index.get(cand.code)
    if concept is None:
        return (
            None,
            entry.version,
            [
                Issue(
                    "error",
                    "code-invalid",
                    f"Unknown code '{cand.code}' in the CodeSystem '{system}' version "
                    f"'{entry.version}'",
                    (cand.where,),
                    "invalid-code",
                )
            ],
        )
    issues = []
    if not _display_ok(concept, cand.display):
        issues.append(
            Issue(
                "error",
                "invalid",
                f"Wrong display '{cand.display}' for {system}#{concept.code}: "
                f"should be '{concept.display}'",
                (cand.where,),
                "invalid-display",
            )
        )
    return concept, entry.version, issues


def run_codesystem(ctx: Context) -> Resource:
    """CodeSystem/$validate-code: is the code in the system, and is its display right?

    An unknown code is not an error: the answer is 200 with result=false and the reason.
    """
    args = ctx.args
    mutually_exclusive(args, "url", "codeSystem")
    store = ctx.store
    url = args.get("url")
    if args.has("codeSystem"):
        store = store.overlay([args.get("codeSystem")])
        url = args.get("codeSystem").get("url")
    if ctx.instance is not None:
        url = ctx.instance.url
    cands = _candidates(args, "url")
    for c in cands:
        c.system = c.system or url
        c.version = c.version or args.get("version")
    return _validate(store, cands, None)


def run_valueset(ctx: Context) -> Resource:
    """ValueSet/$validate-code: is the code in the value set's expansion?"""
    args = ctx.args
    mutually_exclusive(args, "url", "valueSet")
    if ctx.instance is not None:
        vs = ctx.instance.resource
    elif args.has("valueSet"):
        vs = args.get("valueSet")
    elif args.has("url"):
        entry = ctx.store.resolve("ValueSet", args.get("url"), args.get("valueSetVersion"))
        if entry is None:
            raise not_found(
                f"A definition for the value set '{args.get('url')}' could not be found", "url"
            )
        vs = entry.resource
    else:
        raise invalid("Give url, valueSet or an instance id to validate against", "url")
    cands = _candidates(args, "system")
    for c in cands:
        c.version = c.version or args.get("systemVersion")
    members = {(i.system, i.code): i for i in expand(ctx.store, vs).items}
    return _validate(ctx.store, cands, members, args, vs.get("url"))


def _validate(
    store: Store,
    cands: list[Candidate],
    members: Mapping[tuple[str, str], object] | None,
    args: Args | None = None,
    vs_url: str | None = None,
) -> Resource:
    first: Resource | None = None
    for cand in cands:
        concept, version, issues = _check_concept(store, cand)
        system = canonical_system(cand.system) if cand.system else None
        if members is not None and system and not any(i.severity == "error" for i in issues):
            key = (system, normalise_code(system, cand.code))
            item = members.get(key)
            if item is None:
                issues.append(
                    Issue(
                        "error",
                        "code-invalid",
                        f"The code {system}#{cand.code} is not in the value set '{vs_url}'",
                        (cand.where,),
                        "not-in-vs",
                    )
                )
            elif (
                args is not None
                and args.get("abstract") is False
                and concept is not None
                and concept.not_selectable
            ):
                issues.append(
                    Issue(
                        "error",
                        "business-rule",
                        f"The code {cand.code} is abstract and cannot be used here",
                        (cand.where,),
                        "code-rule",
                    )
                )
        ok = not any(i.severity == "error" for i in issues)
        display = concept.display if concept else None
        answer = _answer(ok, cand, display, version, issues, system)
        if ok:
            return answer
        first = first or answer
    assert first is not None
    return first


CODESYSTEM = Operation(
    name="validate-code",
    definition="http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code",
    resource_types=("CodeSystem",),
    params=CS_PARAMS,
    run=run_codesystem,
    doc="Whether a code (and display) is valid in a CodeSystem.",
)
VALUESET = Operation(
    name="validate-code",
    definition="http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code",
    resource_types=("ValueSet",),
    params=VS_PARAMS,
    run=run_valueset,
    doc="Whether a code is in a ValueSet.",
)
