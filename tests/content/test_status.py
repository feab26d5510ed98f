"""Standing of resources and value set concepts (draft, experimental, deprecated, withdrawn)."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.content.status import STANDARDS_STATUS, VS_DEPRECATED, concept_deprecated, standing


@pytest.mark.parametrize(
    ("resource", "lifecycle", "expected"),
    [
        ({"status": "active"}, True, None),
        ({"status": "draft"}, True, "draft"),
        ({"status": "draft"}, False, None),
        ({"status": "active", "experimental": True}, True, "experimental"),
        ({"extension": [{"url": STANDARDS_STATUS, "valueCode": "withdrawn"}]}, False, "withdrawn"),
        ({"extension": [{"url": STANDARDS_STATUS, "valueCode": "deprecated"}]}, True, "deprecated"),
        ({"extension": [{"url": STANDARDS_STATUS, "valueCode": "normative"}]}, True, None),
    ],
)
def test_standing(resource: dict[str, Any], lifecycle: bool, expected: str | None) -> None:
    assert standing(resource, lifecycle) == expected


@pytest.mark.parametrize(
    ("extension", "expected"),
    [
        ({"url": VS_DEPRECATED, "valueCode": "true"}, True),
        ({"url": VS_DEPRECATED, "valueBoolean": True}, True),
        ({"url": VS_DEPRECATED, "valueBoolean": False}, False),
        ({"url": STANDARDS_STATUS, "valueCode": "withdrawn"}, True),
        ({"url": "http://example.org/other", "valueCode": "true"}, False),
    ],
)
def test_concept_deprecated(extension: dict[str, Any], expected: bool) -> None:
    assert concept_deprecated({"code": "a", "extension": [extension]}) is expected
