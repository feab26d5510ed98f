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

from plugin.content.store import Entry, Store, make_entry
from plugin.wire.json import loads

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "nice_tx.content"


@dataclass
class LoadReport:
    """What a load kept and what it refused, and why."""

    loaded: list[Entry] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def iter_json_files(path: Path) -> Iterator[Path]:
    """JSON files at `path`: the file itself, or every `*.json` below a folder, sorted."""
    if path.is_dir():
        yield from sorted(p for p in path.rglob("*.json") if p.is_file())
    elif path.is_file():
        yield path


def load_paths(store: Store, paths: Iterable[Path], origin: str) -> LoadReport:
    """Load every JSON resource under `paths` into `store`, reporting what was refused."""
    report = LoadReport()
    for root in paths:
        if not root.exists():
            report.refused.append((str(root), "no such file or folder"))
            continue
        for file in iter_json_files(root):
            try:
                resource = loads(file.read_bytes())
                if not isinstance(resource, dict):
                    raise ValueError("not a JSON object")
                if resource.get("resourceType") == "Bundle":
                    resources = [
                        e["resource"] for e in resource.get("entry", []) if "resource" in e
                    ]
                else:
                    resources = [resource]
                for r in resources:
                    entry = make_entry(r, origin)
                    store.add(entry)
                    report.loaded.append(entry)
            except (ValueError, KeyError, TypeError, OSError) as exc:
                report.refused.append((str(file), str(exc)))
    return report


def content_packs() -> list[tuple[str, list[Path]]]:
    """The registered content packs: (pack name, folders) from the entry-point group."""
    packs = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        provider = ep.load()
        packs.append((ep.name, [Path(str(p)) for p in provider()]))
    return packs


def build_store(extra: Iterable[Path] = (), *, packs: bool = True) -> tuple[Store, LoadReport]:
    """A store with every registered content pack, then the `extra` paths (which win)."""
    store = Store()
    report = LoadReport()
    sources: list[tuple[str, list[Path]]] = content_packs() if packs else []
    if packs and not sources:
        # Running from a source tree that was never installed: the built-in pack directly.
        from plugin.content.builtin import content_dirs

        sources = [("ipg406", content_dirs())]
    sources.append(("--content", list(extra)))
    for name, paths in sources:
        part = load_paths(store, paths, name)
        report.loaded.extend(part.loaded)
        report.refused.extend(part.refused)
    for path, why in report.refused:
        log.warning("refused %s: %s", path, why)
    return store, report
