"""The built-in content pack: the IPG406 CodeSystems, ValueSets and ConceptMap."""

from __future__ import annotations

from pathlib import Path

_FOLDERS = ("namingsystems", "codesystems", "valuesets", "conceptmaps")


def content_dirs() -> list[Path]:
    """Folders of the built-in resources: inside the installed wheel, else the source tree."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "_content"
    root = installed if installed.is_dir() else here.parent
    return [root / f for f in _FOLDERS if (root / f).is_dir()]
