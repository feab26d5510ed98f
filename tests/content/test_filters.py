"""Compose filters: hierarchy operators, property operators, regex with a time limit."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.content.codesystem import CodeSystemIndex
from plugin.content.filters import EXT_FILTER_OP, compose_filter, filter_op
from plugin.errors import FhirError

CS = CodeSystemIndex(
    {
        "resourceType": "CodeSystem",
        "url": "http://x/cs",
        "content": "complete",
        "property": [{"code": "flag", "uri": "http://x/flag", "type": "boolean"}],
        "concept": [
            {
                "code": "root",
                "property": [{"code": "flag", "valueBoolean": True}],
                "concept": [{"code": "kid", "concept": [{"code": "grandkid"}]}],
            },
            {"code": "other"},
        ],
    }
)


def _codes(flt: dict[str, Any]) -> list[str]:
    keep = compose_filter(CS, flt, "ValueSet.compose.include[0].filter[0]")
    return [c.code for c in CS.concepts.values() if keep(c)]


@pytest.mark.parametrize(
    ("prop", "op", "value", "codes"),
    [
        ("concept", "is-a", "root", ["root", "kid", "grandkid"]),
        ("concept", "descendent-of", "root", ["kid", "grandkid"]),
        ("concept", "is-not-a", "root", ["other"]),
        ("concept", "generalizes", "kid", ["root", "kid"]),
        ("concept", "child-of", "root", ["kid"]),
        ("concept", "descendent-leaf", "root", ["grandkid"]),
        ("flag", "=", "true", ["root"]),
        ("flag", "exists", "false", ["kid", "grandkid", "other"]),
        ("code", "in", "kid,other", ["kid", "other"]),
        ("code", "not-in", "kid,other", ["root", "grandkid"]),
        ("code", "regex", "gr.*", ["grandkid"]),
    ],
)
def test_operators(prop: str, op: str, value: str, codes: list[str]) -> None:
    assert _codes({"property": prop, "op": op, "value": value}) == codes


def test_filter_without_value_names_the_system() -> None:
    with pytest.raises(FhirError) as err:
        _codes({"property": "concept", "op": "is-a"})
    assert "http://x/cs" in err.value.text
    assert err.value.tx_code == "vs-invalid"


def test_catastrophic_regex_never_hangs() -> None:
    cs = CodeSystemIndex(
        {"resourceType": "CodeSystem", "url": "http://x/r", "concept": [{"code": "a" * 40 + "!"}]}
    )
    keep = compose_filter(cs, {"property": "code", "op": "regex", "value": "(a+)+b"}, "f")
    try:
        matched = any(keep(c) for c in cs.concepts.values())
    except FhirError as err:  # refused as too costly: also an answer, and a quick one
        assert err.code == "too-costly"
    else:
        assert not matched


def test_invalid_regex_is_refused_when_the_filter_is_built() -> None:
    with pytest.raises(FhirError):
        compose_filter(CS, {"property": "code", "op": "regex", "value": "("}, "f")


@pytest.mark.parametrize(
    ("flt", "op"),
    [
        ({"op": "is-a"}, "is-a"),
        ({"_op": {"extension": [{"url": EXT_FILTER_OP, "valueCode": "child-of"}]}}, "child-of"),
        ({}, None),
    ],
)
def test_filter_op(flt: dict[str, Any], op: str | None) -> None:
    assert filter_op(flt) == op
