"""Version selection in the store: exact versions, wildcards, latest by default."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.content.store import Entry, Store, make_entry, version_matches


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


def _cs(version: str | None, content: str, codes: list[str]) -> Entry:
    cs: dict[str, Any] = {"resourceType": "CodeSystem", "url": "http://x/cs", "content": content}
    if version is not None:
        cs["version"] = version
    cs["concept"] = [{"code": c} for c in codes]
    return make_entry(cs, "test")


@pytest.mark.parametrize(
    ("content", "layer", "code", "found"),
    [
        ("fragment", "own", "b", True),
        ("fragment", "parent", "b", True),  # request content falls back to the stored
        ("fragment", "own", "z", False),  # in neither
        ("complete", "own", "b", False),  # only an unversioned *fragment* is read so
    ],
)
def test_unversioned_fragment_holding_a_code(
    content: str, layer: str, code: str, found: bool
) -> None:
    store = Store()
    store.add(_cs("1.0", "fragment", ["a"]))
    store.add(_cs(None, content, ["b"]))
    if layer == "parent":
        store = store.overlay([])
    entry = store.unversioned_fragment("http://x/cs", code)
    assert (entry is not None) is found
    if entry is not None:
        assert entry.version is None and entry.index.get(code) is not None
    # the latest version is still what an unpinned reference resolves to
    assert store.resolve("CodeSystem", "http://x/cs").version == "1.0"  # type: ignore[union-attr]
