"""Every description case through HTTP, read with the scorer's rules (tests/text/scoring.py).

`descriptions-dev.jsonl` is the development set of 29 descriptions the reading rules answer;
`cases-extra.jsonl` are our own, each with the reason it exists: misspellings, negation,
conversion, combined operations, other energies / organs / procedures, abbreviations, case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.text.scoring import judge, load_cases

DEV = load_cases("descriptions-dev.jsonl")
EXTRA = load_cases("cases-extra.jsonl")


def test_dev_set_is_complete() -> None:
    assert len(DEV) == 29
    assert {c["kind"] for c in DEV} == {"determinate", "ambiguous", "out"}


def test_extra_cases_have_reasons_and_unique_ids() -> None:
    assert all(c.get("reason") for c in EXTRA)
    ids = [c["id"] for c in DEV + EXTRA]
    assert len(ids) == len(set(ids))
    # false positives matter as much as true ones
    assert sum(c["kind"] == "out" for c in EXTRA) >= 15


@pytest.mark.parametrize("case", DEV + EXTRA, ids=[c["id"] for c in DEV + EXTRA])
def test_case_over_http(case: dict[str, Any], translate_text: Callable[..., Any]) -> None:
    status, body = translate_text(case["text"])
    assert judge(case, status, body) is None, (case["text"], body)


@pytest.mark.parametrize("case", DEV + EXTRA, ids=[c["id"] for c in DEV + EXTRA])
def test_every_answer_explains_itself(
    case: dict[str, Any], translate_text: Callable[..., Any]
) -> None:
    status, body = translate_text(case["text"])
    if status >= 400:
        assert body["resourceType"] == "OperationOutcome"
        return
    params = body["parameter"]
    message = next(p["valueString"] for p in params if p["name"] == "message")
    assert message.startswith(("Coded as", "Read as", "No code"))
    for match in (p for p in params if p["name"] == "match"):
        names = [q["name"] for q in match["part"]]
        assert "message" in names
        text = next(q["valueString"] for q in match["part"] if q["name"] == "message")
        assert "From the description:" in text
        assert "'" in text  # quotes the words it read
