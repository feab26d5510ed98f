"""Operation outcomes are frozen values: an operation's answer cannot change after it is made."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from plugin import outcomes

CLASSES = [
    c
    for _, c in inspect.getmembers(outcomes, inspect.isclass)
    if dataclasses.is_dataclass(c) and c.__module__ == outcomes.__name__
]


def test_there_is_an_outcome_per_operation() -> None:
    names = {c.__name__ for c in CLASSES}
    assert {
        "TranslateOutcome",
        "LookupOutcome",
        "ExpandOutcome",
        "ValidateOutcome",
        "BatchOutcome",
        "SearchOutcome",
        "CapabilitiesOutcome",
        "TerminologyOutcome",
        "VersionsOutcome",
        "SubsumesOutcome",
    } <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_outcomes_are_frozen(cls: type) -> None:
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
