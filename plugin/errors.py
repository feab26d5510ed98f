"""The single error type of the service, its OperationOutcome, and the issue -> status table.

Every failure a client can cause becomes a `FhirError`; one handler renders it, and one table maps
its issue type to the HTTP status, so the same mistake always gets the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plugin.types import Resource

TX_ISSUE_TYPE = "http://hl7.org/fhir/tools/CodeSystem/tx-issue-type"

# FHIR issue type (optionally refined by its tx-issue-type) -> HTTP status. The only place a
# status is chosen for an issue; transport-level refusals (405, 406, 415) below have no issue type.
STATUS_BY_ISSUE: dict[str | tuple[str, str], int] = {
    "invalid": 400,
    "structure": 400,
    "required": 400,
    "value": 400,
    "invariant": 400,
    "not-supported": 400,
    "business-rule": 422,
    "processing": 422,
    "too-costly": 422,
    "not-found": 404,
    "too-long": 413,
    "security": 401,
    "login": 401,
    "forbidden": 403,
    "conflict": 409,
    "throttled": 429,
    "exception": 500,
    # A failed check-system-version is the client's requirement, not a server fault: the HL7
    # terminology test suite expects 400 with issue type `exception` / `version-error`.
    ("exception", "version-error"): 400,
}

# Transport-level refusals that have no FHIR issue type of their own.
METHOD_NOT_ALLOWED = 405
NOT_ACCEPTABLE = 406
UNSUPPORTED_MEDIA = 415


@dataclass
class Issue:
    """One OperationOutcome.issue, as data."""

    severity: str
    code: str
    text: str
    expression: tuple[str, ...] = ()
    tx_code: str | None = None
    message_id: str | None = None

    def to_json(self) -> Resource:
        """Render as an R4/R5 `OperationOutcome.issue` (identical in both versions)."""
        issue: Resource = {"severity": self.severity, "code": self.code}
        details: Resource = {"text": self.text}
        if self.tx_code:
            details["coding"] = [{"system": TX_ISSUE_TYPE, "code": self.tx_code}]
        issue["details"] = details
        if self.message_id:
            issue["extension"] = [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/operationoutcome-message-id",
                    "valueString": self.message_id,
                }
            ]
        if self.expression:
            issue["expression"] = list(self.expression)
        return issue


@dataclass
class FhirError(Exception):
    """A request the service refuses; rendered as a 4xx (or 5xx) OperationOutcome."""

    code: str
    text: str
    expression: tuple[str, ...] = ()
    status: int | None = None
    tx_code: str | None = None
    message_id: str | None = None
    extra: list[Issue] = field(default_factory=list)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.text)

    @property
    def http_status(self) -> int:
        """The status from the one table, unless a transport-level refusal set its own."""
        if self.status:
            return self.status
        if self.tx_code and (self.code, self.tx_code) in STATUS_BY_ISSUE:
            return STATUS_BY_ISSUE[(self.code, self.tx_code)]
        return STATUS_BY_ISSUE.get(self.code, 400)

    def outcome(self) -> Resource:
        """Render as an OperationOutcome resource."""
        first = Issue("error", self.code, self.text, self.expression, self.tx_code, self.message_id)
        return operation_outcome([first, *self.extra])


def operation_outcome(issues: list[Issue]) -> Resource:
    """Build an OperationOutcome from issues."""
    return {"resourceType": "OperationOutcome", "issue": [i.to_json() for i in issues]}


def invalid(text: str, *expression: str) -> FhirError:
    """A malformed request (HTTP 400, issue type `invalid`)."""
    return FhirError("invalid", text, expression)


def not_found(text: str, *expression: str) -> FhirError:
    """An unknown resource id or canonical (HTTP 404, issue type `not-found`)."""
    return FhirError("not-found", text, expression)
