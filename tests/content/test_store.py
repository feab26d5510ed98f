"""Version selection in the store: exact versions, wildcards, latest by default."""

from __future__ import annotations

import pytest

from plugin.content.store import Store, make_entry, version_matches


@pytest.mark.parametrize(
    ("version", "pattern", "expected"),
    [
        ("1.0.0", "1.0.0", True),
        ("1.0.0", "1.0.x", True),
        ("1.0.7", "1.x.x", True),
        ("1.2.0", "1.x", True),
        ("1.2.0", "1.0.*", False),
        ("2.0.0", "1.x", False),
        ("1.0", "1.0.x", False),
        ("1.0.0", "1.0.1", False),
    ],
)
def test_version_matches(version: str, pattern: str, expected: bool) -> None:
    assert version_matches(version, pattern) is expected


def _store(*versions: str) -> Store:
    store = Store()
    for v in versions:
        cs = {
            "resourceType": "CodeSystem",
            "url": "http://x/cs",
            "version": v,
            "content": "complete",
        }
        store.add(make_entry(cs, "test"))
    return store


@pytest.mark.parametrize(
    ("wanted", "found"),
    [(None, "1.2.0"), ("1.0.0", "1.0.0"), ("1.0.x", "1.0.1"), ("1.x.x", "1.2.0"), ("3.x", None)],
)
def test_resolve_picks_the_latest_match(wanted: str | None, found: str | None) -> None:
    entry = _store("1.0.0", "1.0.1", "1.2.0").resolve("CodeSystem", "http://x/cs", wanted)
    assert (entry.version if entry else None) == found
