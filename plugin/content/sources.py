"""The JSON documents under a content path, with a reason for everything that cannot be read.

A content path is a file, a folder or a FHIR package. Whatever is found but not read (a FIFO, a
broken or looping symbolic link, a folder nested too deep, a truncated archive, a folder with
no JSON at all) comes back as an error with its path, so the load report names it; nothing is
dropped silently, and no filesystem oddity stops the start-up.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from plugin.content.builtin import MANIFEST, read_manifest
from plugin.content.package import is_package, read_package

# What reading a package or a file may raise: unreadable, truncated or corrupt archives.
READ_ERRORS = (ValueError, OSError, EOFError, tarfile.TarError, zlib.error)

# Folders below a content root that are read; deeper ones are reported, not walked.
MAX_FOLDER_DEPTH = 16

# A folder holding this file is not content (a compiled pack's `rules/`): it and the folders
# below it are neither loaded nor refused.
IGNORE_MARKER = ".nice-tx-ignore"

Document = tuple[str, bytes | Exception]


def documents(root: Path) -> Iterator[Document]:
    """(label, bytes or the reason it was not read) of every JSON document under `root`."""
    if is_package(root):
        try:
            _, files = read_package(root)
            yield from files
        except READ_ERRORS as exc:
            yield str(root), ValueError(f"not a readable FHIR package: {_why(exc)}")
        return
    if root.is_dir():
        yield from _folder(root)
    elif root.is_file():
        yield _read(root)
    elif root.is_symlink():
        yield str(root), ValueError("a broken symbolic link or a symbolic link loop")
    else:
        yield str(root), ValueError("not a regular file or folder (a FIFO, socket or device)")


def _why(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _read(path: Path) -> Document:
    try:
        return str(path), path.read_bytes()
    except OSError as exc:
        return str(path), exc


def _folder(root: Path) -> Iterator[Document]:
    """Every `*.json` below `root`, sorted per folder; links followed, each folder read once.
    A pack's manifest (`pack.json` at the root, readable as one) describes the pack and is not
    a resource: it is neither loaded nor refused."""
    manifest = root / MANIFEST if read_manifest(root) is not None else None
    seen: set[str] = set()
    found = False
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        real = os.path.realpath(folder)
        if real in seen:
            yield str(folder), ValueError(f"a symbolic link loop: {real} was already read")
            continue
        seen.add(real)
        if (folder / IGNORE_MARKER).exists():
            found = True  # set aside on purpose: not an empty folder
            continue
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            yield str(folder), exc
            continue
        below: list[tuple[Path, int]] = []
        for e in entries:
            if manifest is not None and Path(e.path) == manifest:
                continue
            for label, what in _entry(e, root, depth):
                if isinstance(what, int):
                    below.append((Path(label), what))
                else:
                    found = found or isinstance(what, bytes)
                    yield label, what
        stack.extend(reversed(below))
    if not found:
        yield str(root), ValueError("the folder holds no readable .json file")


def _entry(
    e: os.DirEntry[str], root: Path, depth: int
) -> list[tuple[str, bytes | Exception | int]]:
    """What one folder entry gives: a document, a reason it was not read, or a sub-folder to
    walk (its depth); nothing for files that are not JSON."""
    label = str(Path(e.path))
    try:
        if e.is_symlink() and not os.path.exists(e.path):
            why = "a broken symbolic link or a symbolic link loop"
        elif e.is_dir():
            if depth + 1 <= MAX_FOLDER_DEPTH:
                return [(label, depth + 1)]
            why = f"a folder more than {MAX_FOLDER_DEPTH} levels below {root}: not read"
        elif not e.name.endswith(".json"):
            return []
        elif e.is_file():
            return [_read(Path(e.path))]
        else:
            why = "not a regular file (a FIFO, socket or device)"
    except OSError as exc:
        return [(label, exc)]
    return [(label, ValueError(why))]
