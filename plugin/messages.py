"""The catalogue of the issues the terminology operations report: one entry per message.

Each entry holds the OperationOutcome issue type, the `tx-issue-type` code, the default severity
and the text, and names the message id the HL7 FHIR validator uses for the same finding (sent as
the `operationoutcome-message-id` extension, which the validator and its terminology test suite
match on; the ids are those of the validator's `Messages.properties` in hapifhir/org.hl7.fhir.core).
A text is a `str.format` template over named values.

Keys are the message ids, except where one id is reported with two texts (an unknown code system
while validating a code and while expanding a value set): the key then says which.
"""

from __future__ import annotations

from dataclasses import dataclass

from plugin.errors import FhirError, Issue


@dataclass(frozen=True)
class Message:
    """One catalogued issue: type, tx-issue-type, severity and text template."""

    code: str
    tx_code: str | None
    text: str
    severity: str = "error"
    message_id: str | None = None
    # A note that qualifies a valid answer: reported among the issues, left out of `message`.
    quiet: bool = False


_STANDINGS = ("draft", "experimental", "deprecated", "withdrawn")

_UNKNOWN_CS = "A definition for CodeSystem '{system}' could not be found"
_UNKNOWN_CS_VERSION = (
    "A definition for CodeSystem '{system}' version '{version}' could not be found"
)
_VS_NOT_FOUND = "A definition for the value Set '{url}' could not be found"
_NOT_INFERRED = (
    "The System URI could not be determined for the code '{code}' in the ValueSet '{valueset}': "
)
_WRONG_DISPLAY = "Wrong Display Name '{display}' for {system}#{code}."

MESSAGES: dict[str, Message] = {
    # --- the code system of a coding -------------------------------------------------------
    "UNKNOWN_CODESYSTEM": Message(
        "not-found", "not-found", _UNKNOWN_CS + ", so the code cannot be validated"
    ),
    "UNKNOWN_CODESYSTEM_VERSION": Message(
        "not-found",
        "not-found",
        _UNKNOWN_CS_VERSION + ", so the code cannot be validated. Valid versions: {versions}",
    ),
    "UNKNOWN_CODESYSTEM_VERSION_NONE": Message(
        "not-found",
        "not-found",
        _UNKNOWN_CS_VERSION + ", so the code cannot be validated. "
        "No versions of this code system are known",
    ),
    "Coding_has_no_system__cannot_validate": Message(
        "invalid",
        "invalid-data",
        "Coding has no system. A code with no system has no defined meaning, and it cannot be "
        "validated. A system should be provided",
        "warning",
    ),
    "Terminology_TX_System_ValueSet2": Message(
        "invalid",
        "invalid-data",
        "The Coding references a value set, not a code system ('{system}')",
    ),
    "Terminology_TX_System_Relative": Message(
        "invalid",
        "invalid-data",
        "{path}system must be an absolute reference, not a local reference",
    ),
    "CODESYSTEM_CS_NO_SUPPLEMENT": Message(
        "invalid",
        "invalid-data",
        "CodeSystem {canonical} is a supplement, so can't be used as a value in {path}system",
    ),
    # --- the code ------------------------------------------------------------------------------
    "UNKNOWN_CODE_IN_FRAGMENT": Message(
        "code-invalid",
        "invalid-code",
        "Unknown Code '{code}' in the CodeSystem '{system}'{where} - note that the code system is "
        "labeled as a fragment, so the code may be valid in some other fragment",
        "warning",
        quiet=True,
    ),
    "Unknown_Code_in_Version": Message(
        "code-invalid", "invalid-code", "Unknown code '{code}' in the CodeSystem '{system}'{where}"
    ),
    "CODE_CASE_DIFFERENCE": Message(
        "business-rule",
        "code-rule",
        "The code '{code}' differs from the correct code '{correct}' by case. Although the code "
        "system '{system}' is case insensitive, implementers are strongly encouraged to use the "
        "correct case anyway",
        "information",
        quiet=True,
    ),
    # Our own: OPCS-4 / ICD-10 codes as NHS data sets carry them (J127, j12.7) in a system whose
    # written form is upper case and dotted: valid, with the form to record.
    "CODE_FORM_DIFFERENCE": Message(
        "business-rule",
        "code-rule",
        "The code '{code}' is a variant form of '{correct}' in the code system '{system}' "
        "(undotted or in other letter case); it is accepted as '{correct}', the form to record",
        "information",
        quiet=True,
    ),
    "DEPRECATED_CONCEPT_FOUND": Message(
        "business-rule",
        "code-comment",
        "The concept '{code}' is deprecated and its use should be reviewed",
        "warning",
    ),
    "INACTIVE_CONCEPT_FOUND": Message(
        "business-rule",
        "code-comment",
        "The concept '{code}' has a status of {status} and its use should be reviewed",
        "warning",
    ),
    "STATUS_CODE_WARNING_CODE": Message(
        "business-rule", "code-rule", "The concept '{code}' is valid but is not active"
    ),
    # --- the display ---------------------------------------------------------------------------
    "INACTIVE_DISPLAY_FOUND": Message(
        "invalid",
        "display-comment",
        "'{display}' is no longer considered a correct display for code '{code}' "
        '(status = {status}). The correct display is one of "{correct}".',
        "warning",
        quiet=True,
    ),
    "NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_OK": Message(
        "invalid",
        "invalid-display",
        "There are no valid display names found for the code {system}#{code} for language(s) "
        "'{langs}'. The display is '{display}' which is a valid display for the default language",
        "information",
    ),
    "NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_ERR": Message(
        "invalid",
        "invalid-display",
        _WRONG_DISPLAY + " There are no valid display names found for language(s) '{langs}'. "
        "Default display is '{default}'",
    ),
    "Display_Name_for__should_be_one_of__instead_of": Message(
        "invalid",
        "invalid-display",
        _WRONG_DISPLAY + " {valid} (for the language(s) '{langs}')",
    ),
    # Our own: the same words in other letter case name the same concept (a warning).
    "Display_Name_Case_for__should_be_one_of__instead_of": Message(
        "invalid",
        "invalid-display",
        "Display Name '{display}' for {system}#{code} differs only in case. {valid} "
        "(for the language(s) '{langs}')",
        "warning",
    ),
    "Display_Name_WS_for__should_be_one_of__instead_of": Message(
        "invalid",
        "invalid-display",
        "Wrong whitespace in Display Name '{display}' for {system}#{code}. {valid} "
        "(for the language(s) '{langs}')",
    ),
    "INVALID_DISPLAY_NAME": Message(
        "processing", "invalid-display", "Invalid displayLanguage: '{value}'"
    ),
    # --- the value set -------------------------------------------------------------------------
    "CONCEPT_DEPRECATED_IN_VALUESET": Message(
        "business-rule",
        "code-comment",
        "The presence of the concept '{code}' in the system '{system}' in the value set "
        "{valueset} is marked with a status of deprecated and its use should be reviewed",
        "warning",
        quiet=True,
    ),
    "ABSTRACT_CODE_NOT_ALLOWED": Message(
        "business-rule",
        "code-rule",
        "Code '{system}#{code}' is abstract, and not allowed in this context",
    ),
    "None_of_the_provided_codes_are_in_the_value_set_one": Message(
        "code-invalid",
        "not-in-vs",
        "The provided code '{system}#{code}{shown}' was not found in the value set '{valueset}'",
    ),
    "TX_GENERAL_CC_ERROR_MESSAGE": Message(
        "code-invalid",
        "not-in-vs",
        "No valid coding was found for the value set '{valueset}'",
    ),
    "Unable_to_resolve_system__value_set_has_multiple_matches": Message(
        "not-found",
        "cannot-infer",
        _NOT_INFERRED + "value set expansion has multiple matches: [{systems}]",
    ),
    "UNABLE_TO_INFER_CODESYSTEM": Message(
        "not-found",
        "cannot-infer",
        _NOT_INFERRED + "no system of the value set has it (looked in {systems})",
    ),
    "VALUESET_VALUE_MISMATCH_DEFAULT": Message(
        "invalid",
        "vs-invalid",
        "The code system '{system}' version '{used}' for the versionless include in the "
        "ValueSet include is different to the one in the value ('{stated}')",
        "warning",
        quiet=True,
    ),
    "VALUESET_VALUE_MISMATCH": Message(
        "invalid",
        "vs-invalid",
        "The code system '{system}' version '{used}' in the ValueSet include is different to "
        "the one in the value ('{stated}')",
    ),
    "VALUESET_VALUE_MISMATCH_CHANGED": Message(
        "invalid",
        "vs-invalid",
        "The code system '{system}' version '{rule}' resulting from the version '{pinned}' in "
        "the ValueSet include is different to the one in the value ('{stated}')",
    ),
    "VALUESET_VERSION_CHECK": Message(
        "exception",
        "version-error",
        "The version '{used}' is not allowed for system '{system}': required to be "
        "'{required}' by a version-check parameter",
    ),
    "Unable_to_resolve_value_Set_": Message("not-found", "not-found", _VS_NOT_FOUND),
    # --- $subsumes --------------------------------------------------------------------------
    "SUBSUMES_CODING_NO_SYSTEM": Message(
        "invalid",
        "invalid-data",
        "The Coding coding{side} has no system: $subsumes needs to know its code system",
    ),
    "SUBSUMES_SYSTEM_REQUIRED": Message(
        "invalid",
        "invalid-data",
        "No system was given: $subsumes needs the code system of codeA and codeB",
    ),
    # --- expanding a value set -----------------------------------------------------------------
    "UNKNOWN_CODESYSTEM_EXP": Message(
        "not-found",
        "not-found",
        _UNKNOWN_CS + ", so the value set cannot be expanded",
        message_id="UNKNOWN_CODESYSTEM",
    ),
    "UNKNOWN_CODESYSTEM_VERSION_EXP": Message(
        "not-found",
        "not-found",
        _UNKNOWN_CS_VERSION + ", so the value set cannot be expanded{valid}",
    ),
    "VALUESET_CIRCULAR_REFERENCE": Message(
        "processing",
        "vs-invalid",
        "The value set '{url}' refers to itself through its imports ({chain}), so it cannot be "
        "expanded",
    ),
    "VS_EXP_IMPORT_UNK_PINNED": Message("not-found", "not-found", _VS_NOT_FOUND),
    "VALUESET_SUPPLEMENT_MISSING": Message(
        "not-found", "not-found", "Required supplement not found: {url}"
    ),
    "UNABLE_TO_HANDLE_SYSTEM_FILTER_WITH_NO_VALUE": Message(
        "invalid",
        "vs-invalid",
        "The system {system} filter with property = {property}, op = {op} has no value",
    ),
    "VALUESET_TOO_COSTLY": Message(
        "too-costly",
        None,
        "The expansion has {total} codes, more than the {limit} this server returns at once; "
        "use count and offset",
    ),
    # --- the standing of the content used ------------------------------------------------------
    **{
        f"MSG_{s.upper()}": Message(
            "business-rule",
            "status-check",
            f"Reference to {s} {{rtype}} {{canonical}}",
            "information",
            quiet=True,
        )
        for s in _STANDINGS
    },
}


QUIET = frozenset(m.message_id or k for k, m in MESSAGES.items() if m.quiet)
"""The message ids of the notes that stay out of a `message`."""


def text(key: str, **values: object) -> str:
    """The text of catalogue entry `key` with its named values filled in."""
    return MESSAGES[key].text.format(**values)


def issue(
    key: str, expression: tuple[str, ...] = (), severity: str | None = None, **values: object
) -> Issue:
    """An OperationOutcome issue from the catalogue (`severity` overrides the entry's)."""
    m = MESSAGES[key]
    return Issue(
        severity or m.severity,
        m.code,
        m.text.format(**values),
        expression,
        m.tx_code,
        m.message_id or key,
    )


def error(key: str, expression: tuple[str, ...] = (), **values: object) -> FhirError:
    """A refusal (raised, rendered as a 4xx OperationOutcome) from the catalogue."""
    m = MESSAGES[key]
    return FhirError(
        m.code,
        m.text.format(**values),
        expression,
        tx_code=m.tx_code,
        message_id=m.message_id or key,
    )
