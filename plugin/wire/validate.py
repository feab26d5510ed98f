"""Rendering of $validate-code and $batch-validate-code outcomes as Parameters (R4 = R5)."""

from __future__ import annotations

from plugin.errors import FhirError, operation_outcome
from plugin.outcomes import BatchOutcome, ValidateOutcome
from plugin.types import Resource
from plugin.wire.parameters import param, parameters


def render(outcome: ValidateOutcome) -> Resource:
    """$validate-code output: [codeableConcept], result, the identity of the coding that carries
    the verdict (code, normalized-code, system, version, display, inactive, status), the
    unknown code systems, message, and the issues as an OperationOutcome."""
    out: list[Resource] = []
    if outcome.codeable_concept is not None:
        out.append(param("codeableConcept", "CodeableConcept", outcome.codeable_concept))
    out.append(param("result", "boolean", outcome.result))
    if outcome.code is not None:
        out.append(param("code", "code", outcome.code))
    if outcome.normalized_code:
        out.append(param("normalized-code", "code", outcome.normalized_code))
    if outcome.system is not None:
        out.append(param("system", "uri", outcome.system))
    if outcome.version:
        out.append(param("version", "string", outcome.version))
    if outcome.display:
        out.append(param("display", "string", outcome.display))
    if outcome.inactive:
        out.append(param("inactive", "boolean", True))
    if outcome.status:
        out.append(param("status", "code", outcome.status))
    out += [param(name, "canonical", canonical) for name, canonical in outcome.unknown]
    if outcome.message is not None:
        out.append(param("message", "string", outcome.message))
    if outcome.issues:
        out.append({"name": "issues", "resource": _issues(outcome)})
    return parameters(out)


def _issues(outcome: ValidateOutcome) -> Resource:
    """The `issues` OperationOutcome, each issue's text also in `diagnostics`.

    FHIR puts the human text in `details.text`; HAPI's remote terminology client builds its
    validation messages from `issue.diagnostics`, so the same text is given there too.
    """
    resource = operation_outcome(list(outcome.issues))
    for entry in resource["issue"]:
        entry["diagnostics"] = entry["details"]["text"]
    return resource


def render_batch(outcome: BatchOutcome) -> Resource:
    """$batch-validate-code output: one `validation` per request, in order: its answer, or the
    OperationOutcome it failed with."""
    return parameters(
        [
            {
                "name": "validation",
                "resource": a.outcome() if isinstance(a, FhirError) else render(a),
            }
            for a in outcome.answers
        ]
    )
