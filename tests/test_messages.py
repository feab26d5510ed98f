"""The catalogue of reported issues: every entry renders, every id the code uses exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from plugin.errors import FhirError
from plugin.messages import MESSAGES, QUIET, error, issue, text

ROOT = Path(__file__).resolve().parent.parent / "plugin"


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_entry_renders_with_its_named_values(key: str) -> None:
    values = {f: f"<{f}>" for f in _fields(MESSAGES[key].text)}
    rendered = issue(key, ("code",), **values)
    assert "{" not in rendered.text
    for v in values.values():
        assert v in rendered.text
    assert rendered.code == MESSAGES[key].code
    assert rendered.message_id == (MESSAGES[key].message_id or key)
    assert rendered.expression == ("code",)


def test_a_missing_value_is_a_bug_not_a_silent_gap() -> None:
    with pytest.raises(KeyError):
        text("Unknown_Code_in_Version", code="X")


def test_severity_can_be_overridden_and_errors_are_raisable() -> None:
    assert (
        issue(
            "Display_Name_for__should_be_one_of__instead_of",
            (),
            "warning",
            display="d",
            system="s",
            code="c",
            valid="v",
            langs="en",
        ).severity
        == "warning"
    )
    err = error("VALUESET_SUPPLEMENT_MISSING", url="http://x")
    assert isinstance(err, FhirError)
    assert (err.code, err.http_status, err.text) == (
        "not-found",
        404,
        "Required supplement not found: http://x",
    )


def test_one_id_may_have_two_texts_but_reports_the_validator_id() -> None:
    expanding = issue("UNKNOWN_CODESYSTEM_EXP", system="http://x")
    validating = issue("UNKNOWN_CODESYSTEM", system="http://x")
    assert expanding.message_id == validating.message_id == "UNKNOWN_CODESYSTEM"
    assert expanding.text != validating.text


def test_quiet_notes_are_the_ones_that_qualify_a_valid_answer() -> None:
    assert {"MSG_DRAFT", "MSG_WITHDRAWN", "UNKNOWN_CODE_IN_FRAGMENT"} <= QUIET
    assert "Unknown_Code_in_Version" not in QUIET


# issue("KEY", ...) / error("KEY", ...) / text("KEY", ...) with a literal key, anywhere in plugin/
_USE = re.compile(r"\b(?:issue|error|text)\(\s*\"([A-Za-z_]+)\"")


def test_every_key_the_code_uses_is_catalogued() -> None:
    used = {m for p in ROOT.rglob("*.py") for m in _USE.findall(p.read_text(encoding="utf-8"))}
    assert used, "the pattern finds the uses"
    assert used <= set(MESSAGES), sorted(used - set(MESSAGES))
