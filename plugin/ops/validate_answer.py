"""The answer of $validate-code (a ValidateOutcome): result, identity, message and issues.

FHIR $validate-code output: `result`, `message`, `display`, `code`, `system`, `version`, and
`issues` as an OperationOutcome; a CodeableConcept answer echoes the concept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from plugin.errors import Issue
from plugin.messages import QUIET, issue
from plugin.ops.validate_types import Candidate, Finding
from plugin.outcomes import ValidateOutcome
from plugin.types import Resource


def standing_notes(standings: Mapping[str, tuple[str, str]]) -> list[Issue]:
    """Information issues for used content that is draft, experimental, deprecated, withdrawn."""
    return [
        issue(f"MSG_{note.upper()}", rtype=rtype, canonical=canonical)
        for canonical, (note, rtype) in standings.items()
    ]


def _message(issues: list[Issue]) -> str:
    """The `message` parameter: the problems found (display notes count, quiet notes not)."""
    errors = any(i.severity == "error" for i in issues)
    return "; ".join(
        i.text
        for i in issues
        if i.message_id not in QUIET
        and (
            i.severity in ("error", "warning")
            or (not errors and i.severity == "information" and i.tx_code == "invalid-display")
        )
    )


def _status(found: Finding) -> str | None:
    """The status property of an inactive or deprecated concept, if it states one."""
    concept = found.concept
    if concept is None or not (concept.inactive or concept.deprecated):
        return None
    status = [v for v in concept.property_values("status") if isinstance(v, str)]
    return status[0] if status else None


def _identity(found: Finding) -> ValidateOutcome:
    """code / system / version / display / inactive / status of a finding (result unset)."""
    concept = found.concept
    return ValidateOutcome(
        result=found.ok,
        code=found.cand.code,
        normalized_code=found.normalized,
        system=found.cand.system if found.system else None,
        version=found.entry.version if found.entry is not None else None,
        display=found.display if concept is not None else None,
        inactive=concept is not None and concept.inactive,
        status=_status(found),
    )


def answer_single(found: Finding, caused_by_unknown: bool = False) -> ValidateOutcome:
    """The answer for code+system or a Coding.

    `caused_by_unknown`: the value set itself could not be expanded for want of the code
    system, so the verdict is caused by it (x-caused-by-unknown-system), not only about it.
    """
    unknown: list[tuple[str, str]] = []
    if found.caused_by:
        unknown.append(("x-caused-by-unknown-system", found.caused_by))
    if found.unknown_system:
        name = "x-caused-by-unknown-system" if caused_by_unknown else "x-unknown-system"
        unknown.append((name, found.unknown_system))
    return replace(
        _identity(found),
        unknown=tuple(unknown),
        message=_message(found.issues) or None,
        issues=tuple(found.issues),
    )


def answer_concept(
    findings: list[Finding],
    concept: Resource,
    vs_canonical: str | None,
    notes: list[Issue] | None = None,
) -> ValidateOutcome:
    """The answer for a CodeableConcept: valid when one coding is good and none is wrong.

    A coding that is merely outside the value set is information (another coding may carry
    the meaning); an unknown code or a wrong display stays an error.
    """
    # The coding that carries the concept: a known code in the value set (its display may
    # still be wrong, which makes the result false but does not hide the match).
    good = next(
        (f for f in findings if (f.concept is not None or f.in_fragment) and f.in_value_set), None
    )
    issues: list[Issue] = []
    if good is None and vs_canonical is not None:
        issues.append(issue("TX_GENERAL_CC_ERROR_MESSAGE", valueset=vs_canonical))
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
    unknown = [("x-unknown-system", f.unknown_system) for f in findings if f.unknown_system]
    unknown += [("x-caused-by-unknown-system", f.caused_by) for f in findings if f.caused_by]
    base = _identity(good) if good is not None else ValidateOutcome(result=False)
    return replace(
        base,
        result=not any(i.severity == "error" for i in issues),
        codeable_concept=concept,
        unknown=tuple(unknown),
        message=_message(issues) or None,
        issues=tuple(issues),
    )


def cannot_infer(
    cand: Candidate, vs_canonical: str, systems: list[str], candidates: list[str]
) -> Issue:
    """inferSystem could not choose a system: several have the code, or none of them does."""
    key = (
        "Unable_to_resolve_system__value_set_has_multiple_matches"
        if systems
        else "UNABLE_TO_INFER_CODESYSTEM"
    )
    return issue(
        key,
        cand.at("code"),
        code=cand.code,
        valueset=vs_canonical,
        systems=", ".join(systems or candidates),
    )


def version_mismatch(
    cand: Candidate, system: str, used: str | None, stated: str, pinned: bool = True
) -> Issue:
    """The coding names another version of the system than the value set includes."""
    key = "VALUESET_VALUE_MISMATCH" if pinned else "VALUESET_VALUE_MISMATCH_DEFAULT"
    return issue(key, cand.at("version"), system=system, used=used, stated=stated)


def unresolved(text: str, concept: Resource | None = None) -> ValidateOutcome:
    """The answer when the value set itself cannot be worked out (e.g. a missing import)."""
    # The reason is the underlying refusal's text, reported under the validator's message id.
    problem = replace(issue("Unable_to_resolve_value_Set_", url=""), text=text)
    return ValidateOutcome(False, concept, message=text, issues=(problem,))
