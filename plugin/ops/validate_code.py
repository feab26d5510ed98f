"""CodeSystem/$validate-code and ValueSet/$validate-code."""

from __future__ import annotations

import re
from dataclasses import replace

from plugin.content.store import Store
from plugin.content.supplements import declared_supplements, with_supplements
from plugin.content.valueset import Expansion, Item, SystemVersions, UnknownCodeSystem, expand
from plugin.errors import FhirError, invalid
from plugin.messages import error
from plugin.ops.expand import VERSION_PARAMS, display_language, system_versions
from plugin.ops.operation import Context, Operation
from plugin.ops.params import Args, Param, coding_of, mutually_exclusive
from plugin.ops.validate_answer import (
    answer_concept,
    answer_single,
    cannot_infer,
    standing_notes,
    unresolved,
    version_mismatch,
)
from plugin.ops.validate_check import check_coding, check_membership, unknown_system
from plugin.ops.validate_types import Candidate, Finding, Members, Rules
from plugin.ops.validate_versions import restate_versions, version_findings, vs_canonical
from plugin.outcomes import ValidateOutcome
from plugin.types import Resource
from plugin.wire.validate import render

_COMMON = (
    Param("code", "code", "The code to validate"),
    Param("display", "string", "A display to check against the code's display and designations"),
    Param("coding", "Coding", "A Coding to validate"),
    Param("codeableConcept", "CodeableConcept", "A CodeableConcept: valid if any coding is"),
    Param("displayLanguage", "code", "Language of the display"),
    *VERSION_PARAMS,
)
_LENIENT = Param(
    "lenient-display-validation",
    "boolean",
    "A wrong display is a warning, not an error",
)
CS_PARAMS = (
    Param("url", "uri", "The CodeSystem to validate against", aliases=("system",)),
    Param("codeSystem", "Resource", "A CodeSystem given in the request"),
    Param("version", "string", "Version of the CodeSystem"),
    _LENIENT,
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
    Param("inferSystem", "boolean", "Take the code's system from the value set"),
    Param("valueset-membership-only", "boolean", "Only check membership of the value set"),
    _LENIENT,
    *_COMMON,
)


def _candidates(args: Args, system_param: str | None) -> list[Candidate]:
    mutually_exclusive(args, "code", "coding", "codeableConcept")
    if args.has("coding"):
        s, c, d, v = coding_of(args.get("coding"), "coding")
        return [Candidate(s, c, d, v, "Coding.")]
    if args.has("codeableConcept"):
        cc = args.get("codeableConcept")
        out = []
        for i, coding in enumerate(cc.get("coding", [])):
            s, c, d, v = coding_of(coding, f"CodeableConcept.coding[{i}]")
            out.append(Candidate(s, c, d, v, f"CodeableConcept.coding[{i}]."))
        if not out:
            raise invalid("The CodeableConcept has no coding to validate", "codeableConcept")
        return out
    if args.has("code"):
        system = args.get(system_param) if system_param else None
        return [Candidate(system, args.get("code"), args.get("display"), None, "")]
    raise FhirError(
        "invalid",
        "Unable to find code to validate (looked for coding | codeableConcept | code+system | "
        "code+inferSystem in parameters",
    )


_LANGUAGE_TAG = re.compile(r"^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$")


def _check_language(value: str) -> None:
    """displayLanguage is a list of BCP-47 tags (optionally weighted): refuse anything else."""
    for part in value.split(","):
        tag = part.split(";", 1)[0].strip()
        if not _LANGUAGE_TAG.match(tag):
            raise error("INVALID_DISPLAY_NAME", value=value)


def _rules(ctx: Context, vs: Resource | None = None) -> Rules:
    args = ctx.args
    if args.has("displayLanguage"):
        _check_language(str(args.get("displayLanguage")))
    if vs is not None:
        # The value set's own language is the last resort for judging displays.
        language = display_language(ctx, vs) or vs.get("language")
    else:
        language = args.get("displayLanguage") or ctx.accept_language
    return Rules(
        # A value set that leaves inactive codes out (compose.inactive=false) acts as activeOnly.
        active_only=bool(args.get("activeOnly"))
        or (vs is not None and (vs.get("compose") or {}).get("inactive") is False),
        abstract_ok=args.get("abstract") is not False,
        lenient_display=bool(args.get("lenient-display-validation")),
        language=language,
        versions=system_versions(args),
    )


def _infer_system(cands: list[Candidate], members: dict[tuple[str, str], Item]) -> list[str]:
    """A bare code takes the system of the one value set member with that code (inferSystem).

    Returns the candidate systems when there are several (the code stays without a system).
    """
    for c in cands:
        # Only a bare code may take its system from the value set; a Coding says its own.
        if c.system is None and not c.path:
            systems = sorted({s for s, code in members if code == c.code})
            if len(systems) == 1:
                c.system = systems[0]
            elif systems:
                return systems
    return []


def _caused_by(  # noqa: PLR0913, PLR0917 (the failure and the request it answers)
    store: Store,
    cand: Candidate,
    rules: Rules,
    exc: UnknownCodeSystem,
    concept: Resource | None,
    vs_canonical: str,
) -> ValidateOutcome:
    """The answer when the value set needs a code system (version) that is not known."""
    found = check_coding(store, cand, rules)
    if found.unknown_system and found.system != exc.system:
        # The coding's system is unknown too, and it is not the one the value set needs: the
        # code cannot be in the value set, whatever the value set's own system holds.
        check_membership(found, Members({}), vs_canonical, rules)
        return answer_single(found)
    if found.unknown_system:
        return answer_single(found, caused_by_unknown=True)
    if exc.version and found.system == exc.system:
        stated = Candidate(cand.system, cand.code, cand.display, exc.version, cand.path)
        found.issues = [unknown_system(store, stated, exc.system)]
        if cand.version and cand.version != exc.version:
            found.issues.append(version_mismatch(cand, exc.system, exc.version, cand.version))
        found.caused_by = f"{exc.system}|{exc.version}"
        answer = answer_single(found)
        if concept is not None:
            # A CodeableConcept is answered as such: the concept, not one coding's identity.
            answer = replace(answer, codeable_concept=concept, code=None, system=None)
        return answer
    return unresolved(exc.text, concept)


def evaluate_codesystem(ctx: Context) -> ValidateOutcome:
    """CodeSystem/$validate-code: is the code in the system, and is its display right?

    An unknown code is not an error: the answer is 200 with result=false and the reason.
    """
    args = ctx.args
    mutually_exclusive(args, "url", "codeSystem")
    store = ctx.store
    url = args.get("url")
    if args.has("codeSystem"):
        given = args.get("codeSystem")
        if given.get("resourceType") != "CodeSystem":
            raise invalid("Parameter 'codeSystem' must carry a CodeSystem", "codeSystem")
        try:
            store = store.overlay([given])
        except ValueError as exc:
            # A code system the request brings must be usable content (it needs a url).
            raise invalid(f"The codeSystem cannot be used: {exc}", "codeSystem") from None
        url = given.get("url")
    if ctx.instance is not None:
        url = ctx.instance.url
    cands = _candidates(args, "url")
    for c in cands:
        c.system = c.system or url
        c.version = c.version or args.get("version")
    rules = _rules(ctx)
    findings = [check_coding(store, c, rules) for c in cands]
    if args.has("codeableConcept"):
        return answer_concept(findings, args.get("codeableConcept"), None)
    return answer_single(findings[0])


def _value_set(ctx: Context) -> Resource:
    """The value set to validate against: the instance, `valueSet`, or `url` (+ version)."""
    args = ctx.args
    if ctx.instance is not None:
        return ctx.instance.resource
    if args.has("valueSet"):
        vs: Resource = args.get("valueSet")
        return vs
    if args.has("url"):
        entry = ctx.store.resolve("ValueSet", args.get("url"), args.get("valueSetVersion"))
        if entry is None:
            shown = args.get("url")
            if args.has("valueSetVersion"):
                shown += f"|{args.get('valueSetVersion')}"
            raise error("Unable_to_resolve_value_Set_", url=shown)
        return entry.resource
    raise invalid("Give url, valueSet or an instance id to validate against", "url")


def _members(
    store: Store, vs: Resource, rules: Rules
) -> tuple[Expansion, dict[tuple[str, str], Item]]:
    """The value set's expansion and its members by (system, code)."""
    # The check applies to the version the coding is judged against, not to the members.
    versions = rules.versions or SystemVersions()
    expansion = expand(
        store,
        vs,
        SystemVersions(versions.default, {}, versions.force, valuesets=versions.valuesets),
    )
    members: dict[tuple[str, str], Item] = {}
    for item in expansion.items:
        # Several versions of one code: the first (newest pinned) speaks for it.
        members.setdefault((item.system, item.code), item)
    return expansion, members


def _request_filters(
    found: Finding, args: Args, ambiguous: list[str], canonical: str, expansion: Expansion
) -> None:
    """What the request narrows: membership only, or a system it asked to infer."""
    c = found.cand
    if args.get("valueset-membership-only"):
        # Only the value set verdict was asked for: the code system's own findings go.
        found.issues = [i for i in found.issues if i.tx_code == "not-in-vs"]
    if c.system is None and not c.path and (ambiguous or args.get("inferSystem")):
        found.issues = [i for i in found.issues if i.tx_code != "invalid-data"]
        known = sorted({i.system for i in expansion.items})
        found.issues.append(cannot_infer(c, canonical, ambiguous, known))


def evaluate_valueset(ctx: Context) -> ValidateOutcome:
    """ValueSet/$validate-code: is the code in the value set's expansion?

    The code is first checked in its CodeSystem (unknown system or code, display, status), then
    against the members of the value set; every finding is reported, with result=false when
    any is an error.
    """
    args = ctx.args
    mutually_exclusive(args, "url", "valueSet")
    vs = _value_set(ctx)
    cands = _candidates(args, "system")
    for c in cands:
        c.version = c.version or args.get("systemVersion")
    rules = _rules(ctx, vs)
    store = with_supplements(ctx.store, declared_supplements(vs))
    try:
        expansion, members = _members(store, vs, rules)
    except UnknownCodeSystem as exc:
        # The value set draws on a code system (version) this server does not have: say which.
        concept = args.get("codeableConcept")
        if len(cands) == 1:
            return _caused_by(store, cands[0], rules, exc, concept, vs_canonical(vs))
        return unresolved(exc.text, concept)
    except FhirError as exc:
        if exc.code != "not-found":
            raise
        # The value set cannot be expanded (a missing import): no verdict, result=false.
        return unresolved(exc.text, args.get("codeableConcept"))
    ambiguous = _infer_system(cands, members)
    versioned = {(i.system, i.version, i.code) for i in expansion.items}
    restated = restate_versions(cands, members, versioned, vs, store)
    value_set = Members(members, frozenset(versioned), expansion.open_systems)
    canonical = vs_canonical(vs)
    findings = []
    for n, c in enumerate(cands):
        found = check_coding(store, c, rules)
        check_membership(found, value_set, canonical, rules)
        version_findings(found, n, restated, rules)
        _request_filters(found, args, ambiguous, canonical, expansion)
        findings.append(found)
    notes = standing_notes(expansion.standings)
    if args.has("codeableConcept"):
        return answer_concept(findings, args.get("codeableConcept"), canonical, notes)
    findings[0].issues += notes
    return answer_single(findings[0])


def run_codesystem(ctx: Context) -> Resource:
    """The CodeSystem/$validate-code operation: evaluate, then render as Parameters."""
    return render(evaluate_codesystem(ctx))


def run_valueset(ctx: Context) -> Resource:
    """The ValueSet/$validate-code operation: evaluate, then render as Parameters."""
    return render(evaluate_valueset(ctx))


CODESYSTEM = Operation(
    name="validate-code",
    definition="http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code",
    resource_types=("CodeSystem",),
    params=CS_PARAMS,
    run=run_codesystem,
)
VALUESET = Operation(
    name="validate-code",
    definition="http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code",
    resource_types=("ValueSet",),
    params=VS_PARAMS,
    run=run_valueset,
)
