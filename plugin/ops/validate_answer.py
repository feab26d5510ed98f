"""The answer of $validate-code: Parameters with result, identity, message and issues.

FHIR $validate-code output: `result`, `message`, `display`, `code`, `system`, `version`, and
`issues` as an OperationOutcome; a CodeableConcept answer echoes the concept.
"""

from __future__ import annotations

from collections.abc import Mapping

from plugin.ops.validate_check import Candidate, Finding
from plugin.types import Resource
from plugin.wire.outcome import Issue, operation_outcome
from plugin.wire.parameters import param, parameters

# Notes that qualify a valid answer without being a problem to tell the user about.
_QUIET = frozenset(
    {
        "UNKNOWN_CODE_IN_FRAGMENT",
        "CODE_CASE_DIFFERENCE",
        "CODE_FORM_DIFFERENCE",
        "CONCEPT_DEPRECATED_IN_VALUESET",
        "INACTIVE_DISPLAY_FOUND",
        "VALUESET_VALUE_MISMATCH_DEFAULT",
        "MSG_DRAFT",
        "MSG_EXPERIMENTAL",
        "MSG_DEPRECATED",
        "MSG_WITHDRAWN",
    }
)


def standing_notes(standings: Mapping[str, tuple[str, str]]) -> list[Issue]:
    """Information issues for used content that is draft, experimental, deprecated, withdrawn."""
    return [
        Issue(
            "information",
            "business-rule",
            f"Reference to {note} {rtype} {canonical}",
            (),
            "status-check",
            f"MSG_{note.upper()}",
        )
        for canonical, (note, rtype) in standings.items()
    ]


def _message(issues: list[Issue]) -> str:
    """The `message` parameter: the problems found (display notes count, quiet notes not)."""
    errors = any(i.severity == "error" for i in issues)
    return "; ".join(
        i.text
        for i in issues
        if i.message_id not in _QUIET
        and (
            i.severity in ("error", "warning")
            or (not errors and i.severity == "information" and i.tx_code == "invalid-display")
        )
    )


def _issues(issues: list[Issue]) -> Resource:
    """The `issues` OperationOutcome, each issue's text also in `diagnostics`.

    FHIR puts the human text in `details.text`; HAPI's remote terminology client builds its
    validation messages from `issue.diagnostics`, so the same text is given there too.
    """
    outcome = operation_outcome(issues)
    for issue in outcome["issue"]:
        issue["diagnostics"] = issue["details"]["text"]
    return outcome


def _identity(found: Finding) -> list[Resource]:
    """code / system / version / display / inactive of a finding, as output parameters."""
    out: list[Resource] = [param("code", "code", found.cand.code)]
    if found.normalized:
        out.append(param("normalized-code", "code", found.normalized))
    if found.system:
        out.append(param("system", "uri", found.cand.system))
    if found.entry is not None and found.entry.version:
        out.append(param("version", "string", found.entry.version))
    if found.concept is not None:
        if found.display:
            out.append(param("display", "string", found.display))
        if found.concept.inactive:
            out.append(param("inactive", "boolean", True))
        if found.concept.inactive or found.concept.deprecated:
            status = [v for v in found.concept.property_values("status") if isinstance(v, str)]
            if status:
                out.append(param("status", "code", status[0]))
    return out


def answer_single(found: Finding, caused_by_unknown: bool = False) -> Resource:
    """The answer for code+system or a Coding.

    `caused_by_unknown`: the value set itself could not be expanded for want of the code
    system, so the verdict is caused by it (x-caused-by-unknown-system), not only about it.
    """
    out = [param("result", "boolean", found.ok), *_identity(found)]
    if found.caused_by:
        out.append(param("x-caused-by-unknown-system", "canonical", found.caused_by))
    if found.unknown_system:
        name = "x-caused-by-unknown-system" if caused_by_unknown else "x-unknown-system"
        out.append(param(name, "canonical", found.unknown_system))
    if found.issues:
        if _message(found.issues):
            out.append(param("message", "string", _message(found.issues)))
        out.append({"name": "issues", "resource": _issues(found.issues)})
    return parameters(out)


def answer_concept(
    findings: list[Finding],
    concept: Resource,
    vs_canonical: str | None,
    notes: list[Issue] | None = None,
) -> Resource:
    """The answer for a CodeableConcept: valid when one coding is good and none is wrong.

    A coding that is merely outside the value set is information (another coding may carry
    the meaning); an unknown code or a wrong display stays an error.
    """
    # The coding that carries the concept: a known code in the value set (its display may
    # still be wrong, which makes the result false but does not hide the match).
    good = next(
        (f for f in findings if (f.concept is not None or f.in_fragment) and f.in_value_set), None
    )
    out: list[Resource] = [param("codeableConcept", "CodeableConcept", concept)]
    issues: list[Issue] = []
    if good is None and vs_canonical is not None:
        issues.append(
            Issue(
                "error",
                "code-invalid",
                f"No valid coding was found for the value set '{vs_canonical}'",
                (),
                "not-in-vs",
                "TX_GENERAL_CC_ERROR_MESSAGE",
            )
        )
    for f in findings:
        for i in f.issues:
            issues.append(
                Issue(
                    "information",
                    i.code,
                    i.text,
                    i.expression,
                    "this-code-not-in-vs",
                    i.message_id,
                )
                if i.tx_code == "not-in-vs"
                else i
            )
    issues += notes or []
    out.append(param("result", "boolean", not any(i.severity == "error" for i in issues)))
    if good is not None:
        out += _identity(good)
    unknown = [f.unknown_system for f in findings if f.unknown_system]
    out += [param("x-unknown-system", "canonical", u) for u in unknown]
    causes = [f.caused_by for f in findings if f.caused_by]
    out += [param("x-caused-by-unknown-system", "canonical", c) for c in causes]
    if issues:
        if _message(issues):
            out.append(param("message", "string", _message(issues)))
        out.append({"name": "issues", "resource": _issues(issues)})
    return parameters(out)


def cannot_infer(
    cand: Candidate, vs_canonical: str, systems: list[str], candidates: list[str]
) -> Issue:
    """inferSystem could not choose a system: several have the code, or none of them does."""
    if systems:
        why = f"value set expansion has multiple matches: [{', '.join(systems)}]"
        mid = "Unable_to_resolve_system__value_set_has_multiple_matches"
    else:
        why = f"no system of the value set has it (looked in {', '.join(candidates)})"
        mid = "UNABLE_TO_INFER_CODESYSTEM"
    return Issue(
        "error",
        "not-found",
        f"The System URI could not be determined for the code '{cand.code}' in the ValueSet "
        f"'{vs_canonical}': {why}",
        cand.at("code"),
        "cannot-infer",
        mid,
    )


def version_mismatch(
    cand: Candidate, system: str, used: str | None, stated: str, pinned: bool = True
) -> Issue:
    """The coding names another version of the system than the value set includes."""
    if not pinned:
        return Issue(
            "warning",
            "invalid",
            f"The code system '{system}' version '{used}' for the versionless include in the "
            f"ValueSet include is different to the one in the value ('{stated}')",
            cand.at("version"),
            "vs-invalid",
            "VALUESET_VALUE_MISMATCH_DEFAULT",
        )
    return Issue(
        "error",
        "invalid",
        f"The code system '{system}' version '{used}' in the ValueSet include is different to "
        f"the one in the value ('{stated}')",
        cand.at("version"),
        "vs-invalid",
        "VALUESET_VALUE_MISMATCH",
    )


def unresolved(text: str, concept: Resource | None = None) -> Resource:
    """The answer when the value set itself cannot be worked out (e.g. a missing import)."""
    issue = Issue("error", "not-found", text, (), "not-found", "Unable_to_resolve_value_Set_")
    out: list[Resource] = []
    if concept is not None:
        out.append(param("codeableConcept", "CodeableConcept", concept))
    out += [
        param("result", "boolean", False),
        param("message", "string", text),
        {"name": "issues", "resource": _issues([issue])},
    ]
    return parameters(out)
