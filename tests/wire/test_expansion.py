"""Rendering of $expand outcomes: R5 element order, and the R4 form of R5-only elements."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.outcomes import ExpandOutcome, ExpansionEntry
from plugin.wire.expansion import (
    EXT_CONTAINS_PROPERTY,
    EXT_EXPANSION_PROPERTY,
    render,
)


def _outcome(*entries: ExpansionEntry) -> ExpandOutcome:
    return ExpandOutcome(
        value_set={"resourceType": "ValueSet", "url": "http://x/vs"},
        identifier="urn:uuid:1",
        timestamp="2026-01-01T00:00:00+00:00",
        total=len(entries),
        offset=None,
        parameters=(("used-codesystem", "uri", "http://x|1"),),
        contains=entries,
        properties=(("p", "http://x/p"),),
        fragments=(),
        codes=(),
    )


PROP = {"code": "p", "valueCode": "v"}
EXT = {"url": "http://x/ext", "valueString": "e"}


def test_r5_entries_keep_properties_in_fhir_element_order() -> None:
    child = ExpansionEntry("http://x", "a1")
    parent = ExpansionEntry("http://x", "a", display="A", properties=(PROP,), contains=(child,))
    vs = render(_outcome(parent), r5=True)
    entry = vs["expansion"]["contains"][0]
    assert list(entry) == ["system", "code", "display", "property", "contains"]
    assert vs["expansion"]["property"] == [{"code": "p", "uri": "http://x/p"}]
    assert vs["expansion"]["parameter"] == [{"name": "used-codesystem", "valueUri": "http://x|1"}]


@pytest.mark.parametrize(
    ("extensions", "keys"),
    [
        ((), ["system", "code", "extension"]),
        ((EXT,), ["system", "extension", "code"]),
    ],
)
def test_r4_entries_carry_properties_as_extensions(
    extensions: tuple[dict[str, Any], ...], keys: list[str]
) -> None:
    vs = render(
        _outcome(ExpansionEntry("http://x", "a", extensions=extensions, properties=(PROP,)))
    )
    entry = vs["expansion"]["contains"][0]
    assert list(entry) == keys
    assert entry["extension"][-1]["url"] == EXT_CONTAINS_PROPERTY
    assert entry["extension"][: len(extensions)] == list(extensions)
    assert "property" not in vs["expansion"]
    assert vs["expansion"]["extension"][0]["url"] == EXT_EXPANSION_PROPERTY


def test_r4_nested_entries_carry_their_properties_too() -> None:
    child = ExpansionEntry("http://x", "b", properties=({"code": "p", "valueString": "w"},))
    parent = ExpansionEntry("http://x", "a", properties=(PROP,), contains=(child,))
    entry = render(_outcome(parent))["expansion"]["contains"][0]
    assert {"url": "value", "valueCode": "v"} in entry["extension"][0]["extension"]
    nested = entry["contains"][0]["extension"][0]["extension"]
    assert nested[1] == {"url": "value", "valueString": "w"}
