"""FHIR NPM packages: write our content as one, and read one (`.tgz` or unpacked) back.

A FHIR package (https://hl7.org/fhir/packages.html) is a gzipped tar whose `package/` folder
holds `package.json` (the manifest), `.index.json` (one row per resource file) and one JSON file
per resource. HAPI, the HL7 validator and Ontoserver load content in this form.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from plugin.config import CANONICAL_BASE, FHIR_VERSIONS, SERVER_VERSION
from plugin.content import builtin
from plugin.content.store import Entry
from plugin.jsonio import dumps_pretty, loads
from plugin.types import Resource

LICENSE = "Apache-2.0"
FHIR_VERSION = FHIR_VERSIONS["r4"]
# The core package every R4 package depends on (the package spec's convention).
CORE_DEPENDENCY = {"hl7.fhir.r4.core": FHIR_VERSION}
_META_FILES = frozenset({"package.json", ".index.json"})


@dataclass(frozen=True)
class Manifest:
    """The `package.json` fields a loader needs."""

    name: str
    version: str


def manifest(name: str | None = None, version: str = SERVER_VERSION) -> Resource:
    """`package/package.json`: name, version, FHIR version, dependencies, canonical, license.

    Name and description default to the built-in pack's own manifest (`pack.json`).
    """
    pack = builtin.manifest()
    return {
        "name": name or pack.name,
        "version": version,
        "description": pack.description
        if name in (None, pack.name)
        else "FHIR terminology resources served by nice-tx",
        "author": "nice-tx project",
        "type": "Conformance",
        "fhirVersions": [FHIR_VERSION],
        "dependencies": dict(CORE_DEPENDENCY),
        "canonical": CANONICAL_BASE,
        "url": CANONICAL_BASE,
        "license": LICENSE,
    }


def filename(resource: Resource) -> str:
    """The package file of a resource: `<resourceType>-<id>.json` (the publisher's naming)."""
    return f"{resource['resourceType']}-{resource['id']}.json"


def index_row(resource: Resource) -> Resource:
    """One `.index.json` row: the file and the resource's identifying elements."""
    row: Resource = {
        "filename": filename(resource),
        "resourceType": resource["resourceType"],
        "id": resource["id"],
    }
    for key in ("url", "version", "kind", "type", "supplements", "content"):
        if isinstance(resource.get(key), str):
            row[key] = resource[key]
    return row


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(f"package/{name}")
    info.size, info.mode, info.mtime = len(data), 0o644, 0
    tar.addfile(info, io.BytesIO(data))


def write_package(
    entries: Iterable[Entry],
    out_dir: Path,
    *,
    name: str | None = None,
    version: str = SERVER_VERSION,
    progress: Callable[[Iterable[Entry]], Iterable[Entry]] = lambda x: x,
) -> Path:
    """Write `<out_dir>/<name>-<version>.tgz` holding `entries`; returns its path.

    The archive is reproducible (sorted files, fixed timestamps): the same content gives the
    same bytes. Resources without an id cannot be named in a package and raise ValueError.
    """
    chosen = sorted(entries, key=lambda e: (e.type, e.id or ""))
    files: dict[str, bytes] = {}
    rows = []
    for entry in progress(chosen):
        if not entry.id:
            raise ValueError(f"{entry.type} {entry.canonical} has no id")
        fname = filename(entry.resource)
        if fname in files:
            raise ValueError(f"two resources would be written to {fname}")
        files[fname] = dumps_pretty(entry.resource) + b"\n"
        rows.append(index_row(entry.resource))
    out_dir.mkdir(parents=True, exist_ok=True)
    name = name or builtin.manifest().name
    target = out_dir / f"{name}-{version}.tgz"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, "package.json", dumps_pretty(manifest(name, version)) + b"\n")
        _add(tar, ".index.json", dumps_pretty({"index-version": 2, "files": rows}) + b"\n")
        for fname in sorted(files):
            _add(tar, fname, files[fname])
    with target.open("wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    return target


def package_root(path: Path) -> Path | None:
    """The folder holding `package.json` when `path` is an unpacked package, else None."""
    for root in (path / "package", path):
        if (root / "package.json").is_file():
            return root
    return None


def is_package(path: Path) -> bool:
    """True for a `.tgz` / `.tar.gz` file or an unpacked package folder."""
    if path.is_file():
        return path.name.endswith((".tgz", ".tar.gz"))
    return path.is_dir() and package_root(path) is not None


def _manifest_of(data: bytes, where: str) -> Manifest:
    doc = loads(data)
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
        raise ValueError(f"{where}: package.json has no name")
    return Manifest(doc["name"], str(doc.get("version", "")))


def read_package(path: Path) -> tuple[Manifest, Iterator[tuple[str, bytes]]]:
    """The manifest and the resource files (name, bytes) of a package, `.tgz` or unpacked.

    Only files directly in `package/` are resources; sub-folders (`example/`, `other/`) hold
    examples and tooling files, which a terminology server does not load.
    """
    if path.is_file():
        with tarfile.open(path, mode="r:gz") as tar:
            found: dict[str, bytes] = {}
            for member in tar.getmembers():
                parts = member.name.split("/")
                if not member.isfile() or len(parts) != 2 or parts[0] != "package":
                    continue
                handle = tar.extractfile(member)
                if handle is not None:
                    found[parts[1]] = handle.read()
        if "package.json" not in found:
            raise ValueError(f"{path}: no package/package.json in the archive")
        head = _manifest_of(found.pop("package.json"), str(path))
        files = sorted((n, d) for n, d in found.items() if n.endswith(".json"))
        return head, iter([(f"{path}!{n}", d) for n, d in files if n not in _META_FILES])
    root = package_root(path)
    if root is None:
        raise ValueError(f"{path} is not a FHIR package (no package.json)")
    head = _manifest_of((root / "package.json").read_bytes(), str(root))
    names = sorted(p for p in root.glob("*.json") if p.is_file() and p.name not in _META_FILES)
    return head, ((str(p), p.read_bytes()) for p in names)
