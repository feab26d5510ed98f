"""Loading resources from files, folders and content packs into a Store.

The built-in guidance content is a content pack like any other: it is found through the
`nice_tx.content` entry-point group, so a third-party pack is loaded the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import orjson

from plugin.content import sources, systems
from plugin.content.builtin import PackInfo, read_manifest
from plugin.content.fragments import is_fragment
from plugin.content.package import is_package, read_package
from plugin.content.sources import READ_ERRORS, documents
from plugin.content.store import Entry, Store, make_entry
from plugin.jsonio import loads
from plugin.types import Resource

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "nice_tx.content"

# (type, url, version) -> where it was first defined (file, or file and Bundle entry), and what.
Defined = dict[tuple[str, str, str | None], tuple[str, Resource]]


@dataclass
class LoadReport:
    """What a load kept and what it refused, and why."""

    loaded: list[Entry] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


# A folder holding this file is not content (a compiled pack's `rules/`, which the compiler
# writes beside the FHIR resources): its JSON files are neither loaded nor refused.
IGNORE_MARKER = sources.IGNORE_MARKER


def iter_json_files(path: Path) -> Iterator[Path]:
    """JSON files at `path`: the file itself, or every `*.json` below a folder, sorted, except
    those in a folder marked with `IGNORE_MARKER`."""
    if path.is_dir():
        ignored = {m.parent for m in path.rglob(IGNORE_MARKER)}
        yield from sorted(
            p
            for p in path.rglob("*.json")
            if p.is_file() and not any(d in ignored for d in p.parents)
        )
    elif path.is_file():
        yield path


def origin_of(root: Path) -> str | None:
    """`name#version` of a FHIR package (how FHIR tools name a package), else None."""
    if not is_package(root):
        return None
    try:
        head, _ = read_package(root)
    except READ_ERRORS:
        return None
    return f"{head.name}#{head.version}"


def load_paths(
    store: Store, paths: Iterable[Path], origin: str, defined: Defined | None = None
) -> LoadReport:
    """Load every JSON resource under `paths` (files, folders, FHIR packages) into `store`.

    Whatever cannot be used is refused with the reason (not JSON, not a CodeSystem/ValueSet/
    ConceptMap, no url, a second definition of a url|version in `defined`...), never
    silently dropped.
    """
    defined = {} if defined is None else defined
    report = LoadReport()
    for root in paths:
        if not root.exists() and not root.is_symlink():
            report.refused.append((str(root), "no such file or folder"))
            continue
        parsed: list[tuple[str, Any]] = []
        for label, data in documents(root):
            if isinstance(data, Exception):
                report.refused.append((label, str(data) or type(data).__name__))
                continue
            try:
                resource = loads(data)
                if not isinstance(resource, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                report.refused.append((label, str(exc)))
                continue
            parsed.extend(_resources(label, resource))
        # Code system identity first: the other resources' codes are indexed in canonical form.
        kept: list[tuple[str, Any]] = []
        for where, r in parsed:
            if isinstance(r, dict) and r.get("resourceType") == "NamingSystem":
                try:
                    systems.register(r)
                except ValueError as exc:
                    report.refused.append((where, str(exc)))
                    continue
            kept.append((where, r))
        for where, r in kept:
            try:
                if not isinstance(r, dict):
                    raise ValueError(f"not a resource (a JSON {type(r).__name__})")
                entry = make_entry(r, origin)
                _no_conflict(entry, defined)
            except (ValueError, KeyError, TypeError) as exc:
                report.refused.append((where, str(exc)))
                continue
            store.add(entry)
            defined.setdefault((entry.type, entry.url, entry.version), (where, r))
            report.loaded.append(entry)
    return report


def _resources(label: str, resource: Resource) -> list[tuple[str, Any]]:
    """(label, resource) of a document: itself, or each entry of a Bundle."""
    if resource.get("resourceType") != "Bundle":
        return [(label, resource)]
    entries = resource.get("entry", [])
    if not isinstance(entries, list):
        return [(label, "Bundle.entry")]
    return [
        (f"{label} entry[{i}]", e.get("resource") if isinstance(e, dict) else e)
        for i, e in enumerate(entries)
        if not isinstance(e, dict) or "resource" in e
    ]


def _no_conflict(entry: Entry, defined: Defined) -> None:
    """A different second definition of the same `url|version` is an error naming both: were
    either kept silently, $lookup would answer from one and read/search show the other. The
    same resource loaded twice (a pack and its own package) is no conflict, and neither are two
    fragments of one code system version: the store merges them (`fragments.merge`)."""
    first = defined.get((entry.type, entry.url, entry.version))
    if first is None or _same(first[1], entry.resource):
        return
    if is_fragment(first[1]) and is_fragment(entry.resource):
        return
    raise ValueError(
        f"{entry.type} {entry.canonical} is already defined differently by {first[0]}; "
        "two definitions of one url|version conflict"
    )


def _same(a: Resource, b: Resource) -> bool:
    try:
        return orjson.dumps(a, option=orjson.OPT_SORT_KEYS) == orjson.dumps(
            b, option=orjson.OPT_SORT_KEYS
        )
    except TypeError:  # too deep to encode: not shown to be the same
        return False


def _pack_info(paths: list[Path]) -> PackInfo | None:
    """The manifest of the pack whose folders these are (`pack.json` beside them), if any."""
    for p in paths:
        for folder in (p, p.parent):
            info = read_manifest(folder)
            if info is not None:
                return info
    return None


def discover_packs() -> tuple[list[tuple[str, list[Path]]], list[tuple[str, str]]]:
    """Registered content packs (name, paths) and the packs that failed to load, with why.

    A pack is an entry point in the `nice_tx.content` group naming a function that returns the
    paths (folders, files or FHIR packages) of its resources.
    """
    packs, broken = [], []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            provider = ep.load()
            packs.append((ep.name, [Path(str(p)) for p in provider()]))
        except Exception as exc:  # a third-party pack's bug must not stop the service
            broken.append((f"content pack {ep.name} ({ep.value})", f"{type(exc).__name__}: {exc}"))
    return packs, broken


def content_packs() -> list[tuple[str, list[Path]]]:
    """The registered content packs: (pack name, paths) from the entry-point group."""
    return discover_packs()[0]


def build_store(extra: Iterable[Path] = (), *, packs: bool = True) -> tuple[Store, LoadReport]:
    """A store with every registered content pack, then the `extra` paths.

    A `url|version` defined twice (by two packs, or a pack and an extra path) is a conflict:
    the second definition is refused, naming the first.

    Each extra path is its own source: a FHIR package is named `name#version`, anything else
    by its path, so `content list` can say where every resource came from.
    """
    store = Store()
    report = LoadReport()
    sources: list[tuple[str, list[Path]]] = []
    if packs:
        sources, broken = discover_packs()
        report.refused.extend(broken)
    if packs and not sources:
        # Running from a source tree that was never installed: the built-in pack directly.
        from plugin.content.builtin import content_dirs, manifest

        sources = [(manifest().id, content_dirs())]
    sources.extend((origin_of(p) or str(p), [p]) for p in extra)
    defined: Defined = {}
    for name, paths in sources:
        info = _pack_info(paths)
        if info is not None and info.title not in store.titles:
            store.titles.append(info.title)
        part = load_paths(store, paths, name, defined)
        report.loaded.extend(part.loaded)
        report.refused.extend(part.refused)
    for path, why in report.refused:
        log.warning("refused %s: %s", path, why)
    return store, report
