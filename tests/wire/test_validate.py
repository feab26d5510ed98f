"""$validate-code outcomes rendered as Parameters: FHIR's order, nothing unset rendered."""

from __future__ import annotations

import pytest

from plugin.errors import FhirError, Issue
from plugin.outcomes import BatchOutcome, ValidateOutcome
from plugin.wire.validate import render, render_batch

FULL = ValidateOutcome(
    result=False,
    codeable_concept={"coding": [{"system": "http://x", "code": "a"}]},
    code="a",
    normalized_code="A",
    system="http://x",
    version="1",
    display="Alpha",
    inactive=True,
    status="retired",
    unknown=(("x-unknown-system", "http://y"), ("x-caused-by-unknown-system", "http://z|2")),
    message="why",
    issues=(Issue("error", "code-invalid", "why", ("code",)),),
)


def test_every_part_in_order() -> None:
    names = [p["name"] for p in render(FULL)["parameter"]]
    assert names == [
        "codeableConcept",
        "result",
        "code",
        "normalized-code",
        "system",
        "version",
        "display",
        "inactive",
        "status",
        "x-unknown-system",
        "x-caused-by-unknown-system",
        "message",
        "issues",
    ]


@pytest.mark.parametrize("result", [True, False])
def test_a_bare_verdict_is_only_the_result(result: bool) -> None:
    assert render(ValidateOutcome(result)) == {
        "resourceType": "Parameters",
        "parameter": [{"name": "result", "valueBoolean": result}],
    }


def test_batch_renders_answers_and_refusals_in_order() -> None:
    refused = FhirError("invalid", "bad request", ("code",))
    body = render_batch(BatchOutcome((ValidateOutcome(True), refused)))
    first, second = (p["resource"] for p in body["parameter"])
    assert first["resourceType"] == "Parameters"
    assert second == refused.outcome()
