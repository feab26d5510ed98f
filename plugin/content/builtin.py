"""The built-in content pack: the IPG406 resources, described by the pack's own `pack.json`.

What the pack is called (its id, package name, title, description) and which folders hold its
resources are data in `pack.json`, so the code names no guidance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MANIFEST = "pack.json"


@dataclass(frozen=True)
class PackInfo:
    """A content pack's manifest: `id` (the entry-point name), package `name`, title, folders."""

    id: str
    name: str
    title: str
    description: str
    folders: tuple[str, ...]


def _root() -> Path:
    here = Path(__file__).resolve().parent.parent
    installed = here / "_content"
    return installed if installed.is_dir() else here.parent


def read_manifest(folder: Path) -> PackInfo | None:
    """The `pack.json` of a pack folder, or None when it has none or it is unusable."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return PackInfo(
            str(data["id"]),
            str(data["name"]),
            str(data["title"]),
            str(data.get("description", data["title"])),
            tuple(str(f) for f in data.get("folders", ())),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def manifest_document(info: PackInfo) -> dict[str, object]:
    """The `pack.json` document of a manifest: what `read_manifest` reads back."""
    return {
        "id": info.id,
        "name": info.name,
        "title": info.title,
        "description": info.description,
        "folders": list(info.folders),
    }


@cache
def manifest() -> PackInfo:
    """The built-in pack's manifest (installed wheel, else the source tree)."""
    info = read_manifest(_root())
    if info is None:
        raise RuntimeError(f"the built-in content has no readable {MANIFEST}")
    return info


def content_dirs() -> list[Path]:
    """Folders of the built-in resources: inside the installed wheel, else the source tree."""
    root = _root()
    return [root / f for f in manifest().folders if (root / f).is_dir()]
