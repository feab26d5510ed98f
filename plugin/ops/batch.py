"""ValueSet/$batch-validate-code: many $validate-code requests against one value set in one call.

The shared parameters (url, valueSet, tx-resource, lenient-display-validation, ...) are given once;
each `validation` parameter carries a Parameters resource with one request's own parameters,
which win over the shared ones. Each answer is the Parameters a single $validate-code would give,
or the OperationOutcome it would have failed with: one bad request does not fail the batch.
"""

from __future__ import annotations

from plugin.errors import FhirError, invalid
from plugin.ops.operation import Context, Operation
from plugin.ops.params import Args, Param, parse_parameters
from plugin.ops.validate_code import VS_PARAMS, evaluate_valueset
from plugin.outcomes import BatchOutcome, ValidateOutcome
from plugin.types import Resource
from plugin.wire.validate import render_batch

PARAMS = (
    *VS_PARAMS,
    Param("validation", "Resource", "One validation request (a Parameters resource)", max=None),
)


def _merged(shared: Args, own: Args) -> Args:
    out = Args()
    for name, values in shared.values.items():
        if name != "validation":
            out.values[name] = list(values)
            out.spelled[name] = shared.spelled.get(name, name)
    for name, values in own.values.items():
        out.values[name] = list(values)
        out.spelled[name] = own.spelled.get(name, name)
    return out


def evaluate(ctx: Context) -> BatchOutcome:
    """Validate each `validation` request in turn and answer them in the same order."""
    requests = ctx.args.all("validation")
    if not requests:
        raise invalid("Give at least one 'validation' parameter", "validation")
    answers: list[ValidateOutcome | FhirError] = []
    for request in requests:
        try:
            own = parse_parameters(VS_PARAMS, request)
            sub = Context(
                _merged(ctx.args, own),
                ctx.store,
                ctx.resource_type,
                ctx.instance,
                ctx.r5,
                ctx.accept_language,
            )
            answers.append(evaluate_valueset(sub))
        except FhirError as exc:
            answers.append(exc)
    return BatchOutcome(tuple(answers))


def run(ctx: Context) -> Resource:
    """The $batch-validate-code operation: evaluate, then render as Parameters."""
    return render_batch(evaluate(ctx))


OPERATION = Operation(
    name="batch-validate-code",
    definition="http://hl7.org/fhir/OperationDefinition/ValueSet-batch-validate-code",
    resource_types=("ValueSet",),
    params=PARAMS,
    run=run,
)
