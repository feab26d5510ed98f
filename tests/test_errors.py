"""The one error type and the one issue-type -> HTTP status table."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from plugin.errors import METHOD_NOT_ALLOWED, FhirError, Issue, invalid, not_found


@pytest.mark.parametrize(
    ("code", "tx_code", "status"),
    [
        ("invalid", None, 400),
        ("not-supported", None, 400),
        ("not-found", "not-found", 404),
        ("processing", "vs-invalid", 422),
        ("too-costly", None, 422),
        ("too-long", None, 413),
        ("exception", None, 500),
        # A failed check-system-version is the client's requirement: 400, from the same table.
        ("exception", "version-error", 400),
        ("no-such-issue-type", None, 400),
    ],
)
def test_status_comes_from_the_table(code: str, tx_code: str | None, status: int) -> None:
    assert FhirError(code, "text", tx_code=tx_code).http_status == status


def test_transport_refusal_keeps_its_own_status() -> None:
    err = FhirError("not-supported", "read-only", ("ValueSet",), status=METHOD_NOT_ALLOWED)
    assert err.http_status == 405


def test_outcome_lists_the_error_then_the_extra_issues() -> None:
    extra = Issue("warning", "informational", "also this", ("x",))
    err = FhirError(
        "invalid", "bad", ("code",), tx_code="invalid-data", message_id="M", extra=[extra]
    )
    outcome = err.outcome()
    assert outcome["resourceType"] == "OperationOutcome"
    first, second = outcome["issue"]
    assert first["severity"] == "error"
    assert first["code"] == "invalid"
    assert first["details"]["text"] == "bad"
    assert first["details"]["coding"][0]["code"] == "invalid-data"
    assert first["extension"][0]["valueString"] == "M"
    assert first["expression"] == ["code"]
    assert second["severity"] == "warning"
    assert "extension" not in second


@pytest.mark.parametrize(("make", "code"), [(invalid, "invalid"), (not_found, "not-found")])
def test_helpers_name_the_issue_type(make: Callable[..., FhirError], code: str) -> None:
    err = make("why", "where")
    assert (err.code, err.text, err.expression) == (code, "why", ("where",))
