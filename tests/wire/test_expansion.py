"""R4 form of R5-only expansion elements (cross-version extensions)."""

from __future__ import annotations

from typing import Any

from plugin.wire.expansion import (
    EXT_CONTAINS_PROPERTY,
    EXT_EXPANSION_PROPERTY,
    expansion_to_r4,
)


def test_properties_move_to_extensions() -> None:
    vs: dict[str, Any] = {
        "resourceType": "ValueSet",
        "expansion": {
            "property": [{"code": "p", "uri": "http://x/p"}],
            "contains": [
                {
                    "code": "a",
                    "property": [{"code": "p", "valueCode": "v"}],
                    "contains": [{"code": "b", "property": [{"code": "p", "valueString": "w"}]}],
                }
            ],
        },
    }
    exp = expansion_to_r4(vs)["expansion"]
    assert "property" not in exp
    assert exp["extension"][0]["url"] == EXT_EXPANSION_PROPERTY
    a = exp["contains"][0]
    assert "property" not in a
    assert a["extension"][0]["url"] == EXT_CONTAINS_PROPERTY
    assert {"url": "value", "valueCode": "v"} in a["extension"][0]["extension"]
    assert a["contains"][0]["extension"][0]["extension"][1] == {"url": "value", "valueString": "w"}
