"""CodeSystem/$validate-code and ValueSet/$validate-code."""

from __future__ import annotations

import re

from plugin.content.store import Store
from plugin.content.supplements import declared_supplements, with_supplements
from plugin.content.systems import canonical_system, normalise_code
from plugin.content.valueset import Item, SystemVersions, UnknownCodeSystem, expand
from plugin.ops.expand import VERSION_PARAMS, display_language, system_versions
from plugin.ops.params import Args, Param, coding_of, mutually_exclusive
from plugin.ops.registry import Context, Operation
from plugin.ops.validate_answer import (
    answer_concept,
    answer_single,
    cannot_infer,
    standing_notes,
    unresolved,
    version_mismatch,
)
from plugin.ops.validate_check import (
    Candidate,
    Rules,
    check_coding,
    check_membership,
    unknown_system,
)
from plugin.ops.validate_versions import pins, pins_other, unknown_version_note, vs_canonical
from plugin.types import Resource
from plugin.wire.outcome import FhirError, Issue, invalid
from plugin.wire.parameters import param

_COMMON = (
    Param("code", "code", "The code to validate"),
    Param("display", "string", "A display to check against the code's display and designations"),
    Param("coding", "Coding", "A Coding to validate"),
    Param("codeableConcept", "CodeableConcept", "A CodeableConcept: valid if any coding is"),
    Param("displayLanguage", "code", "Language of the display"),
    *VERSION_PARAMS,
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
    Param("inferSystem", "boolean", "Take the code's system from the value set"),
    Param("valueset-membership-only", "boolean", "Only check membership of the value set"),
    Param(
        "lenient-display-validation",
        "boolean",
        "A wrong display is a warning, not an error",
    ),
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
            raise FhirError(
                "processing",
                f"Invalid displayLanguage: '{value}'",
                tx_code="invalid-display",
                message_id="INVALID_DISPLAY_NAME",
            )


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


def _caused_by(
    store: Store,
    cand: Candidate,
    rules: Rules,
    exc: UnknownCodeSystem,
    concept: Resource | None,
    vs_canonical: str,
) -> Resource:
    """The answer when the value set needs a code system (version) that is not known."""
    found = check_coding(store, cand, rules)
    if found.unknown_system and found.system != exc.system:
        # The coding's system is unknown too, and it is not the one the value set needs: the
        # code cannot be in the value set, whatever the value set's own system holds.
        check_membership(found, {}, vs_canonical, rules)
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
            kept = [p for p in answer["parameter"] if p["name"] not in ("code", "system")]
            answer["parameter"] = [param("codeableConcept", "CodeableConcept", concept), *kept]
        return answer
    return unresolved(exc.text, concept)


def run_codesystem(ctx: Context) -> Resource:
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


def run_valueset(ctx: Context) -> Resource:
    """ValueSet/$validate-code: is the code in the value set's expansion?

    The code is first checked in its CodeSystem (unknown system or code, display, status), then
    against the members of the value set; every finding is reported, with result=false when
    any is an error.
    """
    args = ctx.args
    mutually_exclusive(args, "url", "valueSet")
    store = ctx.store
    if ctx.instance is not None:
        vs = ctx.instance.resource
    elif args.has("valueSet"):
        vs = args.get("valueSet")
    elif args.has("url"):
        entry = store.resolve("ValueSet", args.get("url"), args.get("valueSetVersion"))
        if entry is None:
            shown = args.get("url")
            if args.has("valueSetVersion"):
                shown += f"|{args.get('valueSetVersion')}"
            raise FhirError(
                "not-found",
                f"A definition for the value Set '{shown}' could not be found",
                tx_code="not-found",
                message_id="Unable_to_resolve_value_Set_",
            )
        vs = entry.resource
    else:
        raise invalid("Give url, valueSet or an instance id to validate against", "url")
    cands = _candidates(args, "system")
    for c in cands:
        c.version = c.version or args.get("systemVersion")
    rules = _rules(ctx, vs)
    store = with_supplements(store, declared_supplements(vs))
    try:
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
    mismatched: dict[int, str] = {}
    unknown: dict[int, str] = {}
    for n, c in enumerate(cands):
        if not c.system:
            continue
        system = canonical_system(c.system)
        code = normalise_code(system, c.code)
        member = members.get((system, code))
        if member is None or member.version is None:
            continue
        if not c.version:
            # The value set's own pin decides; otherwise the request's version rules do.
            c.implied_version = member.version if bool(pins(vs, system)) else None
        elif store.resolve("CodeSystem", system, c.version) is None:
            # An unknown version of a known system: judge the code in the value set's version,
            # and say the answer is caused by the unknown version.
            unknown[n] = c.version
            c.version = None
            c.implied_version = member.version if pins(vs, system) else None
        elif (
            (system, c.version, code) not in versioned
            and store.resolve("CodeSystem", system, c.version)
            and pins_other(vs, system, c.version)
        ):
            # The coding names another (known) version than the value set uses: judge the code
            # in the value set's version and say so.
            mismatched[n] = c.version
            c.version, c.implied_version = None, member.version
    canonical = vs_canonical(vs)
    findings = []
    for n, c in enumerate(cands):
        found = check_coding(store, c, rules)
        check_membership(
            found, members, canonical, rules, frozenset(versioned), expansion.open_systems
        )
        if n in unknown and found.entry is not None:
            stated = Candidate(c.system, c.code, c.display, unknown[n], c.path)
            found.issues.insert(0, unknown_system(store, stated, found.entry.url))
            found.issues.append(unknown_version_note(vs, c, found.entry, unknown[n], rules))
            found.caused_by = f"{found.entry.url}|{unknown[n]}"
        versions = rules.versions or SystemVersions()
        broken = versions.violation(found.entry.url, found.entry.version) if found.entry else None
        if broken is not None:
            found.issues.append(
                Issue(
                    "error",
                    "exception",
                    broken,
                    c.at("version"),
                    "version-error",
                    "VALUESET_VERSION_CHECK",
                )
            )
        if n in mismatched and found.entry is not None:
            found.issues.append(
                version_mismatch(c, found.entry.url, found.entry.version, mismatched[n])
            )
        if args.get("valueset-membership-only"):
            # Only the value set verdict was asked for: the code system's own findings go.
            found.issues = [i for i in found.issues if i.tx_code == "not-in-vs"]
        if c.system is None and not c.path and (ambiguous or args.get("inferSystem")):
            found.issues = [i for i in found.issues if i.tx_code != "invalid-data"]
            known = sorted({i.system for i in expansion.items})
            found.issues.append(cannot_infer(c, canonical, ambiguous, known))
        findings.append(found)
    notes = standing_notes(expansion.standings)
    if args.has("codeableConcept"):
        return answer_concept(findings, args.get("codeableConcept"), canonical, notes)
    findings[0].issues += notes
    return answer_single(findings[0])


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
