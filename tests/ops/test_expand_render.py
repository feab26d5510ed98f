"""Expansion rendering: hierarchy, display language, designations, requested properties."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.content.codesystem import CodeSystemIndex
from plugin.content.valueset import Item
from plugin.ops.expand_render import Layout, can_nest, contains, preferred_languages

CS: dict[str, Any] = {
    "resourceType": "CodeSystem",
    "url": "http://x/cs",
    "version": "1",
    "language": "en",
    "property": [{"code": "prop", "uri": "http://x/prop", "type": "code"}],
    "concept": [
        {
            "code": "a",
            "display": "Alpha",
            "definition": "The first",
            "designation": [{"language": "de", "value": "Alfa"}],
            "property": [{"code": "prop", "valueCode": "p1"}],
            "concept": [{"code": "a1", "display": "Alpha one"}],
        },
        {"code": "b", "display": "Beta"},
    ],
}


def _items() -> list[Item]:
    cs = CodeSystemIndex(CS)
    return [
        Item("http://x/cs", c.code, c.display, "1", concept=c, source=cs)
        for c in cs.concepts.values()
    ]


@pytest.mark.parametrize(
    ("compose", "exclude_nested", "text_filter", "expected"),
    [
        ({"include": [{"system": "s"}]}, None, False, True),
        ({"include": [{"system": "s"}]}, True, False, False),
        ({"include": [{"system": "s", "concept": [{"code": "a"}]}]}, False, False, False),
        ({"include": [{"system": "s"}], "exclude": [{"system": "s"}]}, False, False, False),
        ({"include": [{"system": "s"}]}, None, True, False),
        ({"include": [{"system": "s", "filter": [{}]}]}, None, True, True),
        ({"include": [{"valueSet": ["v"]}]}, None, False, False),
    ],
)
def test_can_nest(
    compose: dict[str, Any], exclude_nested: bool | None, text_filter: bool, expected: bool
) -> None:
    assert can_nest({"compose": compose}, exclude_nested, text_filter) is expected


def test_nested_contains_follow_the_hierarchy() -> None:
    out = contains(_items(), Layout(nested=True))
    assert [c.code for c in out] == ["a", "b"]
    assert [c.code for c in out[0].contains] == ["a1"]
    assert out[0].version is None


def test_flat_contains_keep_expansion_order() -> None:
    flat = contains(_items(), Layout())
    assert [c.code for c in flat] == ["a", "a1", "b"]
    assert not any(c.contains for c in flat)


@pytest.mark.parametrize(
    ("language", "display", "demoted"),
    [
        ("de", "Alfa", True),
        ("en", "Alpha", False),
        ("fr,*", "Alpha", False),
        ("de-CH", "Alfa", True),
    ],
)
def test_display_language(language: str, display: str, demoted: bool) -> None:
    first = contains(_items(), Layout(designations=True, language=language))[0]
    assert first.display == display
    values = [d["value"] for d in first.designations]
    assert ("Alpha" in values) is demoted


def test_hard_language_without_a_match_leaves_no_display() -> None:
    out = contains(_items(), Layout(language="fr, *; q=0"))
    assert out[2].display is None


def test_requested_properties_are_returned_and_declared() -> None:
    layout = Layout(properties=["prop", "definition"])
    first = contains(_items(), layout)[0]
    assert {"code": "prop", "valueCode": "p1"} in first.properties
    assert {"code": "definition", "valueString": "The first"} in first.properties
    assert layout.declared == {
        "prop": "http://x/prop",
        "definition": "http://hl7.org/fhir/concept-properties#definition",
    }


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de", (["de"], False)),
        ("en;q=0.5, de", (["de", "en"], False)),
        ("de, *; q=0", (["de"], True)),
        ("", ([], False)),
    ],
)
def test_preferred_languages(header: str, expected: tuple[list[str], bool]) -> None:
    assert preferred_languages(header) == expected
