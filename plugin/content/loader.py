"""Loading resources from files, folders and content packs into a Store.

The built-in guidance content is a content pack like any other: it is found through the
`nice_tx.content` entry-point group, so a third-party pack is loaded the same way.
"""

from __future__ import annotations

import logging
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

from plugin.content import systems
from plugin.content.builtin import PackInfo, read_manifest
from plugin.content.package import is_package, read_package
from plugin.content.store import Entry, Store, make_entry
from plugin.jsonio import loads
from plugin.types import Resource

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "nice_tx.content"


@dataclass
class LoadReport:
    """What a load kept and what it refused, and why."""

    loaded: list[Entry] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


# A folder holding this file is not content (a compiled pack's `rules/`, which the compiler
# writes beside the FHIR resources): its JSON files are neither loaded nor refused.
IGNORE_MARKER = ".nice-tx-ignore"


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


def _documents(root: Path) -> Iterator[tuple[str, bytes | Exception]]:
    """(label, bytes or the read error) of every JSON document under `root`."""
    if is_package(root):
        try:
            _, files = read_package(root)
            yield from files
        except (ValueError, OSError, tarfile.TarError) as exc:
            yield str(root), exc
        return
    for file in iter_json_files(root):
        try:
            yield str(file), file.read_bytes()
        except OSError as exc:
            yield str(file), exc


def origin_of(root: Path) -> str | None:
    """`name#version` of a FHIR package (how FHIR tools name a package), else None."""
    if not is_package(root):
        return None
    try:
        head, _ = read_package(root)
    except (ValueError, OSError, tarfile.TarError):
        return None
    return f"{head.name}#{head.version}"


def load_paths(store: Store, paths: Iterable[Path], origin: str) -> LoadReport:
    """Load every JSON resource under `paths` (files, folders, FHIR packages) into `store`.

    Whatever cannot be used is refused with the reason (not JSON, not a CodeSystem/ValueSet/
    ConceptMap, no url...), never silently dropped.
    """
    report = LoadReport()
    for root in paths:
        if not root.exists():
            report.refused.append((str(root), "no such file or folder"))
            continue
        parsed: list[tuple[str, list[Resource]]] = []
        for label, data in _documents(root):
            try:
                parsed.append((label, _resources(data)))
            except (ValueError, KeyError, TypeError) as exc:
                report.refused.append((label, str(exc)))
        # Code system identity first: the other resources' codes are indexed in canonical form.
        for label, resources in parsed:
            for r in [r for r in resources if r.get("resourceType") == "NamingSystem"]:
                try:
                    systems.register(r)
                except ValueError as exc:
                    report.refused.append((label, str(exc)))
                    resources.remove(r)
        for label, resources in parsed:
            try:
                for r in resources:
                    entry = make_entry(r, origin)
                    store.add(entry)
                    report.loaded.append(entry)
            except (ValueError, KeyError, TypeError) as exc:
                report.refused.append((label, str(exc)))
    return report


def _resources(data: bytes | Exception) -> list[Resource]:
    """The resources of one JSON document: the resource itself, or a Bundle's entries."""
    if isinstance(data, Exception):
        raise ValueError(str(data))
    resource = loads(data)
    if not isinstance(resource, dict):
        raise ValueError("not a JSON object")
    if resource.get("resourceType") == "Bundle":
        return [e["resource"] for e in resource.get("entry", []) if "resource" in e]
    return [resource]


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
    """A store with every registered content pack, then the `extra` paths (which win).

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
    for name, paths in sources:
        info = _pack_info(paths)
        if info is not None and info.title not in store.titles:
            store.titles.append(info.title)
        part = load_paths(store, paths, name)
        report.loaded.extend(part.loaded)
        report.refused.extend(part.refused)
    for path, why in report.refused:
        log.warning("refused %s: %s", path, why)
    return store, report
