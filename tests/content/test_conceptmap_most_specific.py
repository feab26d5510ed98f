"""most_specific: which targets hold under the supplied dependencies."""

from __future__ import annotations

import pytest

from plugin.content.conceptmap import Target, most_specific
from plugin.types import Dependency

US = Dependency("http://example.org/image-control", "http://example.org/cs", "us")
CT = Dependency("http://example.org/image-control", "http://example.org/cs", "ct")
PLAIN = Target("t1", None, "equivalent")
UNDER_US = Target("t1", None, "equivalent", depends_on=(US,))
OTHER_UNDER_CT = Target("t2", None, "equivalent", depends_on=(CT,))
TARGETS = [PLAIN, UNDER_US, OTHER_UNDER_CT]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ((), [PLAIN]),
        ((US,), [UNDER_US]),
        ((CT,), [PLAIN, OTHER_UNDER_CT]),
        ((US, CT), [UNDER_US, OTHER_UNDER_CT]),
    ],
)
def test_holding_targets_with_superseded_ones_dropped(
    given: tuple[Dependency, ...], expected: list[Target]
) -> None:
    assert most_specific(TARGETS, given) == expected


def test_without_dependencies_only_unconditional_targets_hold() -> None:
    assert most_specific([UNDER_US, OTHER_UNDER_CT], ()) == []
